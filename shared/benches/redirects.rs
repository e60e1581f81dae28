//! Redirect lookup with 50,000 redirects: parsing `redirects.toml` once (what a cold
//! instance pays) and one lookup per request (what every request pays); then the local
//! site's hot path (`Site::handle` with the local runner's options) in front of a
//! 20,000-entry `redirects.toml` of about a megabyte, which every request consults.
//! `cargo bench -p lambdapress --no-default-features --features embedded --bench redirects`;
//! figures go in BENCHMARKS.md.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::redirects::{Redirects, RedirectsCache};
use lambdapress::site::{Site, SiteOptions};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    lookups();
    local_site();
}

/// `n` old permalinks, and a `/?p=N` form for every other one.
fn many(n: usize) -> Redirects {
    let mut redirects = Redirects::new();
    for i in 0..n {
        redirects
            .insert(
                &format!("/{}/{:02}/old-post-number-{i}/", 2000 + i % 25, i % 12 + 1),
                &format!("/posts/old-post-number-{i}"),
            )
            .unwrap();
        if i % 2 == 0 {
            redirects
                .insert(&format!("/?p={i}"), &format!("/posts/old-post-number-{i}"))
                .unwrap();
        }
    }
    redirects
}

fn lookups() {
    let redirects = many(50_000);
    let text = redirects.to_toml();
    println!(
        "redirects.toml: {} entries, {} KiB",
        redirects.len(),
        text.len() / 1024
    );

    let start = Instant::now();
    let parsed = Redirects::parse(&text).unwrap();
    println!(
        "parse once per instance: {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(parsed.len(), redirects.len());

    let paths: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "/{}/{:02}/old-post-number-{}/",
                2000 + (i * 37) % 25,
                (i * 37) % 12 + 1,
                i * 37
            )
        })
        .collect();
    let rounds = 200;
    let start = Instant::now();
    let mut hits = 0;
    for _ in 0..rounds {
        for p in &paths {
            hits += usize::from(black_box(&parsed).target(black_box(p), None).is_some());
            hits += usize::from(black_box(&parsed).target("/posts/live", None).is_some());
        }
    }
    let per = start.elapsed().as_secs_f64() / (rounds * paths.len() * 2) as f64;
    println!("lookup (hit or miss): {:.0} ns; {hits} hits", per * 1e9);
}

/// Time per call of `f`, run for about `budget` after a warm-up (median of batches).
fn per_call(budget: Duration, mut f: impl FnMut()) -> (f64, usize) {
    for _ in 0..20 {
        f();
    }
    let start = Instant::now();
    let mut batches = Vec::new();
    let mut calls = 0;
    while start.elapsed() < budget {
        let batch = 20;
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        calls += batch;
        batches.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    batches.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (batches[batches.len() / 2], calls)
}

/// What a request to the local site costs with a big `redirects.toml`: the options are
/// the local runner's (`settings_ttl` zero, a view window of one second).
fn local_site() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/sample-content");
    let scratch =
        std::env::temp_dir().join(format!("lambdapress-redirects-{}", std::process::id()));
    let generated = scratch.join("generated");
    std::fs::create_dir_all(&generated).unwrap();
    let redirects = many(20_000);
    let text = redirects.to_toml();
    std::fs::write(generated.join("redirects.toml"), &text).unwrap();
    println!(
        "local site: redirects.toml of {} entries, {} KiB",
        redirects.len(),
        text.len() / 1024
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let content = Arc::new(FsContent::new(sample, generated));
    let index = Arc::new(SqlitePostIndex::in_memory().unwrap());
    runtime
        .block_on(reindex_all(content.as_ref(), index.as_ref()))
        .unwrap();
    let site = Site::new(
        content.clone(),
        index,
        Arc::new(SqliteCommentStore::in_memory().unwrap()),
        SiteOptions {
            base_url: Some("http://127.0.0.1:8080".into()),
            settings_ttl: Duration::ZERO,
            view_ttl: Duration::from_secs(1),
            show_settings_errors: true,
            ..SiteOptions::default()
        },
    );
    let request = |path: &str| {
        let mut request = lambda_http::Request::new(Body::Empty);
        *request.uri_mut() = path.parse().unwrap();
        request
    };
    let budget = Duration::from_secs(3);
    for (name, path, status) in [
        (
            "Site::handle article, cached view",
            "/posts/what-are-muscle-knots",
            200,
        ),
        (
            "Site::handle an old address (301)",
            "/2003/04/old-post-number-3/",
            301,
        ),
    ] {
        let req = request(path);
        let (t, calls) = per_call(budget, || {
            let response = runtime.block_on(site.handle(black_box(&req)));
            assert_eq!(response.status(), status);
        });
        println!(
            "{name:<48} {:>10.2} µs per request ({calls} requests)",
            t * 1e6
        );
    }
    // What one revalidation costs (once per window now; once per request before): a
    // conditional read of the file, unchanged.
    let revalidating = RedirectsCache::new(Duration::ZERO);
    let (t, calls) = per_call(budget, || {
        let r = runtime
            .block_on(revalidating.get(content.as_ref()))
            .unwrap();
        assert_eq!(r.len(), redirects.len());
    });
    println!(
        "{:<48} {:>10.2} µs per read ({calls} reads)",
        "redirects.toml revalidated (unchanged)",
        t * 1e6
    );
    let _ = std::fs::remove_dir_all(scratch);
}
