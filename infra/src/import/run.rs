//! One import run: reads the export (a first pass for attachments, a second for posts
//! and comments), writes each post through the content port and indexes it as any
//! publish is, stores comments once, and keeps the summary.

use super::comment::{map_comments, SkippedComment};
use super::markdown::Converter;
use super::old_urls::OldUrls;
use super::post::{map_post, Attachments, NotAPost, Slugs};
use super::wxr::{Malformed, Position, WxrReader};
use lambdapress::domain::Secret;
use lambdapress::indexer::{sync_post, IndexOutcome};
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched, Inserted, PostIndex};
use lambdapress::redirects::{redirects_key, Redirects};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Where the import writes: the same ports the site reads.
pub struct Stores<'a> {
    pub content: &'a dyn ContentStore,
    pub index: &'a dyn PostIndex,
    pub comments: &'a dyn CommentStore,
    /// Hashes comment fingerprints and client addresses as the site does.
    pub secret: &'a Secret,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Read and report; write nothing.
    pub dry_run: bool,
    /// Replace a `posts/<slug>.md` that exists with different content (by default it is
    /// kept and reported, so edits made after a first import survive a second).
    pub overwrite: bool,
}

/// Told as the import goes: bytes read of the total, and the counts so far.
pub trait Progress {
    fn start(&self, _total_bytes: u64) {}
    fn advance(&self, _bytes_read: u64, _summary: &Summary) {}
    fn finish(&self, _summary: &Summary) {}
}

/// No progress shown (tests, benchmarks).
pub struct Silent;
impl Progress for Silent {}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub dry_run: bool,
    pub items: usize,
    /// Published posts in the export that were imported (written or already there).
    pub posts: usize,
    /// Drafts (and pending or private posts), imported as drafts.
    pub drafts: usize,
    /// Post files written (new, or replaced with `--overwrite`).
    pub posts_written: usize,
    /// Post files that already held exactly what the import would write.
    pub posts_unchanged: usize,
    /// Post files kept because they differ from the export (`--overwrite` replaces them).
    pub posts_kept: Vec<String>,
    pub comments_approved: usize,
    pub comments_pending: usize,
    /// Comments stored by this run.
    pub comments_stored: usize,
    /// Comments already stored by an earlier run.
    pub comments_existing: usize,
    /// Items not imported, by reason.
    pub skipped_items: BTreeMap<String, usize>,
    /// Comments not imported, by reason.
    pub skipped_comments: BTreeMap<String, usize>,
    /// Items that could not be read, with where they are.
    pub malformed: Vec<Malformed>,
    /// Old addresses (permalinks, `?p=`, archives, feeds) the export gives redirects for.
    pub redirects: usize,
    /// Of those, the ones `redirects.toml` did not hold yet.
    pub redirects_added: usize,
    /// Things the owner may want to check, with the post they concern.
    pub notes: Vec<String>,
}

impl Summary {
    pub fn comments(&self) -> usize {
        self.comments_approved + self.comments_pending
    }

    pub fn skipped(&self) -> usize {
        self.skipped_items.values().sum::<usize>() + self.skipped_comments.values().sum::<usize>()
    }
}

