//! The feeds function's handler. S3 events for `posts/` keep the post index current and
//! regenerate the posts feeds and sitemap; DynamoDB stream batches regenerate the comment
//! feeds of the threads they touch; the schedule publishes posts whose date has arrived;
//! `{"rebuild": "all"}` re-indexes the bucket and regenerates everything.
//!
//! Regeneration reads the newest `feed_items` entries of an index, never the whole
//! bucket, and rewrites only objects whose bytes changed.

pub mod atom;
pub mod comments;
pub mod events;
pub mod generate;
pub mod json_feed;
pub mod publish;
pub mod rss;
pub mod search;
pub mod sitemap;

use crate::domain::{SettingsError, SiteSettings, Slug};
use crate::indexer::{drop_missing, index_post, reconcile_listed, sync_post, IndexOutcome};
use crate::ports::{CommentStore, ContentKey, ContentStore, Fetched, PostIndex, StoreError};
use crate::redirects::{sync_aliases, AliasOwner};
use events::{Trigger, UnknownEvent};
use generate::{FeedSite, Output};
use publish::{publish_all, Published};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::OffsetDateTime;

pub use events::post_slugs_in;

pub struct FeedsOptions {
    /// Overrides `base_url` from `site.toml` (the deployed URL, or the local address), as
    /// the site function's option does, so feed links match the pages.
    pub base_url: Option<String>,
    pub clock: fn() -> OffsetDateTime,
    /// A rebuild re-indexes this many posts between looks at the deadline.
    pub rebuild_chunk: usize,
    /// A rebuild stops for a continuation once less than this is left before the deadline.
    pub rebuild_margin: std::time::Duration,
    /// How long a run holds the publishing lease at most: longer than the function's
    /// timeout (60 s), so a holder that died is gone before its lease lapses.
    pub lease_ttl: std::time::Duration,
    /// How long a run waits for another run's lease before it fails (and is retried).
    pub lease_wait: std::time::Duration,
    /// The hourly run re-checks the comment feeds of this many posts, a different slice
    /// of the bucket's posts each hour, so a thread whose stream records were lost is
    /// repaired within `posts / comment_checks` hours whatever changed in it.
    pub comment_checks: usize,
}

impl Default for FeedsOptions {
    fn default() -> Self {
        FeedsOptions {
            base_url: None,
            clock: OffsetDateTime::now_utc,
            rebuild_chunk: 100,
            rebuild_margin: std::time::Duration::from_secs(20),
            lease_ttl: std::time::Duration::from_secs(90),
            lease_wait: std::time::Duration::from_secs(20),
            comment_checks: 100,
        }
    }
}

pub struct Feeds {
    pub content: Arc<dyn ContentStore>,
    pub index: Arc<dyn PostIndex>,
    /// Without a comment store, the comment feeds are left as they are.
    pub comments: Option<Arc<dyn CommentStore>>,
    pub options: FeedsOptions,
    /// Mails a post's first publication to the subscribers (see `newsletter`).
    pub newsletter: Option<Arc<crate::newsletter::Planner>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    #[error(transparent)]
    UnknownEvent(#[from] UnknownEvent),
    /// Returned to Lambda so the event is retried: nothing is lost to a passing outage.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Another run held the publishing lease for all of `lease_wait`: retried later.
    #[error("another feeds run is publishing; try again")]
    Busy,
}

/// What one invocation did: each post it synced, and each object written or left alone.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub posts: BTreeMap<String, String>,
    /// Each page an upload touched, checked (`sync_page`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub pages: BTreeMap<String, String>,
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    /// Comment feeds of posts no longer published, taken down.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub removed: Vec<String>,
    /// A rebuild that ran out of time: the event that continues it (`{"rebuild": "all",
    /// "after": "<last slug done>"}`), which the function queues for itself.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub continue_with: Option<Value>,
    /// The search index's build, when this run made one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub search: Option<search::SearchBuild>,
}

impl Report {
    fn record(&mut self, published: Vec<(String, Published)>) {
        for (key, what) in published {
            match what {
                Published::Written => self.written.push(key),
                Published::Unchanged => self.unchanged.push(key),
            }
        }
    }

