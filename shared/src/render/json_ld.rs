//! schema.org JSON-LD: the post as BlogPosting, the business as LocalBusiness (or its
//! `[business] type`), with its opening hours and map.

use crate::domain::time_fmt::rfc3339;
use crate::domain::{Post, SiteSettings};
use serde::Serialize;
use std::io;

// Typed documents serialised straight into the page's buffer (no `Value` tree, no
// re-scan to escape). Fields are declared in key order, so the bytes are those a sorted
// map gives.

#[derive(Serialize)]
struct Person<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
struct Reference<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostalAddress<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    address_country: &'a str,
    address_locality: &'a str,
    address_region: &'a str,
    postal_code: &'a str,
    street_address: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocalBusiness<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
    /// `[business] type`: LocalBusiness or a schema.org subtype (validated).
    #[serde(rename = "@type")]
    kind: &'a str,
    address: PostalAddress<'a>,
    founder: Person<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_map: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    opening_hours_specification: Vec<OpeningHoursSpecification<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpeningHoursSpecification<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    closes: &'a str,
    day_of_week: Vec<String>,
    opens: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlogPosting<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    author: Person<'a>,
    comment_count: usize,
    date_modified: &'a str,
    date_published: &'a str,
    description: &'a str,
    headline: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    in_language: &'a str,
    keywords: Vec<&'a str>,
    main_entity_of_page: &'a str,
    publisher: Reference<'a>,
    url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebSite<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    in_language: &'a str,
    name: &'a str,
    publisher: Reference<'a>,
    url: &'a str,
}

/// The business node of every page's graph, serialised once per settings version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    /// `<base_url>/#business`: what a page's `publisher` refers to.
    pub id: String,
    /// The node's JSON, script-safe.
    json: String,
}

impl Business {
    pub fn of(site: &SiteSettings) -> Business {
        let a = &site.address;
        let home = site.url("/");
        let b = &site.business;
        let id = format!("{}/#business", site.base_url);
        let business = LocalBusiness {
            id: &id,
            kind: &b.kind,
            address: PostalAddress {
                kind: "PostalAddress",
                address_country: &a.country,
                address_locality: &a.locality,
                address_region: &a.region,
                postal_code: &a.postal_code,
                street_address: &a.street,
            },
            founder: Person {
                kind: "Person",
                name: &site.owner.name,
            },
            has_map: b.map_url.as_deref(),
            name: &site.title,
            opening_hours_specification: b
                .hours
                .iter()
                .map(|row| OpeningHoursSpecification {
                    kind: "OpeningHoursSpecification",
                    closes: &row.closes,
                    day_of_week: row
                        .day_names()
                        .iter()
                        .map(|d| format!("https://schema.org/{d}"))
                        .collect(),
                    opens: &row.opens,
                })
                .collect(),
            telephone: (!a.phone.is_empty()).then_some(a.phone.as_str()),
            url: &home,
        };
        let json = String::from_utf8(script_safe(&business, 512)).expect("serde_json writes UTF-8");
        Business { id, json }
    }
}

/// The graph `{"@context", "@graph": [page, business]}`, written for a `<script>`
/// element: the business node pasted as serialised for this settings version.
fn graph(page: impl Serialize, business: &Business) -> String {
    const OPEN: &[u8] = br#"{"@context":"https://schema.org","@graph":["#;
    let mut out = Vec::with_capacity(OPEN.len() + 640 + business.json.len());
    out.extend_from_slice(OPEN);
    write_script_safe(&mut out, &page);
    out.push(b',');
    out.extend_from_slice(business.json.as_bytes());
    out.extend_from_slice(b"]}");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

fn script_safe(value: &impl Serialize, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    write_script_safe(&mut out, value);
    out
}

fn write_script_safe(out: &mut Vec<u8>, value: &impl Serialize) {
    let mut serializer = serde_json::Serializer::with_formatter(out, ScriptSafe);
    value
        .serialize(&mut serializer)
        .expect("JSON-LD of strings and numbers always serialises");
}

/// Writes `<`, `>` and `&` inside strings as JSON escapes, so no value can close the
/// `<script>` element or open markup (they never occur outside strings).
struct ScriptSafe;

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            let escaped: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            writer.write_all(&bytes[start..i])?;
            writer.write_all(escaped)?;
            start = i + 1;
        }
        writer.write_all(&bytes[start..])
    }
}

pub fn blog_posting(
    site: &SiteSettings,
    business: &Business,
    post: &Post,
    canonical: &str,
    image: Option<&str>,
    comment_count: usize,
) -> String {
    let f = &post.front;
    let published = rfc3339(f.date);
    let modified = f.updated.map(rfc3339);
    let posting = BlogPosting {
        kind: "BlogPosting",
        author: Person {
            kind: "Person",
            name: &site.owner.name,
        },
        comment_count,
        date_modified: modified.as_deref().unwrap_or(&published),
        date_published: &published,
        description: &f.summary,
        headline: &f.title,
        image,
        in_language: &site.language,
        keywords: f.tags.iter().map(|t| t.name.as_str()).collect(),
        main_entity_of_page: canonical,
        publisher: Reference { id: &business.id },
        url: canonical,
    };
    graph(posting, business)
}

pub fn website(site: &SiteSettings, business: &Business, canonical: &str) -> String {
    let page = WebSite {
        kind: "WebSite",
        in_language: &site.language,
        name: &site.title,
        publisher: Reference { id: &business.id },
        url: canonical,
    };
    graph(page, business)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The bytes are those of a sorted `Value` map (what the pages carried before):
    /// keys in order, `<>&` escaped, and a script-closing title stays inert.
    #[test]
    fn the_typed_graph_reads_as_the_sorted_map_did() {
        let site =
            SiteSettings::parse(include_str!("../../../infra/sample-content/site.toml")).unwrap();
        let source = include_str!("../../../infra/sample-content/posts/what-are-muscle-knots.md")
            .replacen("title = \"", "title = \"</script><b>&amp; ", 1);
        let slug = crate::domain::Slug::parse("what-are-muscle-knots").unwrap();
        let post = Post::parse(slug, &source).unwrap();
        let business = Business::of(&site);
        for out in [
            blog_posting(
                &site,
                &business,
                &post,
                "https://x.example/p?a=1&b=2",
                Some("/i.svg"),
                2,
            ),
            blog_posting(&site, &business, &post, "https://x.example/p", None, 0),
            website(&site, &business, "https://x.example/"),
        ] {
            let value: Value = serde_json::from_str(&out).unwrap();
            let sorted = value
                .to_string()
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026");
            assert_eq!(out, sorted);
            assert!(!out.contains("</script"), "{out}");
        }
    }

    #[test]
    fn script_closing_tags_cannot_escape_the_json() {
        let v = json!({ "headline": "</script><script>alert(1)</script> & more" });
        let mut out = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut out, ScriptSafe,
        ))
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("</script"), "{out}");
        assert!(!out.contains('&') && !out.contains('>'), "{out}");
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
