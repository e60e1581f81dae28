//! Planning: on a post's first publication, create its one newsletter and queue every
//! confirmed subscriber in batches, a page at a time (memory flat in the list size).

use super::ports::{Batch, BatchQueue, NewsletterStore};
use super::{BATCH_SIZE, PLAN_PAGE};
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
        if settings.newsletter.mode == NewsletterMode::Weekly {
            self.digest_due(index, now).await?;
            return Ok(());
        }
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
        let recipients = self.queue_all(&post.slug, &[]).await?;
        self.store.planned(&post.slug, recipients).await?;
        tracing::info!(slug = %post.slug, recipients, "newsletter planned");
        Ok(PlanOutcome::Planned { recipients })
    }

    /// The weekly digest, when `newsletter.mode = "weekly"` and the period's slot has
    /// come: one newsletter `digest-<date>` per period with the posts published since
    /// the previous slot (newest first). Nothing new, nothing mailed; the ledger makes
    /// every later tick of the period `AlreadyPlanned`.
    pub async fn digest_due(
        &self,
        index: &dyn PostIndex,
        now: OffsetDateTime,
    ) -> Result<PlanOutcome, StoreError> {
        let settings = read_settings(self.content.as_ref()).await?;
        let n = &settings.newsletter;
        if !n.enabled {
            return Ok(PlanOutcome::NotMailed(
                "newsletters are turned off in site.toml",
            ));
        }
        if n.mode != NewsletterMode::Weekly {
            return Ok(PlanOutcome::NotMailed("newsletter.mode is not \"weekly\""));
        }
        let slot = digest_slot(n.digest_weekday, n.digest_hour, now);
        let id = digest_id(slot);
        if let Some(record) = self.store.get(&id).await? {
            if record.planned.is_some() {
                return Ok(PlanOutcome::AlreadyPlanned);
            }
        }
        let previous = slot - Duration::weeks(1);
        let page = index.newest(slot, 0, DIGEST_MAX_POSTS).await?;
        let mut posts = Vec::new();
        for meta in page.posts.iter().filter(|p| p.date > previous) {
            // Mailed on its own already (the mode was "each" when it was published).
            if self.store.get(&meta.slug).await?.is_some() {
                continue;
            }
            if let Some(post) = read_post(self.content.as_ref(), &meta.slug).await? {
                if post.front.newsletter && post.is_published(slot) {
                    posts.push(post.slug.to_string());
                }
            }
        }
        if posts.is_empty() {
            return Ok(PlanOutcome::NotMailed("no new posts since the last digest"));
        }
        if let Some(existing) = self.store.create(&id, now).await? {
            if existing.planned.is_some() {
                return Ok(PlanOutcome::AlreadyPlanned);
            }
            tracing::warn!(digest = %id, "resuming an unfinished digest plan");
        }
        let recipients = self.queue_all(&id, &posts).await?;
        self.store.planned(&id, recipients).await?;
        tracing::info!(digest = %id, posts = posts.len(), recipients, "digest planned");
        Ok(PlanOutcome::Planned { recipients })
    }

    /// Queues every confirmed subscriber: one Query of `PLAN_PAGE`, cut into batches.
    async fn queue_all(&self, slug: &Slug, posts: &[String]) -> Result<u64, StoreError> {
        let mut cursor: Option<String> = None;
        let mut recipients = 0u64;
        loop {
            let (page, next) = self
                .subscribers
                .confirmed_page(cursor.as_deref(), PLAN_PAGE)
                .await?;
            recipients += page.len() as u64;
            for chunk in page.chunks(BATCH_SIZE) {
                let batch = Batch {
                    slug: slug.to_string(),
                    recipients: chunk.iter().map(|s| s.email.as_str().to_owned()).collect(),
                    posts: posts.to_vec(),
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

/// At most this many posts in one digest (the newest).
pub const DIGEST_MAX_POSTS: usize = 20;

/// The start of the digest period `now` is in: the latest `weekday` (0 = Monday) at
/// `hour`:00 UTC at or before `now`.
pub fn digest_slot(weekday: u8, hour: u8, now: OffsetDateTime) -> OffsetDateTime {
    let now = now.to_offset(time::UtcOffset::UTC);
    let today = i64::from(now.weekday().number_days_from_monday());
    let back = (today - i64::from(weekday)).rem_euclid(7);
    let hour = time::Time::from_hms(hour.min(23), 0, 0).expect("an hour of the day");
    let slot = (now.date() - Duration::days(back))
        .with_time(hour)
        .assume_utc();
    if slot > now {
        slot - Duration::weeks(1)
    } else {
        slot
    }
}

/// The newsletter id of the digest whose period starts at `slot`.
pub fn digest_id(slot: OffsetDateTime) -> Slug {
    let d = slot.date();
    Slug::parse(&format!(
        "digest-{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
    .expect("a digest id is a slug")
}

#[cfg(test)]
mod tests {
    use super::digest_slot;
    use time::macros::datetime;

    #[test]
    fn the_digest_slot_is_the_latest_weekday_and_hour_at_or_before_now() {
        // 2026-05-01 is a Friday.
        let friday_noon = datetime!(2026-05-01 12:00 UTC);
        assert_eq!(
            digest_slot(0, 9, friday_noon),
            datetime!(2026-04-27 09:00 UTC)
        );
        assert_eq!(digest_slot(4, 12, friday_noon), friday_noon);
        assert_eq!(
            digest_slot(4, 13, friday_noon),
            datetime!(2026-04-24 13:00 UTC)
        );
        assert_eq!(
            digest_slot(6, 0, friday_noon),
            datetime!(2026-04-26 00:00 UTC)
        );
    }
}
