//! Render benchmarks: the sample article (Markdown + template) and a listing page, and
//! the full warm request path through `Site::handle` on the embedded adapters.
//! `cargo bench -p lambdapress --bench render`; figures go in BENCHMARKS.md.

use askama::Template;
use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::{Post, SiteSettings, Slug};
use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::render::chrome::SiteChrome;
use lambdapress::render::pages::{ListPage, Listing, PostPage};
use lambdapress::render::render_markdown;
use lambdapress::site::{Site, SiteOptions};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/sample-content")
}

#[path = "support/harness.rs"]
mod harness;
use harness::*;

fn main() {
    let budget = Duration::from_secs(2);
    let source =
        std::fs::read_to_string(sample_dir().join("posts/what-are-muscle-knots.md")).unwrap();
    let settings =
        SiteSettings::parse(&std::fs::read_to_string(sample_dir().join("site.toml")).unwrap())
            .unwrap();
    let settings = Arc::new(settings);
    measure("site chrome (once per settings version)", budget, || {
        black_box(SiteChrome::new(black_box(settings.clone())));
    });
    // What the pages render with: the settings and the chrome they make.
    let chrome = SiteChrome::new(settings.clone());
    let slug = Slug::parse("what-are-muscle-knots").unwrap();

    measure("front matter parse (sample article)", budget, || {
        black_box(Post::parse(slug.clone(), black_box(&source)).unwrap());
    });
    let post = Post::parse(slug.clone(), &source).unwrap();
    measure("markdown render (sample article)", budget, || {
        black_box(render_markdown(black_box(&post.body_markdown)));
    });
    let body = render_markdown(&post.body_markdown);
    measure(
        "article template only (body already rendered)",
        budget,
        || {
            black_box(PostPage::new(&chrome, &post, &body, true).render().unwrap());
        },
    );
    measure(
        "article page cold: parse + markdown + template",
        budget,
        || {
            let post = Post::parse(slug.clone(), black_box(&source)).unwrap();
            let body = render_markdown(&post.body_markdown);
            black_box(PostPage::new(&chrome, &post, &body, true).render().unwrap());
        },
    );
    measure("JSON-LD BlogPosting, typed (now)", budget, || {
        black_box(lambdapress::render::json_ld::blog_posting(
            &settings,
            &chrome.business_ld,
            black_box(&post),
            "https://clinic.example/posts/what-are-muscle-knots",
            Some("https://clinic.example/media/back-tension.svg"),
            3,
        ));
    });
    measure("JSON-LD BlogPosting, Value tree (before)", budget, || {
        black_box(json_ld_before(
            &settings,
            black_box(&post),
            "https://clinic.example/posts/what-are-muscle-knots",
            Some("https://clinic.example/media/back-tension.svg"),
            3,
        ));
    });
    let metas: Vec<_> = (0..10).map(|_| post.meta()).collect();
    measure("listing page template (10 posts)", budget, || {
        black_box(
            ListPage::new(&chrome, Listing::Home, 1, &metas, true)
                .render()
                .unwrap(),
        );
    });

    measure("article template into a pre-sized buffer", budget, || {
        let mut html = String::with_capacity(body.html.len() + 12 * 1024);
        PostPage::new(&chrome, &post, &body, true)
            .render_into(&mut html)
            .unwrap();
        black_box(html);
    });

    // One thread, as a Lambda instance has: the handler's CPU, not a wake-up across
    // threads. SQLite calls still go to the blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scratch = std::env::temp_dir().join(format!("lambdapress-bench-{}", std::process::id()));
    let content = Arc::new(FsContent::new(sample_dir(), scratch.join("generated")));
    let index = Arc::new(SqlitePostIndex::in_memory().unwrap());
    runtime
        .block_on(reindex_all(content.as_ref(), index.as_ref()))
        .unwrap();
    let comments = Arc::new(SqliteCommentStore::in_memory().unwrap());
    let site = |view_ttl: Duration| {
        Site::new(
            content.clone(),
            index.clone(),
            comments.clone(),
            SiteOptions {
                base_url: Some("https://clinic.example".into()),
                settings_ttl: Duration::from_secs(60),
                view_ttl,
                ..SiteOptions::default()
            },
        )
    };
    let request = |path: &str| {
        let mut request = lambda_http::Request::new(Body::Empty);
        *request.uri_mut() = path.parse().unwrap();
        request
            .headers_mut()
            .insert("accept-encoding", "gzip, deflate, br".parse().unwrap());
        request
    };
    let article = request("/posts/what-are-muscle-knots");
    let home = request("/");
    let cached = site(Duration::from_secs(60));
    for (name, req) in [
        ("Site::handle article, cached view (br)", &article),
        ("Site::handle home page, cached view (br)", &home),
    ] {
        measure(name, budget, || {
            let response = runtime.block_on(cached.handle(black_box(req)));
            assert_eq!(response.status(), 200);
        });
    }
    let revalidating = site(Duration::ZERO);
    for (name, req) in [
        (
            "Site::handle article, revalidated (file + SQLite, unchanged)",
            &article,
        ),
        (
            "Site::handle home page, revalidated (SQLite, unchanged)",
            &home,
        ),
    ] {
        measure(name, budget, || {
            let response = runtime.block_on(revalidating.handle(black_box(req)));
            assert_eq!(response.status(), 200);
        });
    }
    let _ = std::fs::remove_dir_all(scratch);
}

/// The JSON-LD as it was built before issue 15's second pass (a `serde_json::Value`
/// tree, then three `replace` passes), kept here only to measure against.
fn json_ld_before(
    site: &SiteSettings,
    post: &Post,
    canonical: &str,
    image: Option<&str>,
    comment_count: usize,
) -> String {
    use lambdapress::domain::time_fmt::rfc3339;
    use serde_json::json;
    let f = &post.front;
    let a = &site.address;
    let mut business = json!({
        "@type": "LocalBusiness",
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
    json!({ "@context": "https://schema.org", "@graph": [posting, business] })
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
