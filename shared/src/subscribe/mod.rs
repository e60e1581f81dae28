//! The subscribe function's handler: signup with double opt-in, confirm and one-click
//! unsubscribe, each behind a page whose button POSTs (link scanners only GET).

pub mod error;
pub mod form;
pub mod mail;
pub mod pages;

use crate::domain::{Secret, SubscriberEmail, TokenError};
use crate::http::response::{self, CACHE_NONE, HTML};
use crate::http::{Body, Request, Response};
use crate::i18n::Messages;
use crate::ports::{ConfirmOutcome, Mailer, RateCounter, Signup, SubscriberStore};
use crate::render::chrome::SiteChrome;
use error::SubscribeError;
use form::{source_page, Fields, Format};
use pages::{ActionForm, SignupForm, SubscribePage};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Token purposes: a confirm token can never unsubscribe, nor the other way round.
pub const CONFIRM_PURPOSE: &str = "subscribe-confirm";
pub const UNSUBSCRIBE_PURPOSE: &str = "unsubscribe";
const CLIENT_PURPOSE: &str = "client-address";

pub struct SubscribeOptions {
    /// Base of the links in mails (`https://blog.example.com`). `None`: the request's host.
    pub base_url: Option<String>,
    /// The title when `chrome` is `None` (the settings could not be read at init).
    pub site_title: String,
    /// The site's settings with their chrome, read at init (`site_chrome`): the pages'
    /// language, title and head links, and the language of the confirmation mail.
    pub chrome: Option<Arc<SiteChrome>>,
    /// Fixed-window rate limit per hashed client address.
    pub signups_per_window: u64,
    pub window: Duration,
    /// A pending address gets the confirmation mail again at most this often.
    pub resend_after: Duration,
    pub confirm_valid_for: Duration,
    pub unsubscribe_valid_for: Duration,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions {
            base_url: None,
            site_title: crate::i18n::messages(Default::default())
                .subscribe_title_fallback
                .clone(),
            chrome: None,
            signups_per_window: 5,
            window: Duration::minutes(10),
            resend_after: Duration::hours(1),
            confirm_valid_for: Duration::hours(48),
            unsubscribe_valid_for: Duration::days(3653),
        }
    }
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub struct Subscribe {
    subscribers: Arc<dyn SubscriberStore>,
    counter: Arc<dyn RateCounter>,
    mailer: Arc<dyn Mailer>,
    secret: Secret,
    options: SubscribeOptions,
    clock: Clock,
}

#[async_trait::async_trait]
impl crate::http::HttpFunction for Subscribe {
    async fn handle(&self, req: &Request) -> Response<Body> {
        let format = Format::of(req);
        let response = match self.route(req, format).await {
            Ok(response) => response,
            Err(e) => self.error_response(&e, format),
        };
        let response =
            crate::http::security::secure(req, self.options.base_url.as_deref(), response);
        if req.method() == http::Method::HEAD {
            let (parts, _) = response.into_parts();
            return Response::from_parts(parts, Body::Empty);
        }
        response
    }
}

/// The paths this function answers (mirrored by `template.yaml` and the local runner).
pub fn answers(path: &str) -> bool {
    matches!(
        path,
        "/subscribe"
            | "/subscribe/thanks"
            | "/subscribe/confirm"
            | "/subscribe/confirmed"
            | "/unsubscribe"
    )
}

/// The site's title from `site.toml`, for pages and mail subjects; a generic one when
/// the settings cannot be read (signups must not fail over a title).
pub async fn site_title(content: &dyn crate::ports::ContentStore) -> String {
    match site_chrome(content, None).await {
        Some(chrome) => chrome.title.clone(),
        None => SubscribeOptions::default().site_title,
    }
}

