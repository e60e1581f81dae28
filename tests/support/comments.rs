//! The comment function over the sample site on the embedded adapters, with a mailer
//! that records what it sends and a clock a test can move.

use crate::fixtures::{body_text, http_api, http_api_from};
use crate::sample::{EmbeddedSite, BASE_URL};
use lambdapress::comments::{CommentFunction, CommentOptions};
use lambdapress::domain::{Comment, Secret};
use lambdapress::http::{Body, Response};
use lambdapress::ports::Mail;
use lambdapress::site::{Site, SiteOptions};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

pub const ARTICLE: &str = "/posts/what-are-muscle-knots";
pub const OWNER: &str = "owner@clinic.example";
pub const VISITOR_IP: &str = "198.51.100.23";
/// Where the owner presses moderation buttons from.
pub const OWNER_IP: &str = "192.0.2.1";

/// Keeps every message instead of sending it (and fails on demand).
pub use crate::mail::RecordingMailer;

/// Keeps the posts whose visible thread changed, in order.
#[derive(Default)]
pub struct RecordingListener {
    pub changed: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl lambdapress::comments::ThreadListener for RecordingListener {
    async fn thread_changed(&self, post: &lambdapress::domain::Slug) {
        self.changed.lock().unwrap().push(post.to_string());
    }
}

pub struct CommentSite {
    pub listener: Arc<RecordingListener>,
    pub embedded: EmbeddedSite,
    pub site: Arc<Site>,
    pub function: CommentFunction,
    pub mailer: Arc<RecordingMailer>,
    pub secret: Secret,
    pub now: Arc<Mutex<OffsetDateTime>>,
}

impl CommentSite {
    /// The sample site with `comments_toml` (a `[comments]` table, or "") appended to
    /// its site.toml.
    pub async fn start(comments_toml: &str) -> CommentSite {
        let embedded = EmbeddedSite::start().await;
        let settings = embedded.dir.0.join("content/site.toml");
        let mut text = std::fs::read_to_string(&settings).unwrap();
        text.push('\n');
        text.push_str(comments_toml);
        std::fs::write(&settings, text).unwrap();
        let site = Arc::new(Site::new(
            embedded.content.clone(),
            embedded.index.clone(),
            embedded.comments.clone(),
            SiteOptions {
                base_url: Some(BASE_URL.into()),
                settings_ttl: Duration::ZERO,
                view_ttl: Duration::ZERO,
                ..SiteOptions::default()
            },
        ));
        let mailer = Arc::new(RecordingMailer::default());
        let secret = Secret::new(*b"comment-tests-secret-0123456789abcdef").unwrap();
        let now = Arc::new(Mutex::new(OffsetDateTime::now_utc()));
        let clock = now.clone();
        let listener = Arc::new(RecordingListener::default());
        let function = CommentFunction::new(
            site.clone(),
            embedded.comments.clone(),
            mailer.clone(),
            secret.clone(),
            CommentOptions {
                owner_email: Some(OWNER.into()),
            },
        )
        .with_clock(Arc::new(move || *clock.lock().unwrap()))
        .with_listener(listener.clone());
        CommentSite {
            listener,
            embedded,
            site,
            function,
            mailer,
            secret,
            now,
        }
    }

    pub fn advance(&self, by: time::Duration) {
        *self.now.lock().unwrap() += by;
    }

    /// A form post from `ip`, urlencoded as a browser sends it.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)], ip: &str) -> Response<Body> {
        let body = serde_urlencoded_pairs(fields);
        let req = http_api_from(
            ip,
            "POST",
            path,
            &[("content-type", "application/x-www-form-urlencoded")],
            &body,
        );
        self.function.serve(&req).await
    }

    /// The owner pressing a moderation link's button: `action` with `token`, as the
    /// moderation page's form posts it.
    pub async fn moderate(&self, token: &str, action: &str) -> Response<Body> {
        self.post_form(
            "/comments/moderate",
            &[("token", token), ("action", action)],
            OWNER_IP,
        )
        .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        json: &serde_json::Value,
        ip: &str,
    ) -> Response<Body> {
        let req = http_api_from(
            ip,
            "POST",
            path,
            &[("content-type", "application/json")],
            &json.to_string(),
        );
        self.function.serve(&req).await
    }

    pub async fn get(&self, path: &str) -> Response<Body> {
        self.function.serve(&http_api("GET", path, &[])).await
    }

    /// A page from the site function.
    pub async fn page(&self, path: &str) -> String {
        let response = self.site.handle(&http_api("GET", path, &[])).await;
        assert_eq!(response.status(), 200, "{path}");
        body_text(&response)
    }

    /// Every pending and approved comment (spam is reached by id).
    pub async fn stored(&self) -> Vec<Comment> {
        use lambdapress::ports::CommentStore;
        let store = self.embedded.comments.as_ref();
        let mut all = store.pending(10_000).await.unwrap();
        all.extend(store.newest_approved(10_000).await.unwrap());
        all
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mailer.sent()
    }
}

/// `a=1&b=2`, percent-encoded as `application/x-www-form-urlencoded`.
pub fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `Location` of a redirect.
pub fn location(response: &Response<Body>) -> String {
    crate::fixtures::header(response, "location")
        .unwrap_or_default()
        .to_owned()
}
