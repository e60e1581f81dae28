//! Operator commands on the subscriber store: export the list (confirmed, bounced,
//! complained), erase one address, import another service's export (`import`). The CLI runs them on the local file or on the deployed table.

use crate::csv;
use lambdapress::domain::time_fmt::sort_key;
use lambdapress::domain::{Secret, SubscriberEmail};
use lambdapress::ports::{
    Mailer, Signup, SignupOutcome, StoreError, Subscriber, SubscriberStore, SubscriptionStatus,
};
use time::{Duration, OffsetDateTime};

/// The list as CSV, with a header: `email,confirmed_at,signed_up_at,source,status,left_at`.
/// The confirmed first (oldest signup first), then the bounced and complained: kept so
/// they are never mailed again, and shown so the owner sees why. `left_at` is when an
/// address bounced or complained.
pub async fn export_csv(store: &dyn SubscriberStore) -> Result<String, StoreError> {
    let mut out = csv::row(&[
        "email",
        "confirmed_at",
        "signed_up_at",
        "source",
        "status",
        "left_at",
    ]);
    let line = |s: &Subscriber| {
        csv::row(&[
            s.email.as_str(),
            &s.confirmed_at.map(sort_key).unwrap_or_default(),
            &sort_key(s.signed_up_at),
            &s.source,
            s.status.as_str(),
            &s.unsubscribed_at
                .filter(|_| s.status.is_suppressed())
                .map(sort_key)
                .unwrap_or_default(),
        ])
    };
    for s in store.confirmed().await? {
        out.push_str(&line(&s));
    }
    for status in [SubscriptionStatus::Bounced, SubscriptionStatus::Complained] {
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = store.status_page(status, cursor.as_deref(), 1000).await?;
            for s in &page {
                out.push_str(&line(s));
            }
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(out)
}

/// Removes every trace of `email` from the store; returns whether a record existed.
pub async fn erase(
    store: &dyn SubscriberStore,
    email: &SubscriberEmail,
) -> Result<bool, StoreError> {
    store.erase(email).await
}

/// The service an import file came from, told by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Mailchimp's audience export: `Email Address`, …, `OPTIN_TIME`, `CONFIRM_TIME`; the
    /// status is the file's (`subscribed_…`, `unsubscribed_…`, `cleaned_…`).
    Mailchimp,
    /// MailPoet's export: `Email`, `First name`, `Last name`, `List status`, `Global status`,
    /// `IP address`, with `Subscribed on` / `Created on` in newer versions.
    MailPoet,
    /// Jetpack / WordPress.com subscribers: `email_address`, `subscription_date`, `status`.
    Jetpack,
}

impl ImportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Mailchimp => "mailchimp",
            ImportFormat::MailPoet => "mailpoet",
            ImportFormat::Jetpack => "jetpack",
        }
    }
}

/// What a row says about the reader's consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// A subscribed / confirmed status with its date: imported as confirmed, that date kept.
    Given {
        signed_up_at: OffsetDateTime,
        confirmed_at: OffsetDateTime,
    },
    /// Unconfirmed, or subscribed without a date: a double opt-in mail with `--reconfirm`.
    Unproven,
    /// Unsubscribed, bounced, cleaned: never imported, never mailed.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: usize,
    pub email: SubscriberEmail,
    pub consent: Consent,
}

/// A whole file checked before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    pub format: ImportFormat,
    /// Kept on every imported record: `import:<format>:<file name>`.
    pub source: String,
    pub rows: Vec<ImportRow>,
    /// `line N: …` for each row that repeats an earlier address (the first one counts).
    pub duplicates: Vec<String>,
    /// `line N: …` for each row that cannot be imported; any of them stops the import.
    pub bad: Vec<String>,
}