/// Runs the import of the export at `path` into `stores`.
pub async fn import_wordpress(
    path: &Path,
    stores: &Stores<'_>,
    options: Options,
    progress: &dyn Progress,
) -> anyhow::Result<Summary> {
    let open = || -> anyhow::Result<WxrReader<BufReader<File>>> {
        let file =
            File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        Ok(WxrReader::new(BufReader::with_capacity(256 * 1024, file)))
    };
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);

    // Featured images point at attachments that may come later in the export.
    let mut attachments = Attachments::default();
    let mut old_urls = OldUrls::new();
    for item in open()?.flatten() {
        attachments.add(&item);
        old_urls.attachment(&item);
    }

    let converter = Converter::new();
    let mut slugs = Slugs::default();
    let mut summary = Summary {
        dry_run: options.dry_run,
        ..Summary::default()
    };
    progress.start(total);
    let mut reader = open()?;
    while let Some(next) = reader.next_item() {
        summary.items += 1;
        match next {
            Err(malformed) => summary.malformed.push(malformed),
            Ok(item) => {
                let position = item.position.unwrap_or(Position { item: 0, offset: 0 });
                match map_post(&item, &attachments, &mut slugs, &converter) {
                    Err(NotAPost::Malformed(reason)) => {
                        summary.malformed.push(Malformed { position, reason })
                    }
                    Err(reason) => {
                        *summary
                            .skipped_items
                            .entry(reason.summary_reason())
                            .or_default() += 1;
                        // Comments on a page or a trashed post go with it.
                        if !item.comments.is_empty() && reason != NotAPost::Attachment {
                            *summary
                                .skipped_comments
                                .entry("on items that are not imported".into())
                                .or_default() += item.comments.len();
                        }
                    }
                    Ok(post) => {
                        for note in &post.notes {
                            summary
                                .notes
                                .push(format!("posts/{}.md ({position}): {note}", post.slug));
                        }
                        write_post(stores, options, &post, &mut summary).await?;
                        if !post.draft {
                            old_urls.post(&item, &post.slug, &post.tags, post.date);
                        }
                        let comments =
                            map_comments(&post.slug, &item.comments, &converter, stores.secret);
                        for (wp_id, mapped) in comments {
                            match mapped {
                                Ok(comment) => {
                                    write_comment(stores, options, &comment, &mut summary).await?
                                }
                                Err(skipped) => {
                                    if let SkippedComment::Invalid(why) = &skipped {
                                        summary.notes.push(format!(
                                            "posts/{}.md: WordPress comment {wp_id} skipped: {why}",
                                            post.slug
                                        ));
                                    }
                                    *summary
                                        .skipped_comments
                                        .entry(skipped.summary_reason())
                                        .or_default() += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        progress.advance(reader.bytes_read(), &summary);
    }
    write_redirects(stores, options, old_urls.finish(), &mut summary).await?;
    progress.finish(&summary);
    Ok(summary)
}

/// Merges the old addresses into `redirects.toml`: entries already there (the owner's,
/// or an earlier run's) are kept as they are; the object is written only if it changes.
async fn write_redirects(
    stores: &Stores<'_>,
    options: Options,
    imported: Redirects,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let key = redirects_key();
    let (existing_bytes, mut merged) = match stores.content.get(&key, None).await? {
        Fetched::Found(o) => {
            let text = String::from_utf8_lossy(&o.bytes).into_owned();
            let parsed = Redirects::parse(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{e}; fix or remove it before importing (nothing was written to it)"
                )
            })?;
            (Some(o.bytes), parsed)
        }
        _ => (None, Redirects::new()),
    };
    summary.redirects = imported.len();
    for (from, to) in imported.entries() {
        if !merged.contains(from) {
            let _ = merged.insert(from, to);
            summary.redirects_added += 1;
        }
    }
    let text = merged.to_toml();
    if existing_bytes.as_deref() == Some(text.as_bytes()) || summary.redirects_added == 0 {
        return Ok(());
    }
    if !options.dry_run {
        stores
            .content
            .put(&key, text.into_bytes(), "application/toml", "no-cache")
            .await?;
    }
    Ok(())
}

async fn write_post(
    stores: &Stores<'_>,
    options: Options,
    post: &super::post::MappedPost,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    if post.draft {
        summary.drafts += 1;
    } else {
        summary.posts += 1;
    }
    let key = ContentKey::post(&post.slug);
    let write = match stores.content.get(&key, None).await? {
        Fetched::Found(existing) if existing.bytes == post.source.as_bytes() => {
            summary.posts_unchanged += 1;
            false
        }
        Fetched::Found(_) if !options.overwrite => {
            summary.posts_kept.push(key.to_string());
            false
        }
        _ => {
            summary.posts_written += 1;
            true
        }
    };
    if options.dry_run {
        return Ok(());
    }
    if write {
        stores
            .content
            .put(
                &key,
                post.source.clone().into_bytes(),
                "text/markdown; charset=utf-8",
                "no-cache",
            )
            .await?;
    }
    // Indexed as every publish is (S3 events do the same in AWS; this is idempotent).
    if let IndexOutcome::Rejected(e) = sync_post(stores.content, stores.index, &post.slug).await? {
        summary
            .notes
            .push(format!("{key}: the index refused it: {e}"));
    }
    Ok(())
}

async fn write_comment(
    stores: &Stores<'_>,
    options: Options,
    comment: &lambdapress::domain::Comment,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    match comment.status {
        lambdapress::domain::CommentStatus::Approved => summary.comments_approved += 1,
        _ => summary.comments_pending += 1,
    }
    // Looked up by its (deterministic) id first: a comment an earlier run stored is left
    // exactly as it is now, whatever the owner did with it since.
    if stores.comments.get(&comment.id).await?.is_some() {
        summary.comments_existing += 1;
        return Ok(());
    }
    if options.dry_run {
        summary.comments_stored += 1;
        return Ok(());
    }
    match stores.comments.insert(comment).await? {
        Inserted::Stored => summary.comments_stored += 1,
        Inserted::Duplicate => summary.comments_existing += 1,
    }
    Ok(())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let would =
            |done: &'static str, would: &'static str| if self.dry_run { would } else { done };
        writeln!(
            f,
            "{} items read: {} posts, {} drafts, {} comments ({} approved, {} pending)",
            self.items,
            self.posts,
            self.drafts,
            self.comments(),
            self.comments_approved,
            self.comments_pending
        )?;
        writeln!(
            f,
            "  posts:    {} {}, {} already up to date, {} kept (different from the export; --overwrite replaces them)",
            self.posts_written,
            would("written", "to write"),
            self.posts_unchanged,
            self.posts_kept.len()
        )?;
        writeln!(
            f,
            "  comments: {} {}, {} already stored",
            self.comments_stored,
            would("stored", "to store"),
            self.comments_existing
        )?;
        writeln!(
            f,
            "  redirects: {} old addresses, {} {} to redirects.toml",
            self.redirects,
            self.redirects_added,
            would("added", "to add")
        )?;
        for (reason, n) in &self.skipped_items {
            writeln!(f, "  skipped {n} {reason}")?;
        }
        for (reason, n) in &self.skipped_comments {
            writeln!(f, "  skipped {n} comments: {reason}")?;
        }
        for m in &self.malformed {
            writeln!(f, "  MALFORMED {}: {} (skipped)", m.position, m.reason)?;
        }
        for kept in &self.posts_kept {
            writeln!(f, "  kept {kept}")?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        if self.dry_run {
            writeln!(f, "dry run: nothing was written")?;
        }
        Ok(())
    }
}
