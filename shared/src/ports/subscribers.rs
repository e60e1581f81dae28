//! Subscriber port: one record per normalised address, double opt-in, consent evidence.

use super::StoreError;
use crate::domain::SubscriberEmail;
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Signed up, confirmation mail sent, not yet confirmed.
    Pending,
    Confirmed,
    /// Kept as evidence; a new signup starts a fresh opt-in.
    Unsubscribed,
    /// SES reported a hard (permanent) bounce: never mailed again.
    Bounced,
    /// The reader marked a mail as spam (SES complaint): never mailed again.
    Complained,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Confirmed => "confirmed",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
            SubscriptionStatus::Bounced => "bounced",
            SubscriptionStatus::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        match s {
            "pending" => Some(SubscriptionStatus::Pending),
            "confirmed" => Some(SubscriptionStatus::Confirmed),
            "unsubscribed" => Some(SubscriptionStatus::Unsubscribed),
            "bounced" => Some(SubscriptionStatus::Bounced),
            "complained" => Some(SubscriptionStatus::Complained),
            _ => None,
        }
    }

    pub const ALL: [SubscriptionStatus; 5] = [
        SubscriptionStatus::Pending,
        SubscriptionStatus::Confirmed,
        SubscriptionStatus::Unsubscribed,
        SubscriptionStatus::Bounced,
        SubscriptionStatus::Complained,
    ];

    /// Bounced or complained: no mail of any kind goes to the address again.
    pub fn is_suppressed(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Bounced | SubscriptionStatus::Complained
        )
    }
}

/// A subscriber with the evidence of their consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub email: SubscriberEmail,
    pub status: SubscriptionStatus,
    pub signed_up_at: OffsetDateTime,
    pub confirmed_at: Option<OffsetDateTime>,
    /// When the address left the list: unsubscribed, bounced or complained.
    pub unsubscribed_at: Option<OffsetDateTime>,
    /// The page the form was on, e.g. `/posts/what-are-muscle-knots`.
    pub source: String,
    /// Keyed hash of the client address the signup came from (never the address).
    pub client_hash: String,
    /// When the last confirmation mail was sent (resends are spaced by the caller's rule).
    pub confirmation_sent_at: Option<OffsetDateTime>,
}

/// One signup request, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub email: SubscriberEmail,
    pub source: String,
    pub client_hash: String,
    pub at: OffsetDateTime,
}

/// What a signup did. Handlers answer every outcome the same way, so nobody learns
/// whether an address was already subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A new (or previously unsubscribed) address is now pending: send the mail.
    Created,
    /// Still pending and the last mail is older than the resend interval: send it again.
    ResendConfirmation,
    /// Pending with a recent mail, or already confirmed: nothing to send.
    Unchanged,
}

impl SignupOutcome {
    pub fn sends_mail(self) -> bool {
        matches!(
            self,
            SignupOutcome::Created | SignupOutcome::ResendConfirmation
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    /// Confirming twice is harmless.
    AlreadyConfirmed,
    /// The address unsubscribed (or bounced, or complained) after this link was sent.
    Unsubscribed,
    /// No record (never signed up, or erased).
    Missing,
}

/// How long a claimed confirmation mail holds off other sends before it is reported
/// sent (`confirmation_sent`). A claim whose mail was never reported (a fault after the
/// write, a lost answer) stops counting after this, so the visitor's retry (told
/// `Retry-After: 30`) sends the mail instead of waiting out `resend_after`.
pub const CLAIM_LEASE: Duration = Duration::seconds(30);

/// Subscribers, keyed by `SubscriberEmail::key`. Every write is atomic per address, so
/// concurrent signups for one address leave exactly one record and send one mail.
#[async_trait]
pub trait SubscriberStore: Send + Sync {
    /// Records a signup in one conditional write: creates a pending record (or restarts
    /// an unsubscribed one with fresh evidence), or claims a resend when the pending
    /// record's last mail is at least `resend_after` old, or its claim was never reported
    /// sent and is `CLAIM_LEASE` old.
    async fn sign_up(
        &self,
        signup: &Signup,
        resend_after: Duration,
    ) -> Result<SignupOutcome, StoreError>;

    /// The confirmation mail claimed at `sent_at` could not be sent: forget that claim,
    /// so the visitor's retry sends it at once instead of an hour later.
    async fn confirmation_not_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The confirmation mail claimed at `sent_at` was sent: the claim now holds for the
    /// whole `resend_after` (until then only for `CLAIM_LEASE`).
    async fn confirmation_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Pending → confirmed, stamping `at`.
    async fn confirm(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<ConfirmOutcome, StoreError>;

    /// Pending or confirmed → unsubscribed; returns whether anything changed.
    async fn unsubscribe(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    async fn get(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>, StoreError>;

    /// Every confirmed subscriber, oldest signup first.
    async fn confirmed(&self) -> Result<Vec<Subscriber>, StoreError>;

    /// Removes the record completely (an erasure request); returns whether one existed.
    async fn erase(&self, email: &SubscriberEmail) -> Result<bool, StoreError>;

    /// One page of confirmed subscribers, at most `limit`, after `cursor` (the value the
    /// previous page returned); the next cursor is `None` on the last page. Lets a
    /// newsletter walk any list size in flat memory.
    async fn confirmed_page(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError>;

    /// One page of the subscribers with `status` (as `confirmed_page` for confirmed).
    async fn status_page(
        &self,
        status: SubscriptionStatus,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError>;

    /// SES reported a hard bounce or a complaint (`status` is `Bounced` or `Complained`):
    /// the address is never mailed again, and a later signup leaves it so. Returns whether
    /// a record changed (false when there is none or it is suppressed already).
    async fn suppress(
        &self,
        email: &SubscriberEmail,
        status: SubscriptionStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Writes an imported record as it is, only when the address has none yet; returns
    /// whether it was written (so a re-run of an import changes nothing it did before).
    async fn import(&self, subscriber: &Subscriber) -> Result<bool, StoreError>;
}
