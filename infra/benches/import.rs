//! Import benchmark: a generated WordPress export of 5,000 posts, 20,000 comments, 20
//! pages and 2,500 images (served by a local HTTP server on 127.0.0.1, downloaded four at
//! a time) into the embedded store (content folder + SQLite), then the same export again
//! (the twice-safe path), then `switch-check` of the export against the imported site
//! served locally. Reports wall time, counts, requests to the uploads server and peak
//! memory (VmHWM); run under `/usr/bin/time -v` for the process's own figure.
//!
//!   cargo bench -p lambdapress-infra --bench import
//!   IMPORT_BENCH_POSTS=500 cargo bench -p lambdapress-infra --bench import   # smaller
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it imports 50 posts, so the
//! test suite checks the benchmark still runs without paying for the full one.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::Secret;
use lambdapress_infra::import::{
    import_wordpress, DownloadOptions, MediaSource, Options, Silent, Stores,
};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const COMMENTS_PER_POST: usize = 4;

fn main() -> anyhow::Result<()> {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let posts: usize = std::env::var("IMPORT_BENCH_POSTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if benchmarking { 5_000 } else { 50 });
    let dir = std::env::temp_dir().join(format!("lambdapress-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let requests = Arc::new(AtomicUsize::new(0));
    let origin = runtime.block_on(uploads_server(requests.clone()))?;
    let export = dir.join("export.xml");
    write_export(&export, posts, &origin)?;
    let size = std::fs::metadata(&export)?.len();
    println!(
        "export: {posts} posts, {} comments, {:.1} MB",
        posts * COMMENTS_PER_POST,
        size as f64 / 1e6
    );
    let after_generating = peak_memory_kb();

    let database = dir.join("data/lambdapress.sqlite");
    let content = FsContent::new(dir.join("content"), dir.join("data/generated"));
    let index = SqlitePostIndex::open(&database)?;
    let comments = SqliteCommentStore::open(&database)?;
    let secret = Secret::new(*b"import-bench-secret-0123456789abcdef")?;
    let stores = Stores {
        content: &content,
        index: &index,
        comments: &comments,
        secret: &secret,
    };
    for run in ["first import", "second import (nothing to do)"] {
        let asked_before = requests.load(Ordering::Relaxed);
        let started = Instant::now();
        let summary = runtime.block_on(import_wordpress(
            &export,
            &stores,
            Options {
                media: MediaSource::Download(DownloadOptions::default()),
                ..Options::default()
            },
            &Silent,
        ))?;
        let elapsed = started.elapsed();
        println!(
            "{run}: {:.2} s ({:.0} items/s); {} posts written, {} unchanged; {} pages written, {} unchanged; {} comments stored, {} already there; media {} files: {} copied ({:.1} MB), {} present, {} missing; {} redirects ({} added); {} malformed",
            elapsed.as_secs_f64(),
            summary.items as f64 / elapsed.as_secs_f64(),
            summary.posts_written,
            summary.posts_unchanged,
            summary.pages_written,
            summary.pages_unchanged,
            summary.comments_stored,
            summary.comments_existing,
            summary.media_files,
            summary.media.copied,
            summary.media.bytes as f64 / 1e6,
            summary.media.present,
            summary.media.missing.len(),
            summary.redirects,
            summary.redirects_added,
            summary.malformed.len(),
        );
        println!(
            "  {} requests to the uploads server; {} menu entries; peak memory so far {} KB",
            requests.load(Ordering::Relaxed) - asked_before,
            summary.menu.as_ref().map_or(0, |m| m.1),
            peak_memory_kb().unwrap_or(0)
        );
    }
    drop((index, comments));

    // The switch-over check against the imported site, served as `lambdapress serve` does.
    let config = lambdapress_infra::local::LocalConfig {
        addr: "127.0.0.1:0".parse()?,
        content_dir: dir.join("content"),
        data_dir: dir.join("data"),
    };
    let started = Instant::now();
    let site = runtime.block_on(lambdapress_infra::local::LocalSite::bind(&config))?;
    let base = site.base_url.clone();
    println!(
        "local site up (reindex, feeds) in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    runtime.spawn(site.run());
    let started = Instant::now();
    let report = runtime.block_on(lambdapress_infra::import::switch_check::switch_check(
        &export, &base,
    ))?;
    let elapsed = started.elapsed();
    let kind = |k: &str| report.checks.iter().filter(|c| c.kind == k).count();
    println!(
        "switch-check: {:.2} s; {} checks ({} old addresses, {} images, {} pages' links), {} failed",
        elapsed.as_secs_f64(),
        report.checks.len(),
        kind("url"),
        kind("image"),
        kind("links"),
        report.failures()
    );
    for failed in report.checks.iter().filter(|c| !c.ok).take(20) {
        println!("  FAIL {} {} {}", failed.kind, failed.what, failed.detail);
    }
    println!(
        "peak memory (VmHWM): {} KB ({} KB after generating the export)",
        peak_memory_kb().unwrap_or(0),
        after_generating.unwrap_or(0)
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

const IMAGE_BYTES: usize = 40 * 1024;

/// A local server answering every `/wp-content/uploads/…` with a 40 KB body (a stand-in
/// for the old site; never the internet), counting requests. Returns its origin.
async fn uploads_server(requests: Arc<AtomicUsize>) -> anyhow::Result<String> {
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let image = bytes::Bytes::from(vec![0xAB; IMAGE_BYTES]);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (image, requests) = (image.clone(), requests.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    requests.fetch_add(1, Ordering::Relaxed);
                    let found = req.uri().path().starts_with("/wp-content/uploads/");
                    let mut response = hyper::Response::new(http_body_util::Full::new(if found {
                        image.clone()
                    } else {
                        bytes::Bytes::new()
                    }));
                    if !found {
                        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
                    }
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(origin)
}

/// The process's peak resident set size, from /proc/self/status.
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Writes a WXR export item by item, as WordPress does: classic and block-editor posts,
/// captions, tags, threaded comments (some pending, some spam).
fn write_export(path: &Path, posts: usize, origin: &str) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench Clinic</title><link>{origin}</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{origin}</wp:base_site_url>"#
    )?;
    for p in 1..=20 {
        writeln!(
            out,
            r#"<item><title>Page {p}</title><link>{origin}/page-{p}/</link><content:encoded><![CDATA[<p>About page {p}, see <a href="{origin}/2023/01/post-number-2/">a post</a>.</p>]]></content:encoded><wp:post_id>{id}</wp:post_id><wp:post_name>page-{p}</wp:post_name><wp:status>publish</wp:status><wp:post_type>page</wp:post_type><wp:post_parent>0</wp:post_parent></item>"#,
            id = 900_000 + p
        )?;
    }
    let paragraph = "Muscle knots, also known as <em>myofascial trigger points</em>, can cause extensive discomfort in your neck, shoulders and back. When a muscle fiber is slightly damaged, it contracts and forms the knot; acupuncture helps it let go.";
    for n in 1..=posts {
        let day = n % 28 + 1;
        let month = n % 12 + 1;
        let content = if n % 2 == 0 {
            format!(
                "[caption width=\"300\"]<a href=\"{origin}/wp-content/uploads/2023/{month:02}/photo-{n}.jpg\"><img src=\"{origin}/wp-content/uploads/2023/{month:02}/photo-{n}-300x200.jpg\" srcset=\"{origin}/wp-content/uploads/2023/{month:02}/photo-{n}-300x200.jpg 300w, {origin}/wp-content/uploads/2023/{month:02}/photo-{n}.jpg 1024w\" alt=\"Photo {n}\" /></a> Caption {n}[/caption]\n\n{paragraph} See <a href=\"{origin}/?p={prev}\">the one before</a>.\nA second line.\n\n<h2>Causes</h2>\n{paragraph}\n<ul>\n<li>Water</li>\n<li>Rest</li>\n</ul>\n\n{paragraph}",
                prev = n.max(2) - 1
            )
        } else {
            format!(
                "<!-- wp:paragraph -->\n<p>{paragraph}</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:heading -->\n<h2>Causes</h2>\n<!-- /wp:heading -->\n\n<!-- wp:paragraph -->\n<p>{paragraph}</p>\n<!-- /wp:paragraph -->"
            )
        };
        let status = if n % 10 == 0 { "draft" } else { "publish" };
        writeln!(
            out,
            r#"<item><title><![CDATA[Post number {n}: muscle knots &amp; you]]></title>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{n}</wp:post_id>
<wp:post_date><![CDATA[2023-{month:02}-{day:02} 09:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2023-{month:02}-{day:02} 16:00:00]]></wp:post_date_gmt>
<wp:comment_status><![CDATA[open]]></wp:comment_status>
<wp:post_name><![CDATA[post-number-{n}]]></wp:post_name>
<wp:status><![CDATA[{status}]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
<link>{origin}/2023/{month:02}/post-number-{n}/</link>
<category domain="category" nicename="muscle-pain"><![CDATA[Muscle Pain]]></category>
<category domain="post_tag" nicename="tag-{t}"><![CDATA[Tag {t}]]></category>"#,
            t = n % 50
        )?;
        for c in 0..COMMENTS_PER_POST {
            let id = n * COMMENTS_PER_POST + c;
            let parent = if c == 1 { id - 1 } else { 0 };
            let approved = match c {
                3 if n % 5 == 0 => "spam",
                2 => "0",
                _ => "1",
            };
            writeln!(
                out,
                r#"<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author><![CDATA[Reader {id}]]></wp:comment_author><wp:comment_author_email><![CDATA[reader{id}@example.com]]></wp:comment_author_email><wp:comment_author_url>https://reader{id}.example.com</wp:comment_author_url><wp:comment_author_IP><![CDATA[203.0.113.{ip}]]></wp:comment_author_IP><wp:comment_date><![CDATA[2023-{month:02}-{day:02} 10:{c:02}:00]]></wp:comment_date><wp:comment_date_gmt><![CDATA[2023-{month:02}-{day:02} 17:{c:02}:00]]></wp:comment_date_gmt><wp:comment_content><![CDATA[Thank you for post {n}! <strong>Very</strong> helpful.

Does it hurt?]]></wp:comment_content><wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved><wp:comment_type><![CDATA[comment]]></wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"#,
                ip = id % 250
            )?;
        }
        if n % 2 == 0 {
            // Its featured image: the attachment, with alt text.
            writeln!(
                out,
                r#"<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>{a}</wp:meta_value></wp:postmeta></item>
<item><title>Photo {n}</title><link>{origin}/2023/{month:02}/post-number-{n}/photo-{n}/</link><wp:post_id>{a}</wp:post_id><wp:post_parent>{n}</wp:post_parent><wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type><wp:attachment_url>{origin}/wp-content/uploads/2023/{month:02}/photo-{n}.jpg</wp:attachment_url><wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key><wp:meta_value>Photo {n}</wp:meta_value></wp:postmeta>"#,
                a = 1_000_000 + n
            )?;
        }
        writeln!(out, "</item>")?;
    }
    writeln!(out, "</channel></rss>")?;
    out.flush()
}