fn header_index(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

/// `2024-03-12T09:00:00Z`, `2024-03-12 09:00:00` (UTC, as the three services export)
/// or `2024-03-12`.
fn parse_date(text: &str) -> Option<OffsetDateTime> {
    use time::macros::format_description;
    let t = text.trim();
    if let Some(at) = lambdapress::domain::time_fmt::parse_rfc3339(t) {
        return Some(at);
    }
    if let Ok(at) = time::PrimitiveDateTime::parse(
        t,
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    ) {
        return Some(at.assume_utc());
    }
    time::Date::parse(t, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// Reads and checks a whole export. Errors only when the file as a whole is not one of
/// the three formats; row problems are collected in the plan, by line.
pub fn plan_import(file_name: &str, text: &str) -> Result<ImportPlan, String> {
    let records = csv::parse(text)?;
    let Some((head, rows)) = records.split_first() else {
        return Err("the file is empty".into());
    };
    let h = &head.fields;
    let lower_name = file_name.to_ascii_lowercase();
    let (format, email_col, status_col, date_cols): (_, _, _, Vec<usize>) = if let (
        Some(email),
        true,
    ) = (
        header_index(h, &["Email Address"]),
        header_index(h, &["OPTIN_TIME", "CONFIRM_TIME", "MEMBER_RATING"]).is_some(),
    ) {
        let dates = [
            header_index(h, &["CONFIRM_TIME"]),
            header_index(h, &["OPTIN_TIME"]),
        ];
        (
            ImportFormat::Mailchimp,
            email,
            None,
            dates.into_iter().flatten().collect(),
        )
    } else if let (Some(email), Some(status)) = (
        header_index(h, &["Email"]),
        // The global status wins: a list's "subscribed" says nothing of a bounce.
        header_index(h, &["Global status"]).or_else(|| header_index(h, &["List status"])),
    ) {
        let dates = [
            header_index(h, &["Subscribed on", "last_subscribed_at"]),
            header_index(h, &["Confirmed at", "confirmed_at"]),
            header_index(h, &["Created on", "created_at"]),
        ];
        (
            ImportFormat::MailPoet,
            email,
            Some(status),
            dates.into_iter().flatten().collect(),
        )
    } else if let (Some(email), Some(date)) = (
        header_index(h, &["email_address", "email"]),
        header_index(h, &["subscription_date", "date_subscribed", "subscribed"]),
    ) {
        (
            ImportFormat::Jetpack,
            email,
            header_index(h, &["status", "email_subscription"]),
            vec![date],
        )
    } else {
        return Err(format!(
                "line {}: not a Jetpack (email_address, subscription_date, status), MailPoet \
                 (Email, …, Global status) or Mailchimp (Email Address, …, OPTIN_TIME, CONFIRM_TIME) header",
                head.line
            ));
    };
    let file_status = match format {
        ImportFormat::Mailchimp if lower_name.contains("unsubscribed") => Some("unsubscribed"),
        ImportFormat::Mailchimp if lower_name.contains("cleaned") => Some("cleaned"),
        ImportFormat::Mailchimp => Some("subscribed"),
        _ => None,
    };
    let base_name = std::path::Path::new(file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_name.to_owned());
    let mut plan = ImportPlan {
        format,
        source: format!("import:{}:{base_name}", format.name()),
        rows: Vec::new(),
        duplicates: Vec::new(),
        bad: Vec::new(),
    };
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in rows {
        let field = |i: usize| record.fields.get(i).map(|f| f.trim()).unwrap_or("");
        let line = record.line;
        let address = field(email_col);
        let email = match SubscriberEmail::parse(address) {
            Ok(email) => email,
            Err(e) if address.is_empty() => {
                plan.bad
                    .push(format!("line {line}: no email address ({e})"));
                continue;
            }
            Err(e) => {
                plan.bad.push(format!(
                    "line {line}: `{address}` is not an email address ({e})"
                ));
                continue;
            }
        };
        let mut date = None;
        let mut bad_date = None;
        for &col in &date_cols {
            let text = field(col);
            if text.is_empty() {
                continue;
            }
            match parse_date(text) {
                Some(at) => {
                    date.get_or_insert(at);
                }
                None => bad_date = Some(text.to_owned()),
            }
        }
        if let Some(text) = bad_date {
            plan.bad.push(format!(
                "line {line}: the date `{text}` is not YYYY-MM-DD[ HH:MM:SS]"
            ));
            continue;
        }
        let status = file_status
            .map(str::to_owned)
            .or_else(|| status_col.map(|c| field(c).to_ascii_lowercase()))
            .unwrap_or_default();
        let consent = match status.as_str() {
            "subscribed" | "confirmed" | "active" => match date {
                Some(at) => {
                    // Mailchimp: OPTIN_TIME is the signup, CONFIRM_TIME the confirmation.
                    let signed_up_at = date_cols
                        .last()
                        .and_then(|&c| parse_date(field(c)))
                        .filter(|s| *s <= at)
                        .unwrap_or(at);
                    Consent::Given {
                        signed_up_at,
                        confirmed_at: at,
                    }
                }
                None => Consent::Unproven,
            },
            "" | "unconfirmed" | "pending" | "not confirmed" => Consent::Unproven,
            "unsubscribed" | "bounced" | "cleaned" | "complained" | "inactive" | "spam"
            | "not subscribed" | "not sending" | "blocked" => Consent::Refused(status.clone()),
            other => {
                plan.bad.push(format!(
                    "line {line}: the status `{other}` is not understood"
                ));
                continue;
            }
        };
        if let Some(first) = seen.get(email.key()) {
            plan.duplicates.push(format!(
                "line {line}: {} again (first on line {first}); this row is skipped",
                email.as_str()
            ));
            continue;
        }
        seen.insert(email.key().to_owned(), line);
        plan.rows.push(ImportRow {
            line,
            email,
            consent,
        });
    }
    Ok(plan)
}

/// Sends the double opt-in mail to the unproven rows (`--reconfirm`).
pub struct Reconfirm<'a> {
    pub mailer: &'a dyn Mailer,
    pub secret: &'a Secret,
    pub base_url: String,
    pub site_title: String,
    /// The mail's language (the site's).
    pub messages: &'static lambdapress::i18n::Messages,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: u64,
    /// Already had a record (an earlier run, or a signup): left as it is.
    pub already: u64,
    pub reconfirm_sent: u64,
    /// Unproven rows left out because `--reconfirm` was not given.
    pub unproven: u64,
    pub refused: u64,
    pub duplicates: u64,
    pub dry_run: bool,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let would = if self.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        };
        writeln!(f, "imported as confirmed: {}{would}", self.imported)?;
        writeln!(f, "already on the list: {}", self.already)?;
        writeln!(
            f,
            "confirmation mail sent (--reconfirm): {}",
            self.reconfirm_sent
        )?;
        writeln!(
            f,
            "without evidence of consent, not imported (use --reconfirm to mail them): {}",
            self.unproven
        )?;
        writeln!(
            f,
            "unsubscribed / bounced in the export, skipped: {}",
            self.refused
        )?;
        writeln!(f, "duplicate rows skipped: {}", self.duplicates)
    }
}

