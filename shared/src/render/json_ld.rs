//! schema.org JSON-LD: the post as BlogPosting, the business as LocalBusiness (or the
//! subtype `[business] type` names) with its opening hours.

use crate::domain::time_fmt::rfc3339;
use crate::domain::{Post, SiteSettings};
use serde_json::{json, Value};

fn local_business(site: &SiteSettings) -> Value {
    let a = &site.address;
    let mut business = json!({
        "@type": site.business.kind,
        "@id": format!("{}/#business", site.base_url),
        "name": site.title,
        "url": site.url("/"),
        "founder": { "@type": "Person", "name": site.owner.name },
        "address": {
            "@type": "PostalAddress",
            "streetAddress": a.street,
            "addressLocality": a.locality,
            "addressRegion": a.region,
            "postalCode": a.postal_code,
            "addressCountry": a.country,
        },
    });
    if !a.phone.is_empty() {
        business["telephone"] = json!(a.phone);
    }
    let b = &site.business;
    if !b.hours.is_empty() {
        business["openingHoursSpecification"] = b
            .hours
            .iter()
            .map(|row| {
                json!({
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": row.day_names().iter().map(|d| format!("https://schema.org/{d}")).collect::<Vec<_>>(),
                    "opens": row.opens,
                    "closes": row.closes,
                })
            })
            .collect();
    }
    if let Some(map) = &b.map_url {
        business["hasMap"] = json!(map);
    }
    business
}

/// Serialises for a `<script>` element: `<`, `>` and `&` become JSON escapes, so no
/// value can close the element or open markup.
fn script_safe(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

pub fn blog_posting(
    site: &SiteSettings,
    post: &Post,
    canonical: &str,
    image: Option<&str>,
    comment_count: usize,
) -> String {
    let f = &post.front;
    let mut posting = json!({
        "@type": "BlogPosting",
        "headline": f.title,
        "description": f.summary,
        "datePublished": rfc3339(f.date),
        "dateModified": rfc3339(f.updated.unwrap_or(f.date)),
        "mainEntityOfPage": canonical,
        "url": canonical,
        "inLanguage": site.language,
        "author": { "@type": "Person", "name": site.owner.name },
        "publisher": { "@id": format!("{}/#business", site.base_url) },
        "keywords": f.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "commentCount": comment_count,
    });
    if let Some(image) = image {
        posting["image"] = json!(image);
    }
    script_safe(
        &json!({ "@context": "https://schema.org", "@graph": [posting, local_business(site)] }),
    )
}

pub fn website(site: &SiteSettings, canonical: &str) -> String {
    let page = json!({
        "@type": "WebSite",
        "name": site.title,
        "url": canonical,
        "inLanguage": site.language,
        "publisher": { "@id": format!("{}/#business", site.base_url) },
    });
    script_safe(
        &json!({ "@context": "https://schema.org", "@graph": [page, local_business(site)] }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_closing_tags_cannot_escape_the_json() {
        let v = json!({ "headline": "</script><script>alert(1)</script> & more" });
        let out = script_safe(&v);
        assert!(!out.contains("</script"), "{out}");
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
