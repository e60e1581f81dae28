//! Planning: on a post's first publication, create its one newsletter and queue every
//! confirmed subscriber in batches, a page at a time (memory flat in the list size).

use super::ports::{Batch, BatchQueue, NewsletterStore};
use super::BATCH_SIZE;
use crate::domain::settings::NewsletterMode;
use crate::domain::{Post, SiteSettings, Slug};
use crate::ports::{ContentKey, ContentStore, Fetched, PostIndex, StoreError, SubscriberStore};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanOutcome {
    /// The newsletter was created (or its interrupted planning resumed) and queued.
    Planned { recipients: u64 },
    /// This post's newsletter exists: an edit, re-index or rebuild sends nothing.
    AlreadyPlanned,
    /// Not mailed, and why (opted out, too old, not yet published, turned off).
    NotMailed(&'static str),
}

pub struct Planner {
    pub content: Arc<dyn ContentStore>,
    pub subscribers: Arc<dyn SubscriberStore>,
    pub store: Arc<dyn NewsletterStore>,
    pub queue: Arc<dyn BatchQueue>,
}

/// Whether `post` gets a newsletter at `now` under `settings` (before the ledger says
/// whether it already has one).
pub fn mails(
    settings: &SiteSettings,
    post: &Post,
    now: OffsetDateTime,
) -> Result<(), &'static str> {
    let n = &settings.newsletter;
    if !n.enabled {
        return Err("newsletters are turned off in site.toml");
    }
    if n.mode != NewsletterMode::Each {
        return Err("newsletter.mode is not \"each\"");
    }
    if !post.front.newsletter {
        return Err("the post says newsletter = false");
    }
    if !post.is_published(now) {
        return Err("the post is not published yet");
    }
    if now - post.front.date > Duration::days(n.max_age_days.into()) {
        return Err("the post's date is older than newsletter.max_age_days");
    }
    Ok(())
}

/// The site's settings from the content store.
pub async fn read_settings(content: &dyn ContentStore) -> Result<SiteSettings, StoreError> {
    match content.get(&ContentKey::site_settings(), None).await? {
        Fetched::Found(object) => {
            SiteSettings::parse(&String::from_utf8_lossy(&object.bytes)).map_err(StoreError::new)
        }
        _ => Err(StoreError::new("site.toml is missing")),
    }
}

/// A post from the content store; `None` when it is gone or cannot be read.
pub async fn read_post(
    content: &dyn ContentStore,
    slug: &Slug,
) -> Result<Option<Post>, StoreError> {
    match content.get(&ContentKey::post(slug), None).await? {
        Fetched::Found(object) => {
            Ok(Post::parse(slug.clone(), &String::from_utf8_lossy(&object.bytes)).ok())
        }
        _ => Ok(None),
    }
}

impl Planner {
    /// The indexer's hook: `slug` was just indexed as a post.
    pub async fn post_indexed(
        &self,
        slug: &Slug,
        now: OffsetDateTime,
    ) -> Result<PlanOutcome, StoreError> {
        match read_post(self.content.as_ref(), slug).await? {
            Some(post) => self.post_published(&post, now).await,
            None => Ok(PlanOutcome::NotMailed("the post cannot be read")),
        }
    }

    /// The schedule's hook: the newest posts whose date has arrived (a scheduled post is
    /// first published here). Posts past `max_age_days` cost no ledger read.
    pub async fn publish_due(
        &self,
        index: &dyn PostIndex,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let settings = read_settings(self.content.as_ref()).await?;
        let oldest = now - Duration::days(settings.newsletter.max_age_days.into());
        let page = index.newest(now, 0, 10).await?;
        for meta in page.posts.iter().filter(|p| p.date >= oldest) {
            self.post_indexed(&meta.slug, now).await?;
        }
        Ok(())
    }

    /// Creates the post's newsletter once and queues its recipients.
    pub async fn post_published(
        &self,
        post: &Post,
        now: OffsetDateTime,
    ) -> Result<PlanOutcome, StoreError> {
        let settings = read_settings(self.content.as_ref()).await?;
        if let Err(why) = mails(&settings, post, now) {
            return Ok(PlanOutcome::NotMailed(why));
        }
        if let Some(existing) = self.store.create(&post.slug, now).await? {
            if existing.planned.is_some() {
                return Ok(PlanOutcome::AlreadyPlanned);
            }
            // Planning stopped half way (a crash, a timeout): queue again from the
            // start; recipients already mailed are skipped by the ledger.
            tracing::warn!(slug = %post.slug, "resuming an unfinished newsletter plan");
        }
        let recipients = self.queue_all(&post.slug).await?;
        self.store.planned(&post.slug, recipients).await?;
        tracing::info!(slug = %post.slug, recipients, "newsletter planned");
        Ok(PlanOutcome::Planned { recipients })
    }

    async fn queue_all(&self, slug: &Slug) -> Result<u64, StoreError> {
        let mut cursor: Option<String> = None;
        let mut recipients = 0u64;
        loop {
            let (page, next) = self
                .subscribers
                .confirmed_page(cursor.as_deref(), BATCH_SIZE)
                .await?;
            if !page.is_empty() {
                recipients += page.len() as u64;
                let batch = Batch {
                    slug: slug.to_string(),
                    recipients: page
                        .into_iter()
                        .map(|s| s.email.as_str().to_owned())
                        .collect(),
                };
                self.queue.enqueue(&batch).await?;
            }
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(recipients),
            }
        }
    }
}
