//! No input runs script in another visitor's browser: every payload of
//! `fixtures/xss-corpus.txt` is posted in every comment field and approved, and the
//! article (and the owner's moderation page, and every rejected form sent back) is
//! parsed as a browser parses it and searched for anything executable.

use html5ever::parse_document;
use html5ever::tendril::TendrilSink;
use lambdapress::domain::CommentId;
use lambdapress::ports::CommentStore;
use lambdapress_tests::comments::{CommentSite, ARTICLE};
use lambdapress_tests::fixtures::body_text;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

const POST_COMMENTS: &str = "/posts/what-are-muscle-knots/comments";

pub fn corpus() -> Vec<String> {
    let path = lambdapress_tests::fixtures::path("xss-corpus.txt");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A URL a browser would run or load as a document from: after dropping what the URL
/// parser drops (whitespace, controls), a `javascript:`, `vbscript:` or `data:` scheme.
fn executable_url(value: &str) -> bool {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| cleaned.starts_with(s))
}

const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "srcdoc",
    "background",
    "poster",
    "cite",
    "xlink:href",
    "codebase",
    "lowsrc",
    "dynsrc",
];
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "style",
    "base",
    "img",
    "video",
    "audio",
    "source",
    "template",
    "noscript",
    "xmp",
    "noembed",
    "marquee",
    "details",
    "select",
    "keygen",
    "isindex",
    "input-autofocus",
];