/// `site.toml` (and the owner's `theme/custom.css`) as the site renders them, read once
/// at init: the subscribe pages' language, title and head, and the mail's language.
/// `None` when the settings cannot be read or parsed (logged; signups go on in English).
pub async fn site_chrome(
    content: &dyn crate::ports::ContentStore,
    base_url: Option<&str>,
) -> Option<Arc<SiteChrome>> {
    use crate::ports::{ContentKey, Fetched};
    let (toml_key, css_key) = (ContentKey::site_settings(), ContentKey::custom_css());
    let (toml, css) = tokio::join!(content.get(&toml_key, None), content.get(&css_key, None));
    let mut settings = match toml {
        Ok(Fetched::Found(object)) => {
            match crate::domain::SiteSettings::parse(&String::from_utf8_lossy(&object.bytes)) {
                Ok(settings) => settings,
                Err(e) => {
                    tracing::warn!(error = %e, "site.toml cannot be parsed");
                    return None;
                }
            }
        }
        Ok(_) => {
            tracing::warn!("site.toml is missing");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "site.toml cannot be read");
            return None;
        }
    };
    if let Some(base) = base_url {
        settings.base_url = base.trim_end_matches('/').to_owned();
    }
    if let Ok(Fetched::Found(object)) = css {
        settings.theme.custom_css = crate::domain::CustomCss::parse(&object.bytes)
            .ok()
            .flatten();
    }
    Some(Arc::new(SiteChrome::new(Arc::new(settings))))
}