    fn indexed(&mut self, slug: &Slug, outcome: &IndexOutcome) {
        self.posts.insert(slug.to_string(), Self::word(outcome));
    }

    fn page_checked(&mut self, slug: &Slug, outcome: &IndexOutcome) {
        self.pages.insert(slug.to_string(), Self::word(outcome));
    }

    fn word(outcome: &IndexOutcome) -> String {
        match outcome {
            IndexOutcome::Indexed => "indexed".to_owned(),
            IndexOutcome::Draft => "draft".to_owned(),
            IndexOutcome::Removed => "removed".to_owned(),
            IndexOutcome::Rejected(e) => format!("rejected: {e}"),
        }
    }

    /// Whether any of these keys was rewritten.
    pub fn wrote_any(&self, keys: &[&str]) -> bool {
        self.written.iter().any(|w| keys.contains(&w.as_str()))
    }
}

/// Hour `hour`'s slice of `posts` (sorted): `per_pass` of them, so consecutive hours
/// walk every post once per `posts / per_pass` hours.
pub fn hourly_slice(posts: &[Slug], hour: i64, per_pass: usize) -> &[Slug] {
    if posts.is_empty() || per_pass == 0 {
        return &[];
    }
    let slices = posts.len().div_ceil(per_pass);
    let slice = usize::try_from(hour.rem_euclid(slices as i64)).unwrap_or(0);
    let start = slice * per_pass;
    &posts[start..(start + per_pass).min(posts.len())]
}

/// A name no other run shares: the process, a counter and the time.
fn lease_holder() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUNS: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    )
}

const POSTS_FEEDS: &[&str] = &["feed.xml", "atom.xml", "feed.json"];

impl Feeds {
    pub fn new(content: Arc<dyn ContentStore>, index: Arc<dyn PostIndex>) -> Feeds {
        Feeds {
            content,
            index,
            comments: None,
            options: FeedsOptions::default(),
            newsletter: None,
        }
    }

    pub fn with_newsletter(mut self, planner: Arc<crate::newsletter::Planner>) -> Feeds {
        self.newsletter = Some(planner);
        self
    }

    pub fn with_comments(mut self, comments: Arc<dyn CommentStore>) -> Feeds {
        self.comments = Some(comments);
        self
    }

    pub fn with_options(mut self, options: FeedsOptions) -> Feeds {
        self.options = options;
        self
    }

    /// The Lambda entry point: any event the function is subscribed to.
    pub async fn handle(&self, event: Value) -> Result<Value, FeedsError> {
        let no_deadline = std::time::Instant::now() + std::time::Duration::from_secs(86_400);
        self.handle_until(event, no_deadline).await
    }

