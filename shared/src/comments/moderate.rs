//! The owner's moderation links: a signed token per comment and action, a page per link
//! that asks for a button press (link scanners fetch every GET), and the action on POST.
//!
//! Each token is bound to one action on one comment and works once, without any
//! stored nonce: its MAC covers the comment id, the action, the comment's status when
//! the link was made, and the expiry. Once any action is applied the status no longer
//! matches (or the comment is gone), so every link of that mail is dead. A link made for
//! a pending comment that is later set back to pending would live again until it expires;
//! nothing in the site does that. The links live [`LINK_LIFETIME`].

use crate::domain::time_fmt::{human_date, rfc3339};
use crate::domain::{Comment, CommentId, CommentStatus, Secret, TokenError};
use crate::i18n::Messages;
use askama::Template;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

const PURPOSE: &str = "moderate-comment/v2";
/// A moderation mail stays usable this long.
pub const LINK_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Spam,
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Approve, Action::Spam, Action::Delete];

    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "approve" => Some(Action::Approve),
            "spam" => Some(Action::Spam),
            "delete" => Some(Action::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Spam => "spam",
            Action::Delete => "delete",
        }
    }

    pub fn button(self, t: &'static Messages) -> &'static str {
        match self {
            Action::Approve => &t.moderate_approve,
            Action::Spam => &t.moderate_spam,
            Action::Delete => &t.moderate_delete,
        }
    }

    pub fn done(self, t: &'static Messages) -> &'static str {
        match self {
            Action::Approve => &t.moderate_approved,
            Action::Spam => &t.moderate_spammed,
            Action::Delete => &t.moderate_deleted,
        }
    }
}

/// The token allowing `action` on comment `id` while its status is `status`.
pub fn token(
    secret: &Secret,
    id: &CommentId,
    action: Action,
    status: CommentStatus,
    now: OffsetDateTime,
) -> String {
    let subject = format!("{id}\n{}\n{}", action.as_str(), status.as_str());
    secret.sign(PURPOSE, &subject, now + LINK_LIFETIME)
}

/// The three links' tokens for `comment` as it is now.
pub struct Tokens {
    pub approve: String,
    pub spam: String,
    pub delete: String,
}

impl Tokens {
    pub fn for_comment(secret: &Secret, comment: &Comment, now: OffsetDateTime) -> Tokens {
        let t = |action| token(secret, &comment.id, action, comment.status, now);
        Tokens {
            approve: t(Action::Approve),
            spam: t(Action::Spam),
            delete: t(Action::Delete),
        }
    }
}

/// What a genuine, unexpired token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: CommentId,
    pub action: Action,
    /// The comment's status when the link was made.
    pub status: CommentStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Damaged, forged, expired or signed with a retired key.
    BadLink(TokenError),
    /// A genuine token asked to do another action than its own.
    OtherAction,
    /// The comment was moderated since the link was made: the link is used up.
    Used,
}

pub fn verify(secret: &Secret, token: &str, now: OffsetDateTime) -> Result<Grant, TokenError> {
    let subject = secret.verify(PURPOSE, token, now)?;
    let mut parts = subject.split('\n');
    let (Some(id), Some(action), Some(status), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    Ok(Grant {
        id: CommentId::parse(id).map_err(|_| TokenError::Malformed)?,
        action: Action::parse(action).ok_or(TokenError::Malformed)?,
        status: CommentStatus::parse(status).ok_or(TokenError::Malformed)?,
    })
}

impl Grant {
    /// The action asked for (`requested`, empty: the token's own) if it is this token's.
    pub fn action(&self, requested: &str) -> Result<Action, Refusal> {
        match requested {
            "" => Ok(self.action),
            other if Action::parse(other) == Some(self.action) => Ok(self.action),
            _ => Err(Refusal::OtherAction),
        }
    }

    /// Whether the link still works for `comment` as it is now (single use).
    pub fn check(&self, comment: &Comment) -> Result<(), Refusal> {
        if comment.id == self.id && comment.status == self.status {
            Ok(())
        } else {
            Err(Refusal::Used)
        }
    }
}

impl From<Refusal> for super::CommentError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::BadLink(_) => super::CommentError::BadLink,
            Refusal::OtherAction => super::CommentError::BadAction,
            Refusal::Used => super::CommentError::LinkUsed,
        }
    }
}

