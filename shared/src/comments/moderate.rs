//! The owner's moderation links: a signed token per comment, a page per link that asks
//! for a button press (link scanners fetch every GET), and the action on POST.

use crate::domain::time_fmt::{human_date, rfc3339};
use crate::domain::{Comment, CommentId, Secret};
use askama::Template;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

const PURPOSE: &str = "moderate-comment";
/// A moderation mail stays usable this long.
pub const LINK_LIFETIME: Duration = Duration::days(30);

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

    pub fn button(self) -> &'static str {
        match self {
            Action::Approve => "Approve this comment",
            Action::Spam => "Mark as spam",
            Action::Delete => "Delete this comment",
        }
    }

    pub fn done(self) -> &'static str {
        match self {
            Action::Approve => "Comment approved",
            Action::Spam => "Comment marked as spam",
            Action::Delete => "Comment deleted",
        }
    }
}

pub fn token(secret: &Secret, id: &CommentId, now: OffsetDateTime) -> String {
    secret.sign(PURPOSE, id.as_str(), now + LINK_LIFETIME)
}

pub fn verify(secret: &Secret, token: &str, now: OffsetDateTime) -> Option<CommentId> {
    let subject = secret.verify(PURPOSE, token, now).ok()?;
    CommentId::parse(&subject).ok()
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
    pub post: String,
    pub body_html: String,
}

impl From<&Comment> for OwnerView {
    fn from(c: &Comment) -> Self {
        OwnerView {
            author: c.author.to_string(),
            email: c.email.to_string(),
            website: c.website.as_ref().map(|w| w.to_string()),
            date_iso: rfc3339(c.created_at),
            date_human: human_date(c.created_at),
            status: c.status.as_str(),
            post: c.post.to_string(),
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
    pub stylesheet: &'static str,
    pub comment: Option<OwnerView>,
    pub token: Option<String>,
    pub actions: Vec<(&'static str, &'static str)>,
    pub link: Option<String>,
    pub link_text: &'static str,
}

/// The owner's mail for a held comment.
pub fn owner_mail(
    to: &str,
    base_url: &str,
    post_title: &str,
    comment: &Comment,
    token: &str,
) -> crate::ports::Mail {
    let website = comment.website.as_ref().map_or("", |w| w.as_str());
    let text = format!(
        "A new comment on “{post_title}” is waiting for your approval.\n\
         {base_url}/posts/{post}\n\n\
         Author: {author}\nEmail: {email}\nWebsite: {website}\n\n\
         Comment:\n{body}\n\n\
         Approve it: {approve}\n\
         Mark it as spam: {spam}\n\
         Delete it: {delete}\n\n\
         Each link opens a page with a button; nothing changes until you press it.\n",
        post = comment.post,
        author = comment.author,
        email = comment.email,
        body = comment.body,
        approve = link(base_url, token, Action::Approve),
        spam = link(base_url, token, Action::Spam),
        delete = link(base_url, token, Action::Delete),
    );
    crate::ports::Mail {
        to: to.to_owned(),
        subject: format!("Please moderate: “{post_title}”"),
        text,
        html: None,
        headers: Vec::new(),
    }
}
