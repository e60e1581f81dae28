//! Feed regeneration cost against the size of the post index: wall time and the number
//! of content-store and index requests, for 100, 10,000 and 100,000 posts on the
//! embedded adapters (an in-memory SQLite index, a scratch content folder).
//!
//!   cargo run -p lambdapress-infra --example feeds_bench [-- 100 10000 100000]
//!
//! Results (and how to read them) are in BENCHMARKS.md.

use async_trait::async_trait;
use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::{PostMeta, Slug, Tag};
use lambdapress::feeds::Feeds;
use lambdapress::ports::{
    ContentKey, ContentStore, Fetched, PostIndex, PostPage, StoreError, StoredObject,
};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// Counts the requests that reach the wrapped adapters.
#[derive(Default)]
struct Counts {
    content_reads: AtomicUsize,
    content_writes: AtomicUsize,
    index_queries: AtomicUsize,
}

impl Counts {
    fn take(&self) -> (usize, usize, usize) {
        (
            self.content_reads.swap(0, Ordering::Relaxed),
            self.content_writes.swap(0, Ordering::Relaxed),
            self.index_queries.swap(0, Ordering::Relaxed),
        )
    }
}

struct CountedContent(FsContent, Arc<Counts>);
struct CountedIndex(SqlitePostIndex, Arc<Counts>);

#[async_trait]
impl ContentStore for CountedContent {
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError> {
        self.1.content_reads.fetch_add(1, Ordering::Relaxed);
        self.0.get(key, if_none_match).await
    }
    async fn put(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), StoreError> {
        self.1.content_writes.fetch_add(1, Ordering::Relaxed);
        self.0.put(key, bytes, content_type, cache_control).await
    }
    async fn put_if(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.1.content_writes.fetch_add(1, Ordering::Relaxed);
        self.0
            .put_if(key, bytes, content_type, cache_control, expected)
            .await
    }
    async fn delete(&self, key: &ContentKey) -> Result<(), StoreError> {
        self.0.delete(key).await
    }
    async fn list_post_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.1.content_reads.fetch_add(1, Ordering::Relaxed);
        self.0.list_post_slugs().await
    }
    async fn list_page_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.0.list_page_slugs().await
    }
    async fn list_post_versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        self.1.content_reads.fetch_add(1, Ordering::Relaxed);
        self.0.list_post_versions().await
    }
}

#[async_trait]
impl PostIndex for CountedIndex {
    async fn upsert(&self, meta: &PostMeta) -> Result<(), StoreError> {
        self.0.upsert(meta).await
    }
    async fn upsert_version(&self, meta: &PostMeta, etag: &str) -> Result<(), StoreError> {
        self.0.upsert_version(meta, etag).await
    }
    async fn versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.versions().await
    }
    async fn remove(&self, slug: &Slug) -> Result<(), StoreError> {
        self.0.remove(slug).await
    }
    async fn get(&self, slug: &Slug) -> Result<Option<PostMeta>, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.get(slug).await
    }
    async fn newest(
        &self,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.newest(now, offset, limit).await
    }
    async fn newest_tagged(
        &self,
        tag: &Slug,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.newest_tagged(tag, now, offset, limit).await
    }
    async fn newest_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.newest_between(from, until, offset, limit).await
    }
    async fn archive_summary(
        &self,
    ) -> Result<Option<lambdapress::domain::archive::ArchiveSummary>, StoreError> {
        self.1.index_queries.fetch_add(1, Ordering::Relaxed);
        self.0.archive_summary().await
    }
    async fn put_archive_summary(
        &self,
        summary: &lambdapress::domain::archive::ArchiveSummary,
    ) -> Result<(), StoreError> {
        self.0.put_archive_summary(summary).await
    }
}

const SETTINGS: &str = "title = \"Bench\"\nbase_url = \"https://bench.example\"\n[owner]\nname = \"Owner\"\n[address]\nstreet = \"1 Main St\"\nlocality = \"Town\"\n";

fn post_source(n: usize) -> String {
    format!(
        "+++\ntitle = \"Post {n} & friends\"\ndate = {}\nsummary = \"Summary {n}\"\ntags = [\"Tag {}\"]\n+++\n## Heading\n\nBody of post {n}, with *emphasis* and a [link](/posts/post-1).\n",
        lambdapress::domain::time_fmt::sort_key(date(n)),
        n % 50
    )
}

/// Post `n` is `n` hours after the first, so higher numbers are newer.
fn date(n: usize) -> OffsetDateTime {
    time::macros::datetime!(2000-01-01 00:00 UTC) + time::Duration::hours(n as i64)
}

fn row(size: usize, what: &str, elapsed: std::time::Duration, counts: (usize, usize, usize)) {
    println!(
        "| {size:>7} | {what:<44} | {:>9.1} | {:>5} | {:>6} | {:>5} |",
        elapsed.as_secs_f64() * 1000.0,
        counts.0,
        counts.1,
        counts.2
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![100, 10_000, 100_000]
    } else {
        sizes
    };
    println!("| posts   | regeneration                                 | time (ms) | reads | writes | index |");
    println!("|--------:|----------------------------------------------|----------:|------:|-------:|------:|");
    for size in sizes {
        let dir =
            std::env::temp_dir().join(format!("lambdapress-bench-{}-{size}", std::process::id()));
        std::fs::create_dir_all(dir.join("content/posts"))?;
        std::fs::write(dir.join("content/site.toml"), SETTINGS)?;
        let counts = Arc::new(Counts::default());
        let index = SqlitePostIndex::in_memory()?;
        for n in 0..size {
            let slug = Slug::parse(&format!("post-{n}"))?;
            // Only the newest posts' files are ever read by regeneration; writing every
            // file would only slow the set-up.
            if n + 100 >= size {
                std::fs::write(dir.join(format!("content/posts/{slug}.md")), post_source(n))?;
            }
            index
                .upsert(&PostMeta {
                    slug,
                    title: format!("Post {n} & friends"),
                    summary: format!("Summary {n}"),
                    date: date(n),
                    updated: None,
                    tags: vec![Tag::parse(&format!("Tag {}", n % 50))?],
                    comments_open: true,
                })
                .await?;
        }
        let content = Arc::new(CountedContent(
            FsContent::new(dir.join("content"), dir.join("generated")),
            counts.clone(),
        ));
        let feeds = Feeds::new(content, Arc::new(CountedIndex(index, counts.clone())))
            .with_comments(Arc::new(SqliteCommentStore::in_memory()?));
        let newest = BTreeSet::from([Slug::parse(&format!("post-{}", size - 1))?]);

        counts.take();
        let started = Instant::now();
        feeds.regenerate().await?;
        row(
            size,
            "rebuild: everything, a comment feed per post",
            started.elapsed(),
            counts.take(),
        );

        let started = Instant::now();
        let report = feeds.publish_due().await?;
        assert!(report.written.is_empty());
        row(
            size,
            "hourly schedule, nothing due (posts feeds)",
            started.elapsed(),
            counts.take(),
        );

        let started = Instant::now();
        feeds.comments_changed(&newest).await?;
        row(
            size,
            "comment approved (site + post comment feeds)",
            started.elapsed(),
            counts.take(),
        );

        let started = Instant::now();
        feeds.posts_changed(&newest).await?;
        row(
            size,
            "post edited (feeds + sitemap + comment feeds)",
            started.elapsed(),
            counts.take(),
        );
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
