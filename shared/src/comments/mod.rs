//! The comment function: `POST /posts/<slug>/comments` (form or JSON), and the owner's
//! moderation pages at `/comments/moderate`.

pub mod body;
pub mod contact;
pub mod error;
pub mod form;
pub mod moderate;
pub mod rules;

use crate::domain::{Comment, CommentId, CommentStatus, Secret, SiteSettings, Slug};
use crate::http::response::{self, CACHE_NONE, HTML};
use crate::http::{Body, Request, Response};
use crate::ports::{CommentStore, Inserted, Mailer, Throttle, Transition};
use crate::render::comments::FieldErrors;
use crate::render::pages::ErrorPage;
use crate::site::routes::post_path;
use crate::site::{ArticleQuery, CommentPage, Site};
use askama::Template;
use error::CommentError;
use form::{CommentInput, Format};
use moderate::{Action, ModerationInput, ModerationPage, OwnerView};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// How many expired spam comments one stored comment clears at most.
const EXPIRE_BATCH: usize = 25;

/// How often a warm instance looks for expired spam (on the handler's clock): spam is
/// kept for days, so a sweep a minute is as good as one per comment, and saves a store
/// call on nearly every POST. A sweep that fills its batch runs again on the next one.
const EXPIRE_EVERY: Duration = Duration::minutes(1);

/// Where a clock comes from: the system's, or a test's.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Told when a post's visible thread may have changed (a comment approved, or an
/// approved one marked as spam or deleted). In AWS nobody needs telling: the table's
/// stream reaches the feeds function. The local runner passes its feeds here.
#[async_trait::async_trait]
pub trait ThreadListener: Send + Sync {
    async fn thread_changed(&self, post: &Slug);
}

pub struct CommentOptions {
    /// Overrides `owner.email` from `site.toml` (the stack's `OwnerEmail` parameter).
    pub owner_email: Option<String>,
}

pub struct CommentFunction {
    site: Arc<Site>,
    comments: Arc<dyn CommentStore>,
    mailer: Arc<dyn Mailer>,
    secret: Secret,
    options: CommentOptions,
    clock: Clock,
    listener: Option<Arc<dyn ThreadListener>>,
    /// When this instance last swept expired spam (`None`: due now).
    swept_spam: std::sync::Mutex<Option<OffsetDateTime>>,
}

#[async_trait::async_trait]
impl crate::http::HttpFunction for CommentFunction {
    async fn handle(&self, req: &Request) -> Response<Body> {
        self.serve(req).await
    }
}

/// A successful answer: where the browser goes next, and what a script reads.
struct Accepted {
    location: String,
    id: CommentId,
    status: CommentStatus,
    /// The comment is held and the mail telling the owner failed: the visitor is told.
    owner_not_told: bool,
}

/// What became of the mail announcing a held comment to the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnerNotice {
    Sent,
    /// No owner address is configured: nothing to send, nothing to report.
    NoOwner,
    Failed,
}

/// Why flood control refused an attempt: too soon after the last, or the store failed.
#[derive(Debug)]
enum FloodRefusal {
    TooSoon { retry_after: u64 },
    Unavailable(crate::ports::StoreError),
}

impl From<FloodRefusal> for CommentError {
    fn from(refusal: FloodRefusal) -> Self {
        match refusal {
            FloodRefusal::TooSoon { retry_after } => CommentError::TooSoon { retry_after },
            FloodRefusal::Unavailable(e) => CommentError::Unavailable(e),
        }
    }
}

enum Route {
    Submit(Slug),
    Moderate,
    /// `POST /<page>/message`: a page's contact form.
    Contact(Slug),
    NotFound,
}

fn route(path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["posts", slug, "comments"] => {
            Slug::from_href_segment(slug).map_or(Route::NotFound, Route::Submit)
        }
        ["comments", "moderate"] => Route::Moderate,
        [page, "message"] => Slug::from_href_segment(page).map_or(Route::NotFound, Route::Contact),
        _ => Route::NotFound,
    }
}