/// `j***@example.com`: enough for the owner to recognise, not to harvest.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `/comments/moderate?token=…&action=…`, absolute.
pub fn link(base_url: &str, token: &str, action: Action) -> String {
    format!(
        "{base_url}/comments/moderate?token={token}&action={}",
        action.as_str()
    )
}

/// The token and action of a moderation request (query string or body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModerationInput {
    pub token: String,
    pub action: String,
}

pub struct OwnerView {
    pub author: String,
    pub email: String,
    pub website: Option<String>,
    pub date_iso: String,
    pub date_human: String,
    pub status: &'static str,
    /// The post's path, percent-encoded (`/posts/<slug>`).
    pub post: String,
    pub body_html: String,
}

impl OwnerView {
    pub fn of(c: &Comment, t: &'static Messages) -> Self {
        OwnerView {
            author: c.author.to_string(),
            // Masked: the page is reachable by whoever holds the link.
            email: mask_email(c.email.as_str()),
            website: c.website.as_ref().map(|w| w.to_string()),
            date_iso: rfc3339(c.created_at),
            date_human: human_date(c.created_at, t),
            status: match c.status {
                CommentStatus::Pending => &t.moderate_status_pending,
                CommentStatus::Approved => &t.moderate_status_approved,
                CommentStatus::Spam => &t.moderate_status_spam,
            },
            post: crate::site::routes::post_path(&c.post),
            body_html: c.body_html.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "moderate.html")]
pub struct ModerationPage {
    pub heading: &'static str,
    pub message: Option<String>,
    pub site_title: String,
    /// `<html lang>`, the chrome's head links and the strings of the site's language.
    pub lang: String,
    pub head_links: String,
    pub t: &'static Messages,
    pub comment: Option<OwnerView>,
    pub token: Option<String>,
    pub actions: Vec<(&'static str, &'static str)>,
    pub link: Option<String>,
    pub link_text: &'static str,
}

/// The owner's mail for a held comment, in the site's language.
pub fn owner_mail(
    to: &str,
    base_url: &str,
    post_title: &str,
    comment: &Comment,
    tokens: &Tokens,
    t: &Messages,
) -> crate::ports::Mail {
    let website = comment.website.as_ref().map_or("", |w| w.as_str());
    let text = format!(
        "{waiting}\n\
         {base_url}{post}\n\n\
         {author_label}: {author}\n{email_label}: {email}\n{website_label}: {website}\n\n\
         {comment_label}:\n{body}\n\n\
         {approve_label}: {approve}\n\
         {spam_label}: {spam}\n\
         {delete_label}: {delete}\n\n\
         {notes}\n",
        waiting = t.owner_mail_waiting(post_title),
        author_label = t.owner_mail_author,
        email_label = t.owner_mail_email,
        website_label = t.owner_mail_website,
        comment_label = t.comment_body_label,
        approve_label = t.owner_mail_approve,
        spam_label = t.owner_mail_spam,
        delete_label = t.owner_mail_delete,
        notes = t.owner_mail_notes,
        post = crate::site::routes::post_path(&comment.post),
        author = comment.author,
        email = comment.email,
        body = comment.body,
        approve = link(base_url, &tokens.approve, Action::Approve),
        spam = link(base_url, &tokens.spam, Action::Spam),
        delete = link(base_url, &tokens.delete, Action::Delete),
    );
    crate::ports::Mail {
        to: to.to_owned(),
        subject: t.owner_mail_subject(post_title),
        text,
        html: None,
        headers: Vec::new(),
    }
}