/// Writes a checked plan: the consented rows as confirmed records with their evidence
/// (each only when the address has no record: a re-run after a crash finishes the job
/// and doubles nothing), and with `reconfirm` the unproven rows as pending signups with
/// a confirmation mail. A plan with bad rows writes nothing.
pub async fn import(
    store: &dyn SubscriberStore,
    plan: &ImportPlan,
    reconfirm: Option<&Reconfirm<'_>>,
    dry_run: bool,
    now: OffsetDateTime,
) -> anyhow::Result<ImportSummary> {
    if !plan.bad.is_empty() {
        anyhow::bail!(
            "nothing imported: {} row(s) to fix first\n{}",
            plan.bad.len(),
            plan.bad.join("\n")
        );
    }
    let mut summary = ImportSummary {
        duplicates: plan.duplicates.len() as u64,
        dry_run,
        ..ImportSummary::default()
    };
    for row in &plan.rows {
        match (&row.consent, reconfirm) {
            (Consent::Refused(_), _) => summary.refused += 1,
            (Consent::Unproven, None) => summary.unproven += 1,
            (Consent::Given { .. }, _) | (Consent::Unproven, Some(_)) if dry_run => {
                match store.get(&row.email).await? {
                    Some(_) => summary.already += 1,
                    None if matches!(row.consent, Consent::Given { .. }) => summary.imported += 1,
                    None => summary.reconfirm_sent += 1,
                }
            }
            (
                Consent::Given {
                    signed_up_at,
                    confirmed_at,
                },
                _,
            ) => {
                let subscriber = Subscriber {
                    email: row.email.clone(),
                    status: SubscriptionStatus::Confirmed,
                    signed_up_at: *signed_up_at,
                    confirmed_at: Some(*confirmed_at),
                    unsubscribed_at: None,
                    source: plan.source.clone(),
                    client_hash: String::new(),
                    confirmation_sent_at: None,
                };
                if store.import(&subscriber).await? {
                    summary.imported += 1;
                } else {
                    summary.already += 1;
                }
            }
            (Consent::Unproven, Some(reconfirm)) => {
                // Confirmed, unsubscribed or suppressed here already: not ours to restart.
                if store
                    .get(&row.email)
                    .await?
                    .is_some_and(|s| s.status != SubscriptionStatus::Pending)
                {
                    summary.already += 1;
                    continue;
                }
                let signup = Signup {
                    email: row.email.clone(),
                    source: plan.source.clone(),
                    client_hash: String::new(),
                    at: now,
                };
                // A pending record whose mail was not sent (a failed run) is mailed again.
                match store.sign_up(&signup, Duration::days(3650)).await? {
                    SignupOutcome::Created | SignupOutcome::ResendConfirmation => {
                        if let Err(e) = send_confirmation(reconfirm, &row.email, now).await {
                            store.confirmation_not_sent(&row.email, now).await?;
                            anyhow::bail!(
                                "line {}: the confirmation mail to {} failed ({e}); {} imported and {} mailed so far: run the import again to finish",
                                row.line,
                                row.email.as_str(),
                                summary.imported,
                                summary.reconfirm_sent
                            );
                        }
                        summary.reconfirm_sent += 1;
                    }
                    SignupOutcome::Unchanged => summary.already += 1,
                }
            }
        }
    }
    Ok(summary)
}

async fn send_confirmation(
    r: &Reconfirm<'_>,
    email: &SubscriberEmail,
    now: OffsetDateTime,
) -> Result<String, lambdapress::ports::MailError> {
    use lambdapress::subscribe::{SubscribeOptions, CONFIRM_PURPOSE, UNSUBSCRIBE_PURPOSE};
    let options = SubscribeOptions::default();
    let confirm = r.secret.sign(
        CONFIRM_PURPOSE,
        email.key(),
        now + options.confirm_valid_for,
    );
    let unsubscribe = r.secret.sign(
        UNSUBSCRIBE_PURPOSE,
        email.key(),
        now + options.unsubscribe_valid_for,
    );
    let base = r.base_url.trim_end_matches('/');
    let mail = lambdapress::subscribe::mail::confirmation(
        email.as_str(),
        &r.site_title,
        &format!("{base}/subscribe/confirm?token={confirm}"),
        &format!("{base}/unsubscribe?token={unsubscribe}"),
        options.confirm_valid_for.whole_hours(),
        r.messages,
    );
    r.mailer.send(&mail).await
}