    /// `handle` with the invocation's deadline (the Lambda context's): a rebuild stops in
    /// time and answers with its continuation.
    pub async fn handle_until(
        &self,
        event: Value,
        deadline: std::time::Instant,
    ) -> Result<Value, FeedsError> {
        let stream_records = events::stream_sequence_numbers(&event);
        let report = match events::parse(event)? {
            // Nothing this function cares about (another key, pending-only churn).
            Trigger::Comments(slugs) if slugs.is_empty() => Report::default(),
            // Any other key of the bucket (feeds, media, site.toml): nothing to do.
            Trigger::Stored { posts, pages } => self.stored_changed(&posts, &pages).await?,
            // A stream batch answers with `batchItemFailures` (ReportBatchItemFailures):
            // a failed regeneration names the batch's records, so Lambda retries them
            // (bisecting, up to the mapping's bound) and then sends them to the on-failure
            // queue, instead of the whole shard stalling on one error.
            Trigger::Comments(slugs) => {
                return Ok(match self.comments_changed(&slugs).await {
                    Ok(report) => {
                        tracing::info!(written = ?report.written, "comment feeds regenerated");
                        let mut out = serde_json::to_value(report).expect("a report serializes");
                        out["batchItemFailures"] = events::batch_item_failures(&[]);
                        out
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "comment feeds not regenerated; batch reported failed");
                        serde_json::json!({
                            "batchItemFailures": events::batch_item_failures(&stream_records)
                        })
                    }
                });
            }
            Trigger::Schedule => self.publish_due().await?,
            Trigger::Rebuild { after } => self.rebuild_until(after.as_ref(), deadline).await?,
        };
        tracing::info!(written = ?report.written, posts = ?report.posts, "feeds regenerated");
        Ok(serde_json::to_value(report).expect("a report serializes"))
    }

    /// Posts changed in the store: brings their index entries in line, then regenerates
    /// the posts feeds, the sitemap and robots.txt once for the whole batch.
    pub async fn posts_changed(&self, slugs: &BTreeSet<Slug>) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        for slug in slugs {
            let outcome = sync_post(self.content.as_ref(), self.index.as_ref(), slug).await?;
            report.indexed(slug, &outcome);
            if let (IndexOutcome::Indexed, Some(planner)) = (&outcome, &self.newsletter) {
                planner.post_indexed(slug, (self.options.clock)()).await?;
            }
        }
        self.leased(async {
            let site = self.site().await?;
            self.regenerate_posts(&site, &mut report).await?;
            self.regenerate_sitemap(&site, &mut report).await?;
            // A post's title is in its comment feeds; a post unpublished takes its
            // comments out of the site's comment feed.
            self.regenerate_comments(&site, slugs, &mut report).await
        })
        .await?;
        Ok(report)
    }

    /// Posts and pages created, edited or removed in the store (an S3 batch, the local
    /// watcher): `posts_changed` for the posts, `pages_changed` for the pages, one report.
    pub async fn stored_changed(
        &self,
        posts: &BTreeSet<Slug>,
        pages: &BTreeSet<Slug>,
    ) -> Result<Report, FeedsError> {
        let mut report = match posts.is_empty() {
            true => Report::default(),
            false => self.posts_changed(posts).await?,
        };
        if !pages.is_empty() {
            let paged = self.pages_changed(pages).await?;
            report.pages = paged.pages;
            report.written.extend(paged.written);
            report.unchanged.extend(paged.unchanged);
        }
        Ok(report)
    }

    /// Pages changed in the store: checks each and brings its `aliases` in line in
    /// `redirects.toml` (the site serves them from there, with no read per request), then
    /// regenerates the sitemap, which lists every served page. Feeds carry posts only.
    pub async fn pages_changed(&self, slugs: &BTreeSet<Slug>) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        for slug in slugs {
            let outcome = crate::indexer::sync_page(self.content.as_ref(), slug).await?;
            report.page_checked(slug, &outcome);
        }
        self.leased(async {
            let site = self.site().await?;
            self.regenerate_sitemap(&site, &mut report).await.map(drop)
        })
        .await?;
        Ok(report)
    }

    /// Comments on these posts were approved, un-approved, edited or deleted: regenerates
    /// the site's comment feed and each of these posts' comment feeds, once per batch.
    /// The local comment handler calls this in process after a moderation action.
    pub async fn comments_changed(&self, slugs: &BTreeSet<Slug>) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        self.leased(async {
            let site = self.site().await?;
            self.regenerate_comments(&site, slugs, &mut report).await
        })
        .await?;
        Ok(report)
    }

    /// The schedule: a post whose date has arrived enters the newest-first index listing,
    /// which changes the posts feeds; only then is the sitemap rebuilt. A tick with nothing
    /// due reads `feed_items` entries and writes nothing.
    ///
    /// It first reconciles the index with the bucket's `posts/` listing, so a lost S3
    /// event is repaired within the hour; the posts it repaired get their sitemap entry
    /// and comment feeds rebuilt too. It then re-checks the comment feeds of the posts
    /// with the site's newest approved comments and of this hour's slice of all posts
    /// (`comment_checks`), so a lost stream batch is repaired as well.
    pub async fn publish_due(&self) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        let (drifted, present) =
            reconcile_listed(self.content.as_ref(), self.index.as_ref()).await?;
        for (slug, outcome) in &drifted {
            report.indexed(slug, outcome);
        }
        // A page event that was lost: the pages' aliases are derived again each hour
        // (a site has a handful of pages; one read each, a write only on a change).
        let pages: Vec<AliasOwner> = self
            .content
            .list_page_slugs()
            .await?
            .into_iter()
            .map(AliasOwner::Page)
            .collect();
        sync_aliases(self.content.as_ref(), &pages).await?;
        let site = self.site().await?;
        if let Some(planner) = &self.newsletter {
            planner
                .publish_due(self.index.as_ref(), (self.options.clock)())
                .await?;
        }
        self.leased(async {
            self.regenerate_posts(&site, &mut report).await?;
            if !drifted.is_empty() || report.wrote_any(POSTS_FEEDS) {
                self.regenerate_sitemap(&site, &mut report).await?;
            } else {
                // The search index is checked each hour all the same, so one lost (or
                // made by an older version) is rebuilt within the hour; unchanged posts
                // are not read again, and an unchanged index is not rewritten.
                let now = (self.options.clock)();
                let (posts, pages) = futures::future::try_join(
                    generate::all_published(self.index.as_ref(), now),
                    generate::published_pages(self.content.as_ref()),
                )
                .await?;
                self.regenerate_search(&site, &posts, &pages, &mut report)
                    .await?;
            }
            // Comment feeds whose thread may have changed with no stream record reaching
            // us: the drifted posts, those with the newest approved comments, and this
            // hour's slice of every post. Unchanged feeds are read, not written.
            let mut threads: BTreeSet<Slug> =
                drifted.iter().map(|(slug, _)| slug.clone()).collect();
            if let Some(store) = &self.comments {
                let recent = store.newest_approved(site.items).await?;
                threads.extend(recent.into_iter().map(|c| c.post));
                let hour = (self.options.clock)().unix_timestamp().div_euclid(3600);
                threads.extend(
                    hourly_slice(&present, hour, self.options.comment_checks)
                        .iter()
                        .cloned(),
                );
            }
            if !threads.is_empty() {
                self.regenerate_comments(&site, &threads, &mut report)
                    .await?;
            }
            Ok(())
        })
        .await?;
        Ok(report)
    }

    /// Re-indexes every post in the bucket and regenerates every generated object, in one
    /// go (the CLI, the local runner).
    pub async fn rebuild(&self) -> Result<Report, FeedsError> {
        let no_deadline = std::time::Instant::now() + std::time::Duration::from_secs(86_400);
        self.rebuild_until(None, no_deadline).await
    }

    /// A rebuild that fits in invocations: it re-indexes the bucket's posts past `after`
    /// in slug order, `rebuild_chunk` at a time, and once less than `rebuild_margin` is
    /// left before `deadline` stops with `continue_with` set (at least one chunk per
    /// invocation, so it always progresses). Each chunk's comment feeds are regenerated
    /// with it; the invocation that reaches the last post drops entries whose object is
    /// gone and regenerates the posts feeds, the sitemap and the site's comment feed.
    pub async fn rebuild_until(
        &self,
        after: Option<&Slug>,
        deadline: std::time::Instant,
    ) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        let present = self.content.list_post_slugs().await?;
        let todo: Vec<&Slug> = present
            .iter()
            .filter(|s| after.is_none_or(|a| *s > a))
            .collect();
        for chunk in todo.chunks(self.options.rebuild_chunk.max(1)) {
            // The chunk's aliases in one write, before their index entries (as `sync_post`).
            let owners: Vec<AliasOwner> = chunk
                .iter()
                .map(|s| AliasOwner::Post((*s).clone()))
                .collect();
            sync_aliases(self.content.as_ref(), &owners).await?;
            for slug in chunk {
                let outcome = index_post(self.content.as_ref(), self.index.as_ref(), slug).await?;
                report.indexed(slug, &outcome);
            }
            // Each chunk's comment feeds now, so the last invocation's work does not
            // grow with the site.
            let slugs: BTreeSet<Slug> = chunk.iter().map(|s| (*s).clone()).collect();
            self.leased(async {
                let site = self.site().await?;
                self.regenerate_comments(&site, &slugs, &mut report).await
            })
            .await?;
            let last = chunk.last().expect("chunks are never empty");
            let more = Some(*last) != todo.last().copied();
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if more && left < self.options.rebuild_margin {
                report.continue_with =
                    Some(serde_json::json!({"rebuild": "all", "after": last.as_str()}));
                return Ok(report);
            }
        }
        // The aliases of posts gone from the bucket, and of every page, then the entries.
        let listed: BTreeSet<&Slug> = present.iter().collect();
        let mut gone: Vec<AliasOwner> = self
            .index
            .slugs()
            .await?
            .into_iter()
            .filter(|s| !listed.contains(s))
            .map(AliasOwner::Post)
            .collect();
        gone.extend(
            self.content
                .list_page_slugs()
                .await?
                .into_iter()
                .map(AliasOwner::Page),
        );
        sync_aliases(self.content.as_ref(), &gone).await?;
        let dropped = drop_missing(self.index.as_ref(), &present).await?;
        for (slug, outcome) in &dropped {
            report.indexed(slug, outcome);
        }
        let dropped: BTreeSet<Slug> = dropped.into_iter().map(|(slug, _)| slug).collect();
        self.leased(async {
            let site = self.site().await?;
            self.regenerate_posts(&site, &mut report).await?;
            self.regenerate_sitemap(&site, &mut report).await?;
            // The dropped posts' comment feeds go, and the site's comment feed follows.
            self.regenerate_comments(&site, &dropped, &mut report).await
        })
        .await?;
        Ok(report)
    }

    /// Regenerates every generated object from the index as it stands (no re-index):
    /// what the local runner does at startup.
    pub async fn regenerate(&self) -> Result<Report, FeedsError> {
        let mut report = Report::default();
        self.leased(async {
            let site = self.site().await?;
            self.regenerate_posts(&site, &mut report).await?;
            let published = self.regenerate_sitemap(&site, &mut report).await?;
            let every_post: BTreeSet<Slug> = published.into_iter().map(|p| p.slug).collect();
            self.regenerate_comments(&site, &every_post, &mut report)
                .await
        })
        .await?;
        Ok(report)
    }

    /// Runs `work` (reads of the index and comments, then the writes of what they say)
    /// under the publishing lease: runs take turns, and each reads after the previous
    /// one published, so no run lands an older snapshot over a newer one. (Conditional
    /// S3 writes cannot do this: a newer run that finds an object's bytes current writes
    /// nothing, so an older run's `If-Match` on that ETag still succeeds.) The lease
    /// outlives the function's timeout, so a run that died holds it no longer than that.
    async fn leased<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, FeedsError>>,
    ) -> Result<T, FeedsError> {
        let holder = lease_holder();
        let waited = std::time::Instant::now();
        loop {
            let now = OffsetDateTime::now_utc();
            let until = now + self.options.lease_ttl;
            if self.index.take_publish_lease(&holder, now, until).await? {
                break;
            }
            if waited.elapsed() >= self.options.lease_wait {
                return Err(FeedsError::Busy);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let result = work.await;
        let released = self.index.release_publish_lease(&holder).await;
        let out = result?;
        released?;
        Ok(out)
    }

    /// The site's comment feed and the comment feeds of `slugs` (those published).
    async fn regenerate_comments(
        &self,
        site: &FeedSite,
        slugs: &BTreeSet<Slug>,
        report: &mut Report,
    ) -> Result<(), FeedsError> {
        let Some(store) = &self.comments else {
            return Ok(());
        };
        let now = (self.options.clock)();
        let index = self.index.as_ref();
        let newest = comments::site_comments(store.as_ref(), index, site, now).await?;
        let mut outputs = vec![generate::site_comments_feed(site, &newest)];
        let threads = slugs
            .iter()
            .map(|slug| comments::post_comments(store.as_ref(), index, site, slug, now));
        let threads = futures::future::try_join_all(threads).await?;
        for (slug, thread) in slugs.iter().zip(threads) {
            match thread {
                Some((post, items)) => outputs.push(generate::post_comments_feed(
                    site,
                    &post.slug,
                    &post.title,
                    &items,
                )),
                // Unpublished or deleted: its comment feed goes too, so the URL is a 404.
                None => {
                    let key = ContentKey::post_comments_feed(slug);
                    if let Fetched::Found(_) = self.content.get(&key, None).await? {
                        self.content.delete(&key).await?;
                        report.removed.push(key.to_string());
                    }
                }
            }
        }
        self.publish(outputs, report).await
    }

    async fn regenerate_posts(
        &self,
        site: &FeedSite,
        report: &mut Report,
    ) -> Result<(), FeedsError> {
        let now = (self.options.clock)();
        let newest =
            generate::newest_posts(self.content.as_ref(), self.index.as_ref(), site, now).await?;
        // Entries the objects contradict (a lost or late S3 event): repaired now, so the
        // sitemap and the listings that follow agree with the feeds.
        for slug in &newest.stale {
            let outcome = sync_post(self.content.as_ref(), self.index.as_ref(), slug).await?;
            report.indexed(slug, &outcome);
        }
        self.publish(generate::posts_feeds(site, &newest.posts), report)
            .await
    }

    async fn regenerate_sitemap(
        &self,
        site: &FeedSite,
        report: &mut Report,
    ) -> Result<Vec<crate::domain::PostMeta>, FeedsError> {
        let now = (self.options.clock)();
        let (posts, pages) = futures::future::try_join(
            generate::all_published(self.index.as_ref(), now),
            generate::published_pages(self.content.as_ref()),
        )
        .await?;
        let listed: Vec<sitemap::SitemapPage> = pages.iter().map(|p| p.sitemap()).collect();
        self.publish(generate::sitemap_and_robots(site, &posts, &listed), report)
            .await?;
        self.regenerate_search(site, &posts, &pages, report).await?;
        // `/tags` and `/archive` read this summary of the same list (a write only when
        // it changed).
        let summary = crate::domain::archive::ArchiveSummary::of(&posts);
        if self.index.archive_summary().await?.as_ref() != Some(&summary) {
            self.index.put_archive_summary(&summary).await?;
        }
        Ok(posts)
    }

    /// `search/index.bin` for these published posts and pages, from the stored index's
    /// unchanged posts and a read of each other; written only when its bytes change.
    async fn regenerate_search(
        &self,
        site: &FeedSite,
        posts: &[crate::domain::PostMeta],
        pages: &[generate::PublishedPage],
        report: &mut Report,
    ) -> Result<(), FeedsError> {
        let key = crate::search::index_key();
        let previous = match self.content.get(&key, None).await? {
            Fetched::Found(object) => crate::search::SearchIndex::parse(object.bytes)
                .inspect_err(|e| tracing::warn!(error = %e, "search index rebuilt whole"))
                .ok(),
            Fetched::Missing | Fetched::NotModified => None,
        };
        let stemming = crate::search::Stemming::for_language(&site.language);
        let now = (self.options.clock)();
        let (bytes, build) = search::build(
            self.content.as_ref(),
            posts,
            pages,
            stemming,
            now,
            previous.as_ref(),
        )
        .await?;
        tracing::info!(?build, "search index built");
        report.search = Some(build);
        if previous.is_some_and(|p| p.as_bytes() == bytes.as_slice()) {
            report.unchanged.push(key.to_string());
            return Ok(());
        }
        self.content
            .put(&key, bytes, search::CONTENT_TYPE, search::CACHE_CONTROL)
            .await?;
        report.written.push(key.to_string());
        Ok(())
    }

    async fn publish(&self, outputs: Vec<Output>, report: &mut Report) -> Result<(), FeedsError> {
        report.record(publish_all(self.content.as_ref(), outputs).await?);
        Ok(())
    }

    /// The site's settings as the feeds see them, read once per invocation.
    pub async fn site(&self) -> Result<FeedSite, FeedsError> {
        let settings = match self.content.get(&ContentKey::site_settings(), None).await? {
            Fetched::Found(object) => SiteSettings::parse(&String::from_utf8_lossy(&object.bytes))?,
            Fetched::Missing | Fetched::NotModified => {
                return Err(SettingsError("the file is missing".into()).into())
            }
        };
        let mut site = FeedSite::new(&settings);
        site.base_url = crate::http::base_url::resolve(
            self.options.base_url.as_deref(),
            None,
            &site.base_url,
            crate::http::base_url::in_lambda(),
        )?;
        Ok(site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_hours_check_every_post_once() {
        let posts: Vec<Slug> = (0..250)
            .map(|n| Slug::parse(&format!("p{n:03}")).unwrap())
            .collect();
        let mut seen = Vec::new();
        for hour in 1_000..1_003 {
            seen.extend_from_slice(hourly_slice(&posts, hour, 100));
        }
        seen.sort();
        assert_eq!(seen, posts);
        assert_eq!(hourly_slice(&posts, -5, 100).len(), 100);
        assert!(hourly_slice(&[], 7, 100).is_empty());
        assert!(hourly_slice(&posts, 7, 0).is_empty());
    }
}
