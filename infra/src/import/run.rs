//! One import run: a first pass plans every post and page (their new addresses, the
//! redirects, the media and the menu), a second writes posts, pages and comments with
//! their links rewritten; then the redirects, the media copies and `site.toml`.

use super::comment::{map_comments, SkippedComment};
use super::links::Links;
use super::markdown::Converter;
use super::media::{copy_media, MediaReport, MediaSource};
use super::old_urls::OldUrls;
use super::page::{map_page, plan_page};
use super::post::{map_post, plan_post, Attachments, NotAPost, Slugs};
use super::site::{propose_menu, site_change, NavItem, SiteChange};
use super::wxr::{Malformed, Position, WxrComment, WxrReader};
use lambdapress::domain::Secret;
use lambdapress::indexer::{index_post, IndexOutcome};
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched, Inserted, PostIndex};
use lambdapress::redirects::{redirects_key, sync_aliases, AliasOwner, Redirects};
use std::collections::{BTreeMap, HashMap};
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

#[derive(Debug, Clone)]
pub struct Options {
    /// Read and report; write nothing (and download nothing).
    pub dry_run: bool,
    /// Replace a `posts/<slug>.md` that exists with different content (by default it is
    /// kept and reported, so edits made after a first import survive a second).
    pub overwrite: bool,
    /// Where uploads are copied from. The CLI downloads them by default; the library's
    /// default copies none (links are rewritten all the same).
    pub media: MediaSource,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            overwrite: false,
            media: MediaSource::Skip,
        }
    }
}

/// Told as the import goes: bytes read of the total, and the counts so far.
pub trait Progress {
    fn start(&self, _total_bytes: u64) {}
    fn advance(&self, _bytes_read: u64, _summary: &Summary) {}
    /// Media files copied (or found present) of the total.
    fn media(&self, _done: usize, _total: usize) {}
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
    /// Post and page files kept because they differ from the export (`--overwrite`
    /// replaces them).
    pub posts_kept: Vec<String>,
    /// Pages in the export that were imported (written or already there), drafts too.
    pub pages: usize,
    pub pages_written: usize,
    pub pages_unchanged: usize,
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
    /// Uploads found (attachments and originals of size variants in content).
    pub media_files: usize,
    pub media: MediaReport,
    /// Media were not asked to be copied (`--no-media`).
    pub media_skipped: bool,
    /// The WordPress menu imported and how many entries it gave.
    pub menu: Option<(String, usize)>,
    /// What happened to `site.toml`, in a line.
    pub site: String,
    /// `site.toml` lines the owner may add (not written: the file has its own).
    pub site_proposal: Option<String>,
    /// Links left pointing at the old site (nothing on the new site matches them).
    pub old_links: usize,
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
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let converter = Converter::new();
    let Plan {
        channel,
        attachments,
        old_urls: _,
        titles: _,
        redirects,
        links,
        menu,
    } = plan(path, &converter)?;

