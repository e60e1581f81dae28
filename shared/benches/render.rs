//! Render benchmarks: the sample article (Markdown + template) and a listing page, and
//! the full warm request path through `Site::handle` on the embedded adapters.
//! `cargo bench -p lambdapress --bench render`; figures go in BENCHMARKS.md.

use askama::Template;
use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::{Post, SiteSettings, Slug};
use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::render::pages::{ListPage, Listing, PostPage};
use lambdapress::render::render_markdown;
use lambdapress::site::{Site, SiteOptions};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/sample-content")
}

/// Runs `f` in batches for about `budget`, and reports the median and fastest batch
/// as time per call.
fn measure(name: &str, budget: Duration, mut f: impl FnMut()) {
    for _ in 0..200 {
        f();
    }
    let start = Instant::now();
    let mut per_call = Vec::new();
    while start.elapsed() < budget {
        let batch = 100;
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        per_call.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    per_call.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = per_call[per_call.len() / 2];
    println!(
        "{name:<48} median {:>9.2} µs   min {:>9.2} µs   ({} batches of 100)",
        median * 1e6,
        per_call[0] * 1e6,
        per_call.len()
    );
}

fn main() {
    let budget = Duration::from_secs(2);
    let source =
        std::fs::read_to_string(sample_dir().join("posts/what-are-muscle-knots.md")).unwrap();
    let settings =
        SiteSettings::parse(&std::fs::read_to_string(sample_dir().join("site.toml")).unwrap())
            .unwrap();
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
            black_box(
                PostPage::new(&settings, &post, &body, true)
                    .render()
                    .unwrap(),
            );
        },
    );
    measure(
        "article page cold: parse + markdown + template",
        budget,
        || {
            let post = Post::parse(slug.clone(), black_box(&source)).unwrap();
            let body = render_markdown(&post.body_markdown);
            black_box(
                PostPage::new(&settings, &post, &body, true)
                    .render()
                    .unwrap(),
            );
        },
    );
    let metas: Vec<_> = (0..10).map(|_| post.meta()).collect();
    measure("listing page template (10 posts)", budget, || {
        black_box(
            ListPage::new(&settings, Listing::Home, 1, &metas, true)
                .render()
                .unwrap(),
        );
    });

    measure("article template into a pre-sized buffer", budget, || {
        let mut html = String::with_capacity(body.html.len() + 12 * 1024);
        PostPage::new(&settings, &post, &body, true)
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
