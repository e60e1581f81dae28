//! `lambdapress newsletter ...`: preview a post's mail as an `.eml`, send one test
//! mail, and show a newsletter's planned, sent, skipped and failed counts.

use anyhow::{anyhow, Context};
use lambdapress::adapters::OutboxMailer;
use lambdapress::domain::{Secret, Slug, SubscriberEmail};
use lambdapress::newsletter::mail::PostMail;
use lambdapress::newsletter::planner::{read_post, read_settings};
use lambdapress::newsletter::NewsletterStore;
use lambdapress::ports::{ContentStore, Mail, Mailer, SubscriberStore};

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

/// `subscribers count`: confirmed subscribers, counted a page at a time.
pub async fn confirmed_count(store: &dyn SubscriberStore) -> anyhow::Result<u64> {
    let mut cursor: Option<String> = None;
    let mut n = 0u64;
    loop {
        let (page, next) = store.confirmed_page(cursor.as_deref(), 500).await?;
        n += page.len() as u64;
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(n),
        }
    }
}