/// Every problem in a page: executable elements, event handlers, script URLs, styles,
/// forms that post anywhere but the site, and `<meta http-equiv>`.
fn problems(html: &str) -> Vec<String> {
    let dom = parse_document(RcDom::default(), Default::default())
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .unwrap();
    let mut found = Vec::new();
    let mut scripts = 0;
    walk(&dom.document, &mut |name, attrs| {
        let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        if name == "script" {
            scripts += 1;
            if attr("type") != Some("application/ld+json") {
                found.push(format!("<script> {attrs:?}"));
            }
        }
        // The article's own lead image is the only image on the page.
        let lead_image = name == "img"
            && attr("src").is_some_and(|src| src.starts_with("/media/"))
            && attrs.iter().all(|(k, _)| k == "src" || k == "alt");
        // The site's own logo (`[theme.logo]` in site.toml, a media path), in the header.
        let site_logo = name == "img"
            && attr("class") == Some("site-logo")
            && attr("src").is_some_and(|src| src.starts_with("/media/"))
            && attrs
                .iter()
                .all(|(k, _)| k == "class" || k == "src" || k == "alt");
        // The site's own phone menu is the only disclosure on the page (no handlers).
        let site_menu =
            name == "details" && attrs.len() == 1 && attr("class") == Some("menu-narrow");
        if FORBIDDEN_ELEMENTS.contains(&name) && !lead_image && !site_logo && !site_menu {
            found.push(format!("<{name}> {attrs:?}"));
        }
        if name == "meta" && attr("http-equiv").is_some() {
            found.push(format!("<meta http-equiv> {attrs:?}"));
        }
        // The site's own thread-page links: rel=prev/next to `<site>/posts/<slug>?cpage=N`.
        let thread_page_link = matches!(attr("rel"), Some("prev" | "next"))
            && attr("href").is_some_and(|href| {
                href.split_once("/posts/")
                    .and_then(|(_, rest)| rest.split_once("?cpage="))
                    .is_some_and(|(slug, n)| {
                        slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            && !n.is_empty()
                            && n.bytes().all(|b| b.is_ascii_digit())
                    })
            });
        if name == "link"
            && attr("rel") != Some("stylesheet")
            && attr("rel") != Some("canonical")
            && attr("rel") != Some("alternate")
            // The favicon of `[theme]`: a media path of the site's own.
            && !(attr("rel") == Some("icon")
                && attr("href").is_some_and(|href| href.starts_with("/media/")))
            && !thread_page_link
        {
            found.push(format!("<link> {attrs:?}"));
        }
        if name == "link"
            && attr("rel") == Some("stylesheet")
            && !attr("href").unwrap_or("").starts_with("/static/style.css")
            // The `[theme]` stylesheet (`/theme/site.css?v=<hash>`) and the owner's
            // `theme/custom.css` (`/theme/custom.css?v=<hash>`), same origin.
            && !attr("href")
                .and_then(|href| {
                    href.strip_prefix("/theme/site.css?v=")
                        .or_else(|| href.strip_prefix("/theme/custom.css?v="))
                })
                .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            found.push(format!("foreign stylesheet {attrs:?}"));
        }
        if name == "form" {
            let action = attr("action").unwrap_or("");
            // The header's search box is a GET to us as well.
            let ours = action == "/subscribe"
                || action == "/search"
                || action == "/comments/moderate"
                || (action.starts_with("/posts/") && action.ends_with("/comments"));
            if !ours {
                found.push(format!("<form> {attrs:?}"));
            }
        }
        if matches!(name, "input" | "textarea" | "select" | "button") && attr("autofocus").is_some()
        {
            found.push(format!("autofocus {attrs:?}"));
        }
        for (key, value) in attrs {
            if key.starts_with("on") {
                found.push(format!("event handler {key} on <{name}>"));
            }
            if key == "style" {
                found.push(format!("style attribute on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&key.as_str()) && executable_url(value) {
                found.push(format!("{key}={value:?} on <{name}>"));
            }
            if name == "a"
                && key == "href"
                && !value.starts_with('/')
                && !value.starts_with('#')
                && !value.starts_with("tel:")
            {
                // Every link a visitor wrote is marked as theirs and opens no window handle.
                let rel = attr("rel").unwrap_or("");
                let ours = value.starts_with("https://clinic.example");
                let tagged = ["nofollow", "ugc", "noopener"]
                    .iter()
                    .all(|r| rel.contains(r));
                if !ours && !tagged {
                    found.push(format!("untagged external link {value:?} rel={rel:?}"));
                }
            }
            if key == "target" {
                found.push(format!("target on <{name}>"));
            }
        }
    });
    if scripts > 1 {
        found.push(format!(
            "{scripts} <script> elements (only the JSON-LD one is ours)"
        ));
    }
    found
}

fn walk(node: &Handle, visit: &mut impl FnMut(&str, &[(String, String)])) {
    if let NodeData::Element {
        name,
        attrs,
        template_contents,
        ..
    } = &node.data
    {
        let attrs: Vec<(String, String)> = attrs
            .borrow()
            .iter()
            .map(|a| {
                let local: &str = &a.name.local;
                let key = match a.name.prefix.as_ref() {
                    Some(p) => format!("{}:{local}", &**p),
                    None => local.to_owned(),
                };
                (key.to_ascii_lowercase(), a.value.to_string())
            })
            .collect();
        visit(&name.local, &attrs);
        if let Some(contents) = template_contents.borrow().as_ref() {
            walk(contents, visit);
        }
    }
    for child in node.children.borrow().iter() {
        walk(child, visit);
    }
}

#[test]
fn the_corpus_has_at_least_100_payloads_and_the_checker_catches_each_kind() {
    assert!(corpus().len() >= 100, "{} payloads", corpus().len());
    for bad in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        r#"<a href=" java&#x09;script:alert(1)">x</a>"#,
        r#"<iframe src="https://evil.example"></iframe>"#,
        r#"<a href="data:text/html,x">x</a>"#,
        r#"<p style="x">x</p>"#,
        r#"<form action="https://evil.example"></form>"#,
        r#"<a href="https://evil.example">x</a>"#,
        r#"<meta http-equiv="refresh" content="0">"#,
    ] {
        assert!(!problems(bad).is_empty(), "the checker misses {bad}");
    }
    assert!(
        problems(r#"<p><a href="https://a.example" rel="nofollow ugc noopener">a</a></p>"#)
            .is_empty()
    );
}

#[tokio::test]
async fn no_payload_in_any_field_survives_as_executable_markup() {
    let site = CommentSite::start(
        "[comments]\nmoderation = \"none\"\nflood_seconds = 0\nhold_links = 0\n",
    )
    .await;
    let mut accepted = 0;
    let mut ids: Vec<CommentId> = Vec::new();
    for (i, payload) in corpus().iter().enumerate() {
        let email = format!("v{i}@example.com");
        let website_payload = format!("https://ok.example/{payload}");
        let attempts: [Vec<(&str, &str)>; 5] = [
            // The body alone: always a valid comment.
            vec![
                ("name", "Body tester"),
                ("email", &email),
                ("website", ""),
                ("body", payload),
            ],
            // Every field at once: rejected fields come back in the form, escaped.
            vec![
                ("name", payload),
                ("email", payload),
                ("website", payload),
                ("body", payload),
            ],
            vec![
                ("name", payload),
                ("email", &email),
                ("website", ""),
                ("body", payload),
            ],
            vec![
                ("name", "Website tester"),
                ("email", &email),
                ("website", &website_payload),
                ("body", "see my site"),
            ],
            vec![
                ("name", payload),
                ("email", &email),
                ("website", payload),
                ("body", "plain"),
            ],
        ];
        for (k, fields) in attempts.iter().enumerate() {
            let mut fields = fields.clone();
            let unique_body = format!(
                "{} #{i}.{k}",
                fields.iter().find(|f| f.0 == "body").unwrap().1
            );
            fields.retain(|f| f.0 != "body");
            fields.push(("body", &unique_body));
            let response = site
                .post_form(POST_COMMENTS, &fields, "198.51.100.23")
                .await;
            match response.status().as_u16() {
                303 => {
                    accepted += 1;
                    let to = lambdapress_tests::comments::location(&response);
                    if let Some(id) = to
                        .split("comment=")
                        .nth(1)
                        .and_then(|r| r.split('#').next())
                    {
                        ids.push(CommentId::parse(id).unwrap());
                    }
                }
                400 => {
                    let html = body_text(&response);
                    let found = problems(&html);
                    assert!(
                        found.is_empty(),
                        "payload {i} ({payload:?}) in the form sent back: {found:?}"
                    );
                }
                other => panic!("payload {i} attempt {k}: unexpected {other}"),
            }
            // Bidirectional overrides are refused in a body (they disguise text).
            let disguised = payload.chars().any(|c| {
                ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
            });
            if k == 0 && !disguised {
                assert_eq!(
                    response.status(),
                    303,
                    "payload {i} ({payload:?}) is a valid comment body"
                );
            }
        }
    }
    assert!(
        accepted > corpus().len(),
        "payloads stored in names and websites too: {accepted}"
    );
    let approved = site
        .embedded
        .comments
        .approved_for_post(&lambdapress::domain::Slug::parse("what-are-muscle-knots").unwrap())
        .await
        .unwrap();
    assert_eq!(
        approved.len(),
        accepted,
        "every stored payload is approved and on the page"
    );

    // A long thread is paged: every page of it, each checked on its own below.
    let pages = approved
        .iter()
        .filter(|c| c.parent.is_none())
        .count()
        .div_ceil(lambdapress::ports::comments::THREAD_PAGE_ROOTS as usize)
        .max(1);
    let mut html = String::new();
    for page in 1..=pages {
        let one = site.page(&format!("{ARTICLE}?cpage={page}")).await;
        let found = problems(&one);
        assert!(
            found.is_empty(),
            "executable markup on page {page}: {found:#?}"
        );
        html.push_str(&one);
    }
    for id in &ids {
        assert!(
            html.contains(&format!("id=\"comment-{id}\"")),
            "comment {id} is rendered"
        );
    }
    std::fs::write(site.embedded.dir.0.join("corpus-article.html"), &html).unwrap();

    // The owner's moderation page shows the same comments.
    let held = site
        .embedded
        .comments
        .mark_spam(&ids[0])
        .await
        .unwrap()
        .unwrap();
    let token = lambdapress::comments::moderate::token(
        &site.secret,
        &held.id,
        lambdapress::comments::moderate::Action::Approve,
        held.status,
        *site.now.lock().unwrap(),
    );
    let page = body_text(
        &site
            .get(&format!("/comments/moderate?token={token}&action=approve"))
            .await,
    );
    let found = problems(&page);
    assert!(
        found.is_empty(),
        "executable markup on the moderation page: {found:#?}"
    );
}