impl CommentFunction {
    /// The strings of the site's language (English while the settings cannot be read).
    async fn messages(&self) -> &'static crate::i18n::Messages {
        match self.site.settings().await {
            Ok(settings) => settings.messages(),
            Err(_) => crate::i18n::messages(Default::default()),
        }
    }

    pub fn new(
        site: Arc<Site>,
        comments: Arc<dyn CommentStore>,
        mailer: Arc<dyn Mailer>,
        secret: Secret,
        options: CommentOptions,
    ) -> CommentFunction {
        CommentFunction {
            site,
            comments,
            mailer,
            secret,
            options,
            clock: Arc::new(OffsetDateTime::now_utc),
            listener: None,
            swept_spam: std::sync::Mutex::new(None),
        }
    }

    /// Tells `listener` whenever a post's visible thread may have changed.
    pub fn with_listener(mut self, listener: Arc<dyn ThreadListener>) -> CommentFunction {
        self.listener = Some(listener);
        self
    }

    async fn thread_changed(&self, post: &Slug) {
        if let Some(listener) = &self.listener {
            listener.thread_changed(post).await;
        }
    }

    /// Replaces the clock (tests that step past a flood window).
    pub fn with_clock(mut self, clock: Clock) -> CommentFunction {
        self.clock = clock;
        self
    }

    pub async fn serve(&self, req: &Request) -> Response<Body> {
        let response = self.answer(req).await;
        crate::http::security::secure(req, self.site.configured_base_url(), response)
    }

    async fn answer(&self, req: &Request) -> Response<Body> {
        let method = req.method().clone();
        match (route(crate::http::request_path(req)), method) {
            (Route::Submit(slug), http::Method::POST) => self.submit(req, &slug).await,
            (Route::Moderate, http::Method::GET) => self.moderation_page(req).await,
            (Route::Moderate, http::Method::POST) => self.moderate(req).await,
            (Route::Contact(page), http::Method::POST) => self.contact(req, &page).await,
            (Route::Submit(_) | Route::Moderate | Route::Contact(_), _) => {
                self.error_page(&CommentError::MethodNotAllowed).await
            }
            (Route::NotFound, _) => self.error_page(&CommentError::NotFound).await,
        }
    }

    async fn submit(&self, req: &Request, slug: &Slug) -> Response<Body> {
        let format = match form::format_of(req) {
            Ok(format) => format,
            Err(e) => return self.error_page(&e.into()).await,
        };
        let input: Result<CommentInput, CommentError> = form::body_bytes(req)
            .and_then(|bytes| form::parse(format, bytes))
            .map_err(CommentError::from);
        let input = match input {
            Ok(input) => input,
            Err(e) => return self.answer_error(format, slug, None, e).await,
        };
        match self.accept(req, slug, &input).await {
            Ok(accepted) => match format {
                Format::Form => response::build(
                    303,
                    &[
                        ("location", accepted.location.as_str()),
                        ("cache-control", CACHE_NONE),
                    ],
                    Body::Empty,
                ),
                Format::Json => {
                    let status = if accepted.status == CommentStatus::Approved {
                        "approved"
                    } else {
                        "pending"
                    };
                    let mut answer = serde_json::json!({
                        "id": accepted.id.as_str(),
                        "status": status,
                        "location": accepted.location,
                    });
                    if accepted.owner_not_told {
                        answer["owner_notified"] = false.into();
                        answer["message"] = self
                            .messages()
                            .await
                            .comment_held_owner_not_told
                            .as_str()
                            .into();
                    }
                    json(201, &answer, &[])
                }
            },
            Err(e) => self.answer_error(format, slug, Some(&input), e).await,
        }
    }

    /// Applies every rule to one submission and stores it.
    async fn accept(
        &self,
        req: &Request,
        slug: &Slug,
        input: &CommentInput,
    ) -> Result<Accepted, CommentError> {
        let (settings, post) = tokio::join!(self.site.settings(), self.site.published_post(slug));
        let settings = settings?;
        let post = post?.ok_or(CommentError::PostNotFound)?;
        let now = (self.clock)();
        if !rules::comments_open(&settings.comments, &post.post, now) {
            return Err(CommentError::Closed);
        }
        let valid = input
            .validate(settings.messages())
            .map_err(CommentError::Invalid)?;
        // A reply answers an approved comment of this post, and brings the visitor back
        // to the thread page that shows it (and will show the reply), not the newest.
        let page = match &valid.parent {
            Some(parent) => Some(
                self.comments
                    .page_of(slug, parent)
                    .await?
                    .ok_or(CommentError::BadParent)?,
            ),
            None => None,
        };
        // Grouped as signup groups it: an IPv6 client by its /64.
        let client =
            crate::http::client_addr::limit_key(crate::http::client_addr::client_addr(req));
        let fingerprint = self.secret.keyed_hash(
            "comment-repeat",
            &format!(
                "{slug}\n{}\n{}",
                valid.email.normalized(),
                valid.body.as_str()
            ),
        );
        let comment = Comment {
            id: CommentId::generate(),
            post: slug.clone(),
            parent: valid.parent,
            author: valid.name,
            email: valid.email,
            website: valid.website,
            body_html: body::render_comment_body(valid.body.as_str()),
            body: valid.body,
            status: CommentStatus::Pending,
            created_at: now,
            client_hash: self.secret.keyed_hash("comment-client", &client),
            fingerprint,
        };
        let held = article_link(slug, page, "moderation=held", "comment-notice");
        if self.comments.is_repeat(&comment.fingerprint).await? {
            return Err(CommentError::Repeat);
        }
        // Then flood control: nothing a client sends faster than the window is looked
        // at further, and nothing but the window's marker is written.
        let comment_keys = self.flood_keys(&comment);
        let flood_seconds = settings.comments.flood_seconds;
        self.flood_check(flood_seconds, &comment_keys, now).await?;
        if input.honeypot_filled() {
            // A robot: store nothing, and answer as if it were held.
            tracing::info!(post = %slug, "honeypot comment dropped");
            return Ok(Accepted {
                location: held,
                id: comment.id,
                status: CommentStatus::Pending,
                owner_not_told: false,
            });
        }
        let stored = self.judge_and_store(&settings, comment).await;
        let comment = match stored {
            Ok(Some(comment)) => comment,
            Ok(None) => return Err(CommentError::Repeat),
            Err(e) => {
                // Nothing was stored: the windows this attempt took are given back, so
                // the visitor's retry is not told to wait for a comment that never was.
                self.release_flood(flood_seconds, &comment_keys, now).await;
                return Err(e);
            }
        };
        tracing::info!(id = %comment.id, post = %slug, status = %comment.status, "comment stored");
        self.sweep_spam(now).await;
        match comment.status {
            CommentStatus::Approved => {
                self.thread_changed(slug).await;
                Ok(Accepted {
                    location: article_link(
                        slug,
                        page,
                        &format!("comment={}", comment.id),
                        &format!("comment-{}", comment.id),
                    ),
                    id: comment.id,
                    status: CommentStatus::Approved,
                    owner_not_told: false,
                })
            }
            CommentStatus::Pending => {
                let notice = self
                    .notify_owner(&settings, &post.post.front.title, &comment, now)
                    .await;
                let owner_not_told = notice == OwnerNotice::Failed;
                Ok(Accepted {
                    location: if owner_not_told {
                        format!("{}?moderation=held-unsent#comment-notice", post_path(slug))
                    } else {
                        held
                    },
                    id: comment.id,
                    status: CommentStatus::Pending,
                    owner_not_told,
                })
            }
            // Spam hears what a held comment hears.
            CommentStatus::Spam => Ok(Accepted {
                location: held,
                id: comment.id,
                status: CommentStatus::Pending,
                owner_not_told: false,
            }),
        }
    }

    /// Spam past its keeping time goes with its helper items, on the handler's clock
    /// (DynamoDB's TTL is only the backstop), at most once per `EXPIRE_EVERY`. A failure,
    /// or a full batch, leaves the next comment to sweep again.
    async fn sweep_spam(&self, now: OffsetDateTime) {
        {
            let mut swept = self
                .swept_spam
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if swept.is_some_and(|at| at <= now && now - at < EXPIRE_EVERY) {
                return;
            }
            *swept = Some(now);
        }
        let again = match self.comments.expire_spam(now, EXPIRE_BATCH).await {
            Ok(removed) => removed >= EXPIRE_BATCH,
            Err(e) => {
                tracing::warn!(error = %e, "expired spam not removed");
                true
            }
        };
        if again {
            *self
                .swept_spam
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        }
    }

    /// Judges a comment and stores it; `None` when it is a repeat (nothing stored).
    async fn judge_and_store(
        &self,
        settings: &SiteSettings,
        mut comment: Comment,
    ) -> Result<Option<Comment>, CommentError> {
        let known_author = settings.comments.moderation == crate::domain::Moderation::FirstTime
            && self.comments.has_approved_from(&comment.email).await?;
        comment.status = rules::judge(&settings.comments, &comment, known_author);
        if comment.status == CommentStatus::Spam {
            comment = rules::kept_as_spam(comment);
        }
        Ok(match self.comments.insert(&comment).await? {
            Inserted::Stored => Some(comment),
            Inserted::Duplicate => None,
        })
    }

    /// The flood-control keys of a comment: its client address (IPv4, IPv4-mapped IPv6
    /// as IPv4, IPv6 by /64: see `client_addr::limit_key`) and its email.
    fn flood_keys(&self, comment: &Comment) -> [String; 2] {
        let email_key = self
            .secret
            .keyed_hash("comment-email", &comment.email.normalized());
        [
            format!("client-{}", comment.client_hash),
            format!("email-{email_key}"),
        ]
    }

    /// One attempt per `seconds` under each key (a comment's client address and email;
    /// a contact message's client address): the first key still in its window refuses.
    async fn flood_check(
        &self,
        seconds: u32,
        keys: &[String],
        now: OffsetDateTime,
    ) -> Result<(), FloodRefusal> {
        if seconds == 0 {
            return Ok(());
        }
        let window = Duration::seconds(i64::from(seconds));
        for (i, key) in keys.iter().enumerate() {
            let refused = match self.comments.throttle(key, now, window).await {
                Ok(Throttle::Allowed) => continue,
                Ok(Throttle::Wait(until)) => {
                    let wait = (until - now).whole_milliseconds().max(0) as u64;
                    FloodRefusal::TooSoon {
                        retry_after: wait.div_ceil(1000).max(1),
                    }
                }
                Err(e) => FloodRefusal::Unavailable(e),
            };
            // The windows taken before this one are given back: nothing was stored.
            for taken in &keys[..i] {
                if let Err(e) = self.comments.release_throttle(taken, now, window).await {
                    tracing::warn!(error = %e, "flood window not released");
                }
            }
            return Err(refused);
        }
        Ok(())
    }

    /// Gives back the windows `flood_check` took at `now` (best effort: a failure
    /// leaves them to run out after `seconds`).
    async fn release_flood(&self, seconds: u32, keys: &[String], now: OffsetDateTime) {
        if seconds == 0 {
            return;
        }
        let window = Duration::seconds(i64::from(seconds));
        for key in keys {
            if let Err(e) = self.comments.release_throttle(key, now, window).await {
                tracing::warn!(error = %e, "flood window not released");
            }
        }
    }

    /// Where mail for the owner goes: the stack's `OwnerEmail`, else `owner.email`.
    fn owner_address(&self, settings: &SiteSettings) -> Option<String> {
        self.options
            .owner_email
            .clone()
            .or_else(|| settings.owner.email.clone())
            .filter(|e| !e.trim().is_empty())
    }

    /// Mails the owner about a held comment. A failure is logged and reported (the
    /// visitor is told): the comment is stored and waits in the queue (and the CLI)
    /// either way.
    async fn notify_owner(
        &self,
        settings: &SiteSettings,
        title: &str,
        comment: &Comment,
        now: OffsetDateTime,
    ) -> OwnerNotice {
        let Some(to) = self.owner_address(settings) else {
            tracing::info!(id = %comment.id, "no owner email set: the comment waits without a mail");
            return OwnerNotice::NoOwner;
        };
        let tokens = moderate::Tokens::for_comment(&self.secret, comment, now);
        let mail = moderate::owner_mail(
            &to,
            &settings.base_url,
            title,
            comment,
            &tokens,
            settings.messages(),
        );
        match self.mailer.send(&mail).await {
            Ok(_) => OwnerNotice::Sent,
            Err(e) => {
                tracing::error!(error = %e, id = %comment.id, "moderation mail not sent");
                OwnerNotice::Failed
            }
        }
    }

    async fn answer_error(
        &self,
        format: Format,
        slug: &Slug,
        input: Option<&CommentInput>,
        error: CommentError,
    ) -> Response<Body> {
        match error {
            CommentError::Unavailable(ref e) => tracing::error!(error = %e, "storage failure"),
            CommentError::Settings(ref e) => tracing::error!(error = %e, "settings failure"),
            _ => {}
        }
        let mut headers: Vec<(&str, String)> = vec![("cache-control", CACHE_NONE.into())];
        if let CommentError::TooSoon { retry_after } = error {
            headers.push(("retry-after", retry_after.to_string()));
        }
        if error.status() == 503 {
            headers.push(("retry-after", "30".into()));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let t = self.messages().await;
        if format == Format::Json {
            let (heading, message) = error.public_text(t);
            let fields: serde_json::Map<String, serde_json::Value> = match &error {
                CommentError::Invalid(errors) => errors
                    .pairs()
                    .into_iter()
                    .map(|(f, m)| (f.to_owned(), m.into()))
                    .collect(),
                CommentError::BadParent => [("parent".to_owned(), message.into())]
                    .into_iter()
                    .collect(),
                _ => Default::default(),
            };
            return json(
                error.status(),
                &serde_json::json!({ "error": heading, "message": message, "fields": fields }),
                &headers,
            );
        }
        // A form with a problem a visitor can fix comes back with the message beside it.
        let field_errors = match &error {
            CommentError::Invalid(errors) => Some(errors.clone()),
            CommentError::BadParent => Some(FieldErrors {
                parent: Some(error.public_text(t).1.to_owned()),
                ..FieldErrors::default()
            }),
            _ => None,
        };
        if let (Some(errors), Some(input)) = (field_errors, input) {
            // A reply's form comes back on the page of the comment it answers.
            let cpage = match (&error, self.reply_page(slug, input).await) {
                (CommentError::Invalid(_), Some(page)) => CommentPage::Page(page),
                _ => CommentPage::Newest,
            };
            let form = input.form(errors);
            let query = ArticleQuery {
                cpage,
                ..ArticleQuery::default()
            };
            match self.site.article(slug, query, Some(form)).await {
                Ok((html, _)) => {
                    let mut all = headers.clone();
                    all.push(("content-type", HTML));
                    return response::build(error.status(), &all, Body::Text(html));
                }
                Err(e) => return self.error_page(&e.into()).await,
            }
        }
        self.error_page_with(&error, &headers).await
    }

    /// The thread page of the comment a rejected reply answers, if it is an approved
    /// comment of this post (a failed read shows the newest page instead).
    async fn reply_page(&self, slug: &Slug, input: &CommentInput) -> Option<u32> {
        let parent = CommentId::parse(input.parent.as_deref()?.trim()).ok()?;
        match self.comments.page_of(slug, &parent).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "reply's thread page not read");
                None
            }
        }
    }

    async fn error_page(&self, error: &CommentError) -> Response<Body> {
        self.error_page_with(error, &[("cache-control", CACHE_NONE)])
            .await
    }

    async fn error_page_with(
        &self,
        error: &CommentError,
        headers: &[(&str, &str)],
    ) -> Response<Body> {
        let (heading, message) = error.public_text(self.messages().await);
        let mut all = headers.to_vec();
        if let CommentError::MethodNotAllowed = error {
            all.push(("allow", "POST"));
        }
        self.plain_page(error.status(), heading, message, &all)
            .await
    }

    /// A page with a heading and a sentence (this function's error pages).
    async fn plain_page(
        &self,
        status: u16,
        heading: &str,
        message: &str,
        headers: &[(&str, &str)],
    ) -> Response<Body> {
        let chrome = self.site.chrome().await.ok();
        let page = ErrorPage::new(chrome.as_deref(), heading, message);
        let html = page.render().unwrap_or_else(|_| {
            format!("<!DOCTYPE html><title>{heading}</title><h1>{heading}</h1>")
        });
        let mut all = headers.to_vec();
        all.push(("content-type", HTML));
        response::build(status, &all, Body::Text(html))
    }

    /// `GET /comments/moderate?token=…&action=…`: the comment and a button. Nothing changes.
    async fn moderation_page(&self, req: &Request) -> Response<Body> {
        let input: ModerationInput =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
        let result = async {
            let (action, comment) = self.granted(&input).await?;
            Ok::<_, CommentError>((action, comment))
        }
        .await;
        match result {
            Ok((action, comment)) => {
                // The link allows its one action: one button.
                let t = self.messages().await;
                let actions = vec![(action.as_str(), action.button(t))];
                self.moderation_response(
                    200,
                    &t.moderate_heading,
                    Some(t.moderate_press(action.button(t))),
                    Some(&comment),
                    Some(input.token),
                    actions,
                )
                .await
            }
            Err(e) => self.error_page(&e).await,
        }
    }

    /// `POST /comments/moderate`: approves, marks as spam or deletes.
    async fn moderate(&self, req: &Request) -> Response<Body> {
        let format = match form::format_of(req) {
            Ok(f) => f,
            Err(e) => return self.error_page(&e.into()).await,
        };
        let result = async {
            let input: ModerationInput = form::parse(format, form::body_bytes(req)?)?;
            let (action, before) = self.granted(&input).await?;
            let id = before.id.clone();
            // Only from the status the link was checked against: of two links pressed
            // at once, the store applies one and the other changes nothing.
            let from = before.status;
            let outcome = match action {
                Action::Approve => {
                    self.comments
                        .move_status(&id, from, CommentStatus::Approved)
                        .await?
                }
                Action::Spam => {
                    self.comments
                        .move_status(&id, from, CommentStatus::Spam)
                        .await?
                }
                Action::Delete => self.comments.delete_if(&id, from).await?,
            };
            let comment = match outcome {
                Transition::Done(comment) => comment,
                Transition::Conflict(_) | Transition::Missing => {
                    return Err(CommentError::ModeratedMeanwhile)
                }
            };
            let was_visible = before.status == CommentStatus::Approved;
            if was_visible || comment.status == CommentStatus::Approved {
                self.thread_changed(&comment.post).await;
            }
            tracing::info!(id = %id, action = action.as_str(), "comment moderated");
            Ok::<_, CommentError>((action, comment))
        }
        .await;
        match (result, format) {
            (Ok((action, comment)), Format::Json) => json(
                200,
                &serde_json::json!({"id": comment.id.as_str(), "action": action.as_str()}),
                &[],
            ),
            (Ok((action, comment)), Format::Form) => {
                self.moderation_response(
                    200,
                    action.done(self.messages().await),
                    None,
                    (action != Action::Delete).then_some(&comment),
                    None,
                    Vec::new(),
                )
                .await
            }
            (Err(e), Format::Json) => {
                let (heading, message) = e.public_text(self.messages().await);
                json(
                    e.status(),
                    &serde_json::json!({"error": heading, "message": message}),
                    &[],
                )
            }
            (Err(e), Format::Form) => self.error_page(&e).await,
        }
    }

    /// The action a moderation request may take and the comment it applies to: the
    /// token is genuine and unexpired, the action is the token's own, and the comment
    /// is still as it was when the link was made (single use; `moderate`'s note).
    async fn granted(&self, input: &ModerationInput) -> Result<(Action, Comment), CommentError> {
        let grant = moderate::verify(&self.secret, &input.token, (self.clock)())
            .map_err(|e| CommentError::from(moderate::Refusal::BadLink(e)))?;
        let action = grant.action(&input.action)?;
        let comment = self
            .comments
            .get(&grant.id)
            .await?
            .ok_or(CommentError::CommentGone)?;
        grant.check(&comment)?;
        Ok((action, comment))
    }

    async fn moderation_response(
        &self,
        status: u16,
        heading: &'static str,
        message: Option<String>,
        comment: Option<&Comment>,
        token: Option<String>,
        actions: Vec<(&'static str, &'static str)>,
    ) -> Response<Body> {
        let chrome = match self.site.chrome().await {
            Ok(c) => c,
            Err(e) => return self.error_page(&e.into()).await,
        };
        let t = chrome.t;
        let link = match comment {
            Some(c) if c.status == CommentStatus::Approved => {
                // On the thread page that shows it (an older one, in a long thread).
                let page = self.comments.page_of(&c.post, &c.id).await.ok().flatten();
                Some(match page {
                    Some(page) => format!("{}?cpage={page}#comment-{}", post_path(&c.post), c.id),
                    None => format!("{}#comment-{}", post_path(&c.post), c.id),
                })
            }
            Some(c) => Some(post_path(&c.post)),
            None => None,
        };
        let page = ModerationPage {
            heading,
            message,
            site_title: chrome.title.clone(),
            lang: chrome.language.clone(),
            head_links: chrome.head_links().to_owned(),
            t,
            comment: comment.map(|c| OwnerView::of(c, t)),
            token,
            actions,
            link,
            link_text: &t.moderate_go_to_post,
        };
        match page.render() {
            Ok(html) => response::build(
                status,
                &[
                    ("content-type", HTML),
                    ("cache-control", CACHE_NONE),
                    ("referrer-policy", "no-referrer"),
                ],
                Body::Text(html),
            ),
            Err(e) => {
                self.error_page(&CommentError::Unavailable(crate::ports::StoreError::new(
                    format!("template failed: {e}"),
                )))
                .await
            }
        }
    }
}

/// An address on an article: `query` on thread page `page` (`None`: the newest), then
/// `#anchor`.
fn article_link(slug: &Slug, page: Option<u32>, query: &str, anchor: &str) -> String {
    match page {
        Some(page) => format!("{}?cpage={page}&{query}#{anchor}", post_path(slug)),
        None => format!("{}?{query}#{anchor}", post_path(slug)),
    }
}

fn json(status: u16, value: &serde_json::Value, headers: &[(&str, &str)]) -> Response<Body> {
    let mut all = headers.to_vec();
    all.push(("content-type", "application/json"));
    if !all.iter().any(|(n, _)| *n == "cache-control") {
        all.push(("cache-control", CACHE_NONE));
    }
    response::build(status, &all, Body::Text(value.to_string()))
}