    let mut slugs = Slugs::default();
    let mut page_slugs = Slugs::default();
    let mut summary = Summary {
        dry_run: options.dry_run,
        ..Summary::default()
    };
    // Posts and pages this run wrote: their `aliases` are synced once at the end.
    let mut rewritten: Vec<AliasOwner> = Vec::new();
    progress.start(total);
    let mut reader = open_export(path)?;
    while let Some(next) = reader.next_item() {
        summary.items += 1;
        let item = match next {
            Err(malformed) => {
                summary.malformed.push(malformed);
                progress.advance(reader.bytes_read(), &summary);
                continue;
            }
            Ok(item) => item,
        };
        let position = item.position.unwrap_or(Position { item: 0, offset: 0 });
        if item.post_type == "nav_menu_item" {
            // Read in the first pass: the menu (see `summary.menu`).
            progress.advance(reader.bytes_read(), &summary);
            continue;
        }
        if item.post_type == "page" {
            match map_page(&item, &mut page_slugs, &converter, &links) {
                Ok(page) => {
                    let file = lambdapress::domain::Page::file_name(page.slug.as_str());
                    for note in &page.notes {
                        summary.notes.push(format!("{file} ({position}): {note}"));
                    }
                    note_old_links(&links, &file, &page.source, &mut summary);
                    summary.pages += 1;
                    let key = ContentKey::page(&page.slug);
                    match write_source(stores, &options, &key, &page.source, &mut summary).await? {
                        Written::New => {
                            summary.pages_written += 1;
                            rewritten.push(AliasOwner::Page(page.slug.clone()));
                        }
                        Written::Unchanged => summary.pages_unchanged += 1,
                        Written::Kept => {}
                    }
                }
                Err(NotAPost::Malformed(reason)) => {
                    summary.malformed.push(Malformed { position, reason })
                }
                Err(reason) => {
                    *summary
                        .skipped_items
                        .entry(reason.summary_reason().replace("posts", "pages"))
                        .or_default() += 1
                }
            }
            skip_comments(
                &item.comments,
                "on pages (pages have no comments here)",
                &mut summary,
            );
            progress.advance(reader.bytes_read(), &summary);
            continue;
        }
        match map_post(&item, &attachments, &mut slugs, &converter, &links) {
            Err(NotAPost::Malformed(reason)) => {
                summary.malformed.push(Malformed { position, reason })
            }
            Err(reason) => {
                *summary
                    .skipped_items
                    .entry(reason.summary_reason())
                    .or_default() += 1;
                // Comments on a trashed post go with it.
                if reason != NotAPost::Attachment {
                    skip_comments(
                        &item.comments,
                        "on items that are not imported",
                        &mut summary,
                    );
                }
            }
            Ok(post) => {
                let file = lambdapress::domain::Post::file_name(&post.slug);
                for note in &post.notes {
                    summary.notes.push(format!("{file} ({position}): {note}"));
                }
                note_old_links(&links, &file, &post.source, &mut summary);
                if write_post(stores, &options, &post, &mut summary).await? {
                    rewritten.push(AliasOwner::Post(post.slug.clone()));
                }
                let rewritten: Vec<WxrComment> = item
                    .comments
                    .iter()
                    .map(|c| WxrComment {
                        content: links.rewrite_html_absolute(&c.content),
                        ..c.clone()
                    })
                    .collect();
                let comments = map_comments(&post.slug, &rewritten, &converter, stores.secret);
                for (wp_id, mapped) in comments {
                    match mapped {
                        Ok(comment) => {
                            write_comment(stores, &options, &comment, &mut summary).await?
                        }
                        Err(skipped) => {
                            if let SkippedComment::Invalid(why) = &skipped {
                                summary.notes.push(format!(
                                    "{file}: WordPress comment {wp_id} skipped: {why}"
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
        progress.advance(reader.bytes_read(), &summary);
    }
    write_redirects(stores, &options, redirects, &mut summary).await?;
    if !options.dry_run {
        // A post or page replaced by `--overwrite` takes its hand-made aliases with it.
        // What the import writes declares none, so only those with aliases now matter.
        let aliased: Vec<String> = match stores.content.get(&redirects_key(), None).await? {
            Fetched::Found(o) => Redirects::parse(&String::from_utf8_lossy(&o.bytes))
                .map(|r| r.aliases().into_values().map(str::to_owned).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        rewritten.retain(|owner| aliased.contains(&owner.target()));
        sync_aliases(stores.content, &rewritten).await?;
    }
    let media = links.media();
    summary.media_files = media.len();
    summary.media_skipped = matches!(options.media, MediaSource::Skip);
    summary.media = copy_media(
        &media,
        &options.media,
        stores.content,
        options.dry_run,
        progress,
    )
    .await?;
    if let Some(menu) = &menu {
        summary.menu = Some((menu.from.clone(), menu.entries.len()));
        summary.notes.extend(menu.notes.iter().cloned());
    }
    write_site(stores, &options, &channel, menu.as_ref(), &mut summary).await?;
    progress.finish(&summary);
    Ok(summary)
}

/// What the first pass learns: the channel, every attachment, the redirects for every
/// old address, the link rewriter, the menu, and titles by WordPress id.
pub struct Plan {
    pub channel: super::wxr::Channel,
    pub attachments: Attachments,
    pub old_urls: OldUrls,
    pub titles: HashMap<String, String>,
    pub redirects: Redirects,
    pub links: Links,
    pub menu: Option<super::site::MenuProposal>,
}

fn open_export(path: &Path) -> anyhow::Result<WxrReader<BufReader<File>>> {
    let file =
        File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    Ok(WxrReader::new(BufReader::with_capacity(256 * 1024, file)))
}

/// The first pass: every post's and page's new address, so links between them (and
/// featured images, attachment pages and menus) can point at the new site.
pub fn plan(path: &Path, converter: &Converter) -> anyhow::Result<Plan> {
    let mut attachments = Attachments::default();
    let mut old_urls = OldUrls::new();
    let mut nav = Vec::new();
    let mut titles = HashMap::new();
    let channel = {
        let (mut post_slugs, mut page_slugs) = (Slugs::default(), Slugs::default());
        let mut reader = open_export(path)?;
        while let Some(next) = reader.next_item() {
            let Ok(item) = next else { continue };
            attachments.add(&item);
            old_urls.attachment(&item);
            if let Some(n) = NavItem::from_item(&item) {
                nav.push(n);
            } else if item.post_type == "post" {
                if let Ok(p) = plan_post(&item, &mut post_slugs, converter) {
                    if !p.draft {
                        old_urls.post(&item, &p.slug, &p.tags, p.date);
                    }
                    titles.insert(p.wp_id, p.title);
                }
            } else if item.post_type == "page" {
                if let Ok((slug, title, draft, _)) = plan_page(&item, &mut page_slugs, converter) {
                    if !draft {
                        old_urls.page(&item, &slug);
                    }
                    titles.insert(item.post_id.trim().to_owned(), title);
                }
            }
        }
        reader.channel().clone()
    };
    let redirects = old_urls.finish();
    let site_url = [
        &channel.base_site_url,
        &channel.base_blog_url,
        &channel.link,
    ]
    .into_iter()
    .find(|u| !u.trim().is_empty())
    .cloned()
    .unwrap_or_default();
    let links = Links::new(
        &site_url,
        [channel.base_blog_url.as_str(), channel.link.as_str()],
        redirects.clone(),
    )
    .with_live_paths(old_urls.new_paths());
    for url in attachments.urls() {
        links.attachment(url);
    }
    let menu = propose_menu(&nav, &channel, &old_urls, &titles, &links);
    Ok(Plan {
        channel,
        attachments,
        old_urls,
        titles,
        redirects,
        links,
        menu,
    })
}

fn skip_comments(comments: &[WxrComment], reason: &str, summary: &mut Summary) {
    if !comments.is_empty() {
        *summary.skipped_comments.entry(reason.into()).or_default() += comments.len();
    }
}

/// Links the rewrite could not map (nothing on the new site matches): noted, so the
/// owner can fix them before the old host goes away.
fn note_old_links(links: &Links, file: &str, source: &str, summary: &mut Summary) {
    for link in links.old_host_links(source) {
        summary.old_links += 1;
        summary
            .notes
            .push(format!("{file}: still links to the old site: {link}"));
    }
}

/// `site.toml`: written when there is none, its menu appended when it has none, else
/// the proposal is printed.
async fn write_site(
    stores: &Stores<'_>,
    options: &Options,
    channel: &super::wxr::Channel,
    menu: Option<&super::site::MenuProposal>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let key = ContentKey::site_settings();
    let existing = match stores.content.get(&key, None).await? {
        Fetched::Found(o) => Some(String::from_utf8_lossy(&o.bytes).into_owned()),
        _ => None,
    };
    let would = if options.dry_run { "would be " } else { "" };
    let text = match site_change(existing.as_deref(), channel, menu) {
        SiteChange::Create(text) => {
            summary.site =
                format!("site.toml {would}written from the export (check [owner] and [address])");
            Some(text)
        }
        SiteChange::AppendMenu(menu_text) => {
            summary.site = format!("site.toml: the menu {would}added");
            Some(format!(
                "{}\n{menu_text}",
                existing.unwrap_or_default().trim_end()
            ))
        }
        SiteChange::Propose(text) => {
            summary.site = "site.toml kept as it is; proposed additions below".into();
            summary.site_proposal = Some(text);
            None
        }
        SiteChange::Nothing => {
            summary.site = "site.toml already has what the export offers".into();
            None
        }
    };
    if let (Some(text), false) = (text, options.dry_run) {
        stores
            .content
            .put(&key, text.into_bytes(), "application/toml", "no-cache")
            .await?;
    }
    Ok(())
}

/// Merges the old addresses into `redirects.toml`: entries already there (the owner's,
/// or an earlier run's) are kept as they are; the object is written only if it changes.
async fn write_redirects(
    stores: &Stores<'_>,
    options: &Options,
    imported: Redirects,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let key = redirects_key();
    summary.redirects = imported.len();
    // Read, merge, and write on the condition that nobody wrote in between (the feeds
    // function syncing a post's aliases, an owner's upload): a lost race merges again.
    for _ in 0..8 {
        let (existing, mut merged) = match stores.content.get(&key, None).await? {
            Fetched::Found(o) => {
                let text = String::from_utf8_lossy(&o.bytes).into_owned();
                let parsed = Redirects::parse(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{e}; fix or remove it before importing (nothing was written to it)"
                    )
                })?;
                (Some(o), parsed)
            }
            _ => (None, Redirects::new()),
        };
        summary.redirects_added = 0;
        for (from, to) in imported.entries() {
            if !merged.contains(from) {
                let _ = merged.insert(from, to);
                summary.redirects_added += 1;
            }
        }
        let text = merged.to_toml();
        let same = existing
            .as_ref()
            .is_some_and(|o| o.bytes == text.as_bytes());
        if same || summary.redirects_added == 0 || options.dry_run {
            return Ok(());
        }
        let expected = existing.as_ref().map(|o| o.etag.as_str());
        if stores
            .content
            .put_if(
                &key,
                text.into_bytes(),
                "application/toml",
                "no-cache",
                expected,
            )
            .await?
        {
            return Ok(());
        }
    }
    anyhow::bail!("{key} kept changing while the import wrote it; run the import again")
}

enum Written {
    New,
    Unchanged,
    Kept,
}

/// Writes one Markdown file unless it already holds exactly this (unchanged) or holds
/// something else and `--overwrite` was not asked (kept, and reported).
async fn write_source(
    stores: &Stores<'_>,
    options: &Options,
    key: &ContentKey,
    source: &str,
    summary: &mut Summary,
) -> anyhow::Result<Written> {
    let written = match stores.content.get(key, None).await? {
        Fetched::Found(existing) if existing.bytes == source.as_bytes() => Written::Unchanged,
        Fetched::Found(_) if !options.overwrite => {
            summary.posts_kept.push(key.to_string());
            Written::Kept
        }
        _ => Written::New,
    };
    if matches!(written, Written::New) && !options.dry_run {
        stores
            .content
            .put(
                key,
                source.as_bytes().to_vec(),
                "text/markdown; charset=utf-8",
                "no-cache",
            )
            .await?;
    }
    Ok(written)
}

async fn write_post(
    stores: &Stores<'_>,
    options: &Options,
    post: &super::post::MappedPost,
    summary: &mut Summary,
) -> anyhow::Result<bool> {
    if post.draft {
        summary.drafts += 1;
    } else {
        summary.posts += 1;
    }
    let key = ContentKey::post(&post.slug);
    let written = write_source(stores, options, &key, &post.source, summary).await?;
    match written {
        Written::New => summary.posts_written += 1,
        Written::Unchanged => summary.posts_unchanged += 1,
        Written::Kept => {}
    }
    if options.dry_run {
        return Ok(false);
    }
    // Indexed as every publish is (S3 events do the same in AWS; this is idempotent).
    // The aliases of what was written are synced in one go at the end of the run.
    if let IndexOutcome::Rejected(e) = index_post(stores.content, stores.index, &post.slug).await? {
        summary
            .notes
            .push(format!("{key}: the index refused it: {e}"));
    }
    Ok(matches!(written, Written::New))
}

async fn write_comment(
    stores: &Stores<'_>,
    options: &Options,
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
            "  pages:    {} imported: {} {}, {} already up to date",
            self.pages,
            self.pages_written,
            would("written", "to write"),
            self.pages_unchanged
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
        if self.media_skipped {
            writeln!(
                f,
                "  media:    {} files, not copied (links point at media/ all the same)",
                self.media_files
            )?;
        } else {
            writeln!(
                f,
                "  media:    {} files: {} {} ({:.1} MB), {} already there, {} missing",
                self.media_files,
                self.media.copied,
                would("copied", "to copy"),
                self.media.bytes as f64 / 1e6,
                self.media.present,
                self.media.missing.len()
            )?;
        }
        if let Some((from, n)) = &self.menu {
            writeln!(f, "  menu:     `{from}`, {n} entries")?;
        }
        if !self.site.is_empty() {
            writeln!(f, "  {}", self.site)?;
        }
        if let Some(proposal) = &self.site_proposal {
            for line in proposal.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        for (upload, why) in &self.media.missing {
            writeln!(f, "  MISSING media uploads/{upload}: {why}")?;
        }
        if self.old_links > 0 {
            writeln!(
                f,
                "  {} links still point at the old site (notes below)",
                self.old_links
            )?;
        }
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
