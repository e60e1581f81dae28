//! Import benchmark: a generated WordPress export of 5,000 posts and 20,000 comments
//! into the embedded store (content folder + SQLite), then the same export again (the
//! twice-safe path). Reports wall time and peak memory (VmHWM).
//!
//!   cargo bench -p lambdapress-infra --bench import
//!   IMPORT_BENCH_POSTS=500 cargo bench -p lambdapress-infra --bench import   # smaller
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it imports 50 posts, so the
//! test suite checks the benchmark still runs without paying for the full one.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::Secret;
use lambdapress_infra::import::{import_wordpress, Options, Silent, Stores};
use std::io::{BufWriter, Write};
use std::path::Path;
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
    let export = dir.join("export.xml");
    write_export(&export, posts)?;
    let size = std::fs::metadata(&export)?.len();
    println!(
        "export: {posts} posts, {} comments, {:.1} MB",
        posts * COMMENTS_PER_POST,
        size as f64 / 1e6
    );
    let after_generating = peak_memory_kb();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
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
        let started = Instant::now();
        let summary = runtime.block_on(import_wordpress(
            &export,
            &stores,
            Options::default(),
            &Silent,
        ))?;
        let elapsed = started.elapsed();
        println!(
            "{run}: {:.2} s ({:.0} items/s); {} posts written, {} unchanged; {} comments stored, {} already there; {} malformed",
            elapsed.as_secs_f64(),
            summary.items as f64 / elapsed.as_secs_f64(),
            summary.posts_written,
            summary.posts_unchanged,
            summary.comments_stored,
            summary.comments_existing,
            summary.malformed.len(),
        );
    }
    println!(
        "peak memory (VmHWM): {} KB ({} KB after generating the export)",
        peak_memory_kb().unwrap_or(0),
        after_generating.unwrap_or(0)
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
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
fn write_export(path: &Path, posts: usize) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench Clinic</title><wp:wxr_version>1.2</wp:wxr_version>"#
    )?;
    let paragraph = "Muscle knots, also known as <em>myofascial trigger points</em>, can cause extensive discomfort in your neck, shoulders and back. When a muscle fiber is slightly damaged, it contracts and forms the knot; acupuncture helps it let go.";
    for n in 1..=posts {
        let day = n % 28 + 1;
        let month = n % 12 + 1;
        let content = if n % 2 == 0 {
            format!(
                "[caption width=\"300\"]<img src=\"https://clinic.example/wp-content/uploads/{n}.jpg\" alt=\"Photo {n}\" /> Caption {n}[/caption]\n\n{paragraph}\nA second line.\n\n<h2>Causes</h2>\n{paragraph}\n<ul>\n<li>Water</li>\n<li>Rest</li>\n</ul>\n\n{paragraph}"
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
        writeln!(out, "</item>")?;
    }
    writeln!(out, "</channel></rss>")?;
    out.flush()
}
