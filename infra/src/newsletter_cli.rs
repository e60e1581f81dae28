//! `lambdapress newsletter ...`: preview a post's mail as an `.eml`, send one test
//! mail, and show the planned, sent, skipped and failed counts of one newsletter or all;
//! count subscribers by status.

use anyhow::{anyhow, Context};
use lambdapress::adapters::OutboxMailer;
use lambdapress::domain::{Secret, Slug, SubscriberEmail};
use lambdapress::newsletter::mail::PostMail;
use lambdapress::newsletter::planner::{read_post, read_settings};
use lambdapress::newsletter::NewsletterStore;
use lambdapress::ports::{ContentStore, Mail, Mailer, SubscriberStore, SubscriptionStatus};

fn slug(s: &str) -> anyhow::Result<Slug> {
    Slug::parse(s).map_err(|e| anyhow!("`{s}` is not a post slug: {e}"))
}

/// The mail `to` would get for the post `slug`.
pub async fn mail_for(
    content: &dyn ContentStore,
    secret: &Secret,
    slug_text: &str,
    to: &SubscriberEmail,
    base_url: Option<&str>,
) -> anyhow::Result<Mail> {
    let slug = slug(slug_text)?;
    let settings = read_settings(content).await?;
    let post = read_post(content, &slug)
        .await?
        .with_context(|| format!("no readable post posts/{slug}.md"))?;
    let now = time::OffsetDateTime::now_utc();
    Ok(PostMail::new(settings, post, base_url).to(secret, to, now))
}

/// `newsletter preview <slug>`: the mail as an `.eml` file's text (to a sample reader).
pub async fn preview(
    content: &dyn ContentStore,
    secret: &Secret,
    slug_text: &str,
    base_url: Option<&str>,
) -> anyhow::Result<String> {
    let reader = SubscriberEmail::parse("reader@example.com").expect("a valid address");
    let mail = mail_for(content, secret, slug_text, &reader, base_url).await?;
    let formatter = OutboxMailer::new(std::env::temp_dir(), "Site <site@localhost>");
    Ok(formatter.format(&mail, "preview@lambdapress.local"))
}

/// `newsletter test <slug> <email>`: one mail through the configured mailer, outside
/// the ledger (it is not a delivery).
pub async fn test(
    content: &dyn ContentStore,
    mailer: &dyn Mailer,
    secret: &Secret,
    slug_text: &str,
    email: &str,
    base_url: Option<&str>,
) -> anyhow::Result<String> {
    let to = SubscriberEmail::parse(email)
        .map_err(|e| anyhow!("`{email}` is not an email address: {e}"))?;
    let mail = mail_for(content, secret, slug_text, &to, base_url).await?;
    Ok(mailer.send(&mail).await?)
}

/// `newsletter status <slug>`.
pub async fn status(store: &dyn NewsletterStore, slug_text: &str) -> anyhow::Result<String> {
    let slug = slug(slug_text)?;
    let Some(record) = store.get(&slug).await? else {
        return Ok(format!(
            "{slug}: no newsletter (never published with newsletters on, too old, or opted out)\n"
        ));
    };
    let c = store.counts(&slug).await?;
    let planned = match record.planned {
        Some(_) => c.planned.to_string(),
        None => "planning unfinished".into(),
    };
    Ok(format!(
        "{slug}: created {}\n  planned {planned}, sent {}, skipped {}, failed {}, in flight {}\n",
        record.created_at, c.sent, c.skipped, c.failed, c.sending
    ))
}

/// `newsletter status` (no slug): every newsletter, newest first, one line each.
pub async fn status_all(store: &dyn NewsletterStore) -> anyhow::Result<String> {
    let records = store.list().await?;
    if records.is_empty() {
        return Ok("no newsletters yet\n".into());
    }
    let mut out = format!(
        "{:<40} {:<20} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
        "newsletter", "created", "planned", "sent", "skipped", "failed", "in flight"
    );
    for record in records {
        let c = store.counts(&record.slug).await?;
        let planned = match record.planned {
            Some(_) => c.planned.to_string(),
            None => "planning".into(),
        };
        out.push_str(&format!(
            "{:<40} {:<20} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
            record.slug.to_string(),
            lambdapress::domain::time_fmt::sort_key(record.created_at),
            planned,
            c.sent,
            c.skipped,
            c.failed,
            c.sending
        ));
    }
    Ok(out)
}

/// How many subscribers have `status`, counted a page at a time.
pub async fn count_status(
    store: &dyn SubscriberStore,
    status: SubscriptionStatus,
) -> anyhow::Result<u64> {
    let mut cursor: Option<String> = None;
    let mut n = 0u64;
    loop {
        let (page, next) = store.status_page(status, cursor.as_deref(), 1000).await?;
        n += page.len() as u64;
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(n),
        }
    }
}

/// `subscribers count`: confirmed subscribers.
pub async fn confirmed_count(store: &dyn SubscriberStore) -> anyhow::Result<u64> {
    count_status(store, SubscriptionStatus::Confirmed).await
}

/// `subscribers count`: one line per status, e.g. `confirmed 120`, `bounced 2`.
pub async fn counts_by_status(store: &dyn SubscriberStore) -> anyhow::Result<String> {
    let mut out = String::new();
    for status in SubscriptionStatus::ALL {
        let n = count_status(store, status).await?;
        out.push_str(&format!("{:<13} {n}\n", status.as_str()));
    }
    Ok(out)
}