impl Subscribe {
    pub fn new(
        subscribers: Arc<dyn SubscriberStore>,
        counter: Arc<dyn RateCounter>,
        mailer: Arc<dyn Mailer>,
        secret: Secret,
        options: SubscribeOptions,
    ) -> Subscribe {
        Subscribe {
            subscribers,
            counter,
            mailer,
            secret,
            options,
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// Replaces the clock (tests of windows and expiry).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// The strings of the site's language (English without settings).
    fn t(&self) -> &'static Messages {
        match &self.options.chrome {
            Some(chrome) => chrome.t,
            None => crate::i18n::messages(Default::default()),
        }
    }

    fn title(&self) -> &str {
        self.options
            .chrome
            .as_ref()
            .map_or(&self.options.site_title, |c| &c.title)
    }

    /// A page of this function in the site's look and language.
    fn page<'a>(&'a self, heading: &'a str, message: &'a str) -> SubscribePage<'a> {
        SubscribePage::new(
            self.options.chrome.as_deref(),
            &self.options.site_title,
            heading,
            message,
        )
    }

    async fn route(&self, req: &Request, format: Format) -> Result<Response<Body>, SubscribeError> {
        let path = crate::http::request_path(req);
        let method = req.method().as_str();
        let get = method == "GET" || method == "HEAD";
        match (path, method) {
            ("/subscribe", "POST") => self.sign_up(req, format).await,
            ("/subscribe", _) if get => Ok(self.signup_page()),
            ("/subscribe/thanks", _) if get => Ok(self.thanks_page()),
            ("/subscribe/confirm", _) if get => self.confirm_page(req),
            ("/subscribe/confirm", "POST") => self.confirm(req, format).await,
            ("/subscribe/confirmed", _) if get => Ok(self.confirmed_page()),
            ("/unsubscribe", _) if get => self.unsubscribe_page(req),
            ("/unsubscribe", "POST") => self.unsubscribe(req, format).await,
            ("/subscribe/thanks" | "/subscribe/confirmed", _) => {
                Err(SubscribeError::MethodNotAllowed { allow: "GET, HEAD" })
            }
            (p, _) if answers(p) => Err(SubscribeError::MethodNotAllowed {
                allow: "GET, HEAD, POST",
            }),
            _ => Err(SubscribeError::NotFound),
        }
    }

    async fn sign_up(
        &self,
        req: &Request,
        format: Format,
    ) -> Result<Response<Body>, SubscribeError> {
        let fields = Fields::body(req, format)?;
        let source = source_page(fields.get("source"));
        // A filled honeypot is a bot: the normal answer, nothing stored, no mail.
        if fields.get("website").is_some_and(|v| !v.trim().is_empty()) {
            tracing::info!("signup dropped: honeypot filled");
            return Ok(accepted(format, self.t()));
        }
        let input = fields.get("email").unwrap_or("");
        let email =
            SubscriberEmail::parse(input).map_err(|error| SubscribeError::InvalidEmail {
                error,
                input: input.to_owned(),
                source_page: source.clone(),
            })?;
        let now = self.now();
        let client =
            crate::http::client_addr::limit_key(crate::http::client_addr::client_addr(req));
        let client_hash = self.secret.keyed_hash(CLIENT_PURPOSE, &client);
        self.check_rate(&client_hash, now).await?;
        let signup = Signup {
            email,
            source,
            client_hash,
            at: now,
        };
        let outcome = self
            .subscribers
            .sign_up(&signup, self.options.resend_after)
            .await?;
        if outcome.sends_mail() {
            if let Err(error) = self.send_confirmation(req, &signup.email, now).await {
                // The claim is given back, so the visitor's retry sends at once (best
                // effort: if this fails too, the claim lapses after `CLAIM_LEASE`).
                if let Err(store) = self
                    .subscribers
                    .confirmation_not_sent(&signup.email, now)
                    .await
                {
                    tracing::error!(error = %store, "could not release the resend claim");
                }
                return Err(SubscribeError::MailNotSent {
                    error,
                    input: input.to_owned(),
                    source_page: signup.source,
                });
            }
            // Reported, the claim holds for the resend interval; unreported (this write
            // failing), it lapses after `CLAIM_LEASE` and a retry sends one more mail.
            if let Err(e) = self.subscribers.confirmation_sent(&signup.email, now).await {
                tracing::warn!(error = %e, "confirmation mail sent but not recorded");
            }
        }
        Ok(accepted(format, self.t()))
    }

    async fn check_rate(
        &self,
        client_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), SubscribeError> {
        let window = self.options.window.whole_seconds().max(1);
        let start = now.unix_timestamp().div_euclid(window) * window;
        let window_start =
            OffsetDateTime::from_unix_timestamp(start).map_err(crate::ports::StoreError::new)?;
        let window_end = window_start + Duration::seconds(window);
        let hits = self
            .counter
            .hit(&format!("signup#{client_hash}"), window_start, window_end)
            .await?;
        if hits > self.options.signups_per_window {
            let retry_after_secs = (window_end - now).whole_seconds().max(1) as u64;
            return Err(SubscribeError::RateLimited { retry_after_secs });
        }
        Ok(())
    }

    fn base_url(&self, req: &Request) -> String {
        // No site.toml here: the request's domain always exists behind API Gateway, and
        // the local runner sets SITE_URL.
        crate::http::base_url::resolve(
            self.options.base_url.as_deref(),
            crate::http::base_url::request_domain(req).as_deref(),
            "http://localhost",
            false,
        )
        .unwrap_or_else(|_| "http://localhost".into())
    }

    async fn send_confirmation(
        &self,
        req: &Request,
        email: &SubscriberEmail,
        now: OffsetDateTime,
    ) -> Result<(), crate::ports::MailError> {
        let base = self.base_url(req);
        let confirm = self.secret.sign(
            CONFIRM_PURPOSE,
            email.key(),
            now + self.options.confirm_valid_for,
        );
        let unsubscribe = self.unsubscribe_token(email, now);
        let mail = mail::confirmation(
            email.as_str(),
            self.title(),
            &format!("{base}/subscribe/confirm?token={confirm}"),
            &format!("{base}/unsubscribe?token={unsubscribe}"),
            self.options.confirm_valid_for.whole_hours(),
            self.t(),
        );
        self.mailer.send(&mail).await.map(|_| ())
    }

    /// The long-lived token of every `List-Unsubscribe` link for this address.
    pub fn unsubscribe_token(&self, email: &SubscriberEmail, now: OffsetDateTime) -> String {
        self.secret.sign(
            UNSUBSCRIBE_PURPOSE,
            email.key(),
            now + self.options.unsubscribe_valid_for,
        )
    }

    fn verify(
        &self,
        purpose: &str,
        token: Option<&str>,
    ) -> Result<SubscriberEmail, SubscribeError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(SubscribeError::InvalidLink(TokenError::Malformed))?;
        let subject = self
            .secret
            .verify(purpose, token, self.now())
            .map_err(SubscribeError::InvalidLink)?;
        SubscriberEmail::parse(&subject)
            .map_err(|_| SubscribeError::InvalidLink(TokenError::Malformed))
    }

    fn confirm_page(&self, req: &Request) -> Result<Response<Body>, SubscribeError> {
        let query = Fields::query(req);
        let token = query.get("token");
        self.verify(CONFIRM_PURPOSE, token)?;
        let token = token.unwrap_or("");
        let t = self.t();
        let page = self
            .page(&t.subscribe_confirm_heading, &t.subscribe_confirm_text)
            .with_action(ActionForm {
                url: "/subscribe/confirm".into(),
                hidden: vec![("token", token)],
                button: &t.subscribe_confirm_button,
            });
        Ok(html(200, page.html()))
    }

    async fn confirm(
        &self,
        req: &Request,
        format: Format,
    ) -> Result<Response<Body>, SubscribeError> {
        let fields = Fields::body(req, format)?;
        let query = Fields::query(req);
        let email = self.verify(
            CONFIRM_PURPOSE,
            fields.get("token").or_else(|| query.get("token")),
        )?;
        let outcome = self.subscribers.confirm(&email, self.now()).await?;
        let status = match outcome {
            ConfirmOutcome::Confirmed | ConfirmOutcome::AlreadyConfirmed => "confirmed",
            // The address unsubscribed or was erased since this link was sent: only a
            // new signup may subscribe it again.
            ConfirmOutcome::Unsubscribed | ConfirmOutcome::Missing => "not_subscribed",
        };
        match (format, status) {
            (Format::Json, _) => Ok(json(200, serde_json::json!({ "status": status }))),
            (Format::Form, "confirmed") => Ok(see_other("/subscribe/confirmed")),
            (Format::Form, _) => Ok(html(
                200,
                self.page(
                    &self.t().subscribe_ended_heading,
                    &self.t().subscribe_ended_text,
                )
                .with_form(SignupForm {
                    email: "",
                    source: "/",
                    error: None,
                })
                .html(),
            )),
        }
    }

    fn unsubscribe_page(&self, req: &Request) -> Result<Response<Body>, SubscribeError> {
        let query = Fields::query(req);
        let token = query.get("token");
        self.verify(UNSUBSCRIBE_PURPOSE, token)?;
        let t = self.t();
        let page = self
            .page(&t.unsubscribe_heading, &t.unsubscribe_text)
            .with_action(ActionForm {
                // RFC 8058's one-click POST goes to the same URL with the same body.
                url: format!("/unsubscribe?token={}", token.unwrap_or("")),
                hidden: vec![("List-Unsubscribe", "One-Click")],
                button: &t.unsubscribe_button,
            });
        Ok(html(200, page.html()))
    }

    /// RFC 8058 one-click: answered at once with 200, no redirect, no cookie.
    async fn unsubscribe(
        &self,
        req: &Request,
        format: Format,
    ) -> Result<Response<Body>, SubscribeError> {
        let query = Fields::query(req);
        let email = self.verify(UNSUBSCRIBE_PURPOSE, query.get("token"))?;
        self.subscribers.unsubscribe(&email, self.now()).await?;
        Ok(match format {
            Format::Json => json(200, serde_json::json!({ "status": "unsubscribed" })),
            Format::Form => html(
                200,
                self.page(&self.t().unsubscribed_heading, &self.t().unsubscribed_text)
                    .html(),
            ),
        })
    }

    fn signup_page(&self) -> Response<Body> {
        html(
            200,
            self.page(&self.t().subscribe_heading, &self.t().subscribe_text)
                .with_form(SignupForm {
                    email: "",
                    source: "/",
                    error: None,
                })
                .html(),
        )
    }

    fn thanks_page(&self) -> Response<Body> {
        html(
            200,
            self.page(
                &self.t().subscribe_thanks_heading,
                &self.t().subscribe_thanks_text,
            )
            .html(),
        )
    }

    fn confirmed_page(&self) -> Response<Body> {
        html(
            200,
            self.page(&self.t().subscribed_heading, &self.t().subscribed_text)
                .html(),
        )
    }

    /// The one place an error becomes a response.
    fn error_response(&self, error: &SubscribeError, format: Format) -> Response<Body> {
        match error {
            SubscribeError::Unavailable(e) => tracing::error!(error = %e, "storage failure"),
            SubscribeError::MailNotSent { error, .. } => {
                tracing::error!(error = %error, "mail failure")
            }
            other => tracing::info!(error = %other, "request refused"),
        }
        let status = error.status();
        let (heading, message) = error.public_text(self.t());
        let mut headers: Vec<(&str, String)> = Vec::new();
        match error {
            SubscribeError::RateLimited { retry_after_secs } => {
                headers.push(("retry-after", retry_after_secs.to_string()));
            }
            SubscribeError::MethodNotAllowed { allow } => headers.push(("allow", (*allow).into())),
            SubscribeError::Unavailable(_) | SubscribeError::MailNotSent { .. } => {
                headers.push(("retry-after", "60".into()));
            }
            _ => {}
        }
        let mut response = match format {
            Format::Json => {
                let mut body = serde_json::json!({ "error": error.code(), "message": message });
                if let SubscribeError::InvalidEmail { .. } = error {
                    body["field"] = "email".into();
                }
                if let SubscribeError::RateLimited { retry_after_secs } = error {
                    body["retry_after"] = (*retry_after_secs).into();
                }
                json(status, body)
            }
            Format::Form => {
                let mut page = self.page(heading, &message);
                match error {
                    SubscribeError::InvalidEmail {
                        input, source_page, ..
                    } => {
                        page = self
                            .page(heading, &self.t().subscribe_error_email_text)
                            .with_form(SignupForm {
                                email: input,
                                source: source_page,
                                error: Some(&message),
                            })
                            .with_back(source_page);
                    }
                    // The same form, address kept: one press tries the mail again.
                    SubscribeError::MailNotSent {
                        input, source_page, ..
                    } => {
                        page = page
                            .with_form(SignupForm {
                                email: input,
                                source: source_page,
                                error: None,
                            })
                            .with_back(source_page);
                    }
                    SubscribeError::InvalidLink(_) => {
                        page = page.with_form(SignupForm {
                            email: "",
                            source: "/",
                            error: None,
                        });
                    }
                    _ => {}
                }
                html(status, page.html())
            }
        };
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

fn accepted(format: Format, t: &Messages) -> Response<Body> {
    match format {
        Format::Form => see_other("/subscribe/thanks"),
        Format::Json => json(
            202,
            serde_json::json!({
                "status": "accepted",
                "message": t.subscribe_accepted,
            }),
        ),
    }
}

fn see_other(location: &str) -> Response<Body> {
    response::build(
        303,
        &[("location", location), ("cache-control", CACHE_NONE)],
        Body::Empty,
    )
}

fn html(status: u16, body: String) -> Response<Body> {
    response::build(
        status,
        &[
            ("content-type", HTML),
            ("cache-control", CACHE_NONE),
            // Token pages must not leak their URL to anything they load.
            ("referrer-policy", "no-referrer"),
        ],
        Body::Text(body),
    )
}

fn json(status: u16, value: serde_json::Value) -> Response<Body> {
    response::build(
        status,
        &[
            ("content-type", "application/json"),
            ("cache-control", CACHE_NONE),
        ],
        Body::Text(value.to_string()),
    )
}
