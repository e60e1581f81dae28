//! The subscribe function's handler, driven by real API Gateway events, on the embedded
//! stores with a recording mailer: every path a visitor, a script or a mail client takes.

use lambdapress::adapters::SqliteSubscribers;
use lambdapress::domain::Secret;
use lambdapress::http::{Body, HttpFunction, Response};
use lambdapress::ports::{SubscriberStore, SubscriptionStatus};
use lambdapress::subscribe::{Subscribe, SubscribeOptions, CONFIRM_PURPOSE, UNSUBSCRIBE_PURPOSE};
use lambdapress_tests::fixtures::{body_text, header, http_api, http_api_from, http_api_with_body};
use lambdapress_tests::mail::{link, token, RecordingMailer};
use lambdapress_tests::subscribers_contract::{email, test_secret};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("content-type", "application/json");
const ARTICLE: &str = "/posts/what-are-muscle-knots";

/// The handler on an in-memory store, with a clock the test moves.
struct Harness {
    subscribe: Subscribe,
    store: Arc<SqliteSubscribers>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<AtomicI64>,
}

impl Harness {
    fn new() -> Harness {
        let store = Arc::new(SqliteSubscribers::in_memory().unwrap());
        let mailer = Arc::new(RecordingMailer::default());
        // 09:03:20: the 10-minute window runs 09:00–09:10.
        let clock = Arc::new(AtomicI64::new(
            datetime!(2024-03-12 09:03:20 UTC).unix_timestamp(),
        ));
        let now = clock.clone();
        let subscribe = Subscribe::new(
            store.clone(),
            store.clone(),
            mailer.clone(),
            test_secret(),
            SubscribeOptions {
                base_url: Some("https://clinic.example".into()),
                site_title: "Cindy Albon Acupuncture".into(),
                ..SubscribeOptions::default()
            },
        )
        .with_clock(move || {
            OffsetDateTime::from_unix_timestamp(now.load(Ordering::SeqCst)).unwrap()
        });
        Harness {
            subscribe,
            store,
            mailer,
            clock,
        }
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.clock.load(Ordering::SeqCst)).unwrap()
    }

    fn advance(&self, by: Duration) {
        self.clock.fetch_add(by.whole_seconds(), Ordering::SeqCst);
    }

    async fn send(&self, req: lambda_http::Request) -> Response<Body> {
        self.subscribe.handle(&req).await
    }

    async fn post_form(&self, path: &str, body: &str) -> Response<Body> {
        self.send(http_api_with_body("POST", path, &[FORM], body))
            .await
    }

    async fn sign_up(&self, address: &str) -> Response<Body> {
        self.post_form(
            "/subscribe",
            &format!(
                "source=%2Fposts%2Fwhat-are-muscle-knots&email={}&website=",
                address.replace('@', "%40").replace('+', "%2B")
            ),
        )
        .await
    }

    async fn get(&self, path: &str) -> Response<Body> {
        self.send(http_api("GET", path, &[])).await
    }

    async fn status_of(&self, address: &str) -> Option<SubscriptionStatus> {
        self.store
            .get(&email(address))
            .await
            .unwrap()
            .map(|s| s.status)
    }

    /// Signs up and returns the (confirm, unsubscribe) tokens from the mail.
    async fn pending(&self, address: &str) -> (String, String) {
        assert_eq!(self.sign_up(address).await.status(), 303);
        let mail = self.mailer.last();
        (
            token(&link(
                &mail,
                "https://clinic.example/subscribe/confirm?token=",
            )),
            token(&link(&mail, "https://clinic.example/unsubscribe?token=")),
        )
    }

    async fn confirmed(&self, address: &str) -> String {
        let (confirm, unsubscribe) = self.pending(address).await;
        let response = self
            .post_form("/subscribe/confirm", &format!("token={confirm}"))
            .await;
        assert_eq!(response.status(), 303);
        unsubscribe
    }
}

fn assert_no_script(html: &str) {
    assert!(!html.contains("<script"), "pages need no JavaScript");
}

#[tokio::test]
async fn form_signup_redirects_to_thanks_and_mails_a_confirm_link() {
    let h = Harness::new();
    let response = h.sign_up("Ann.Lee@Example.com").await;
    assert_eq!(response.status(), 303);
    assert_eq!(header(&response, "location"), Some("/subscribe/thanks"));

    let record = h
        .store
        .get(&email("ann.lee@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, SubscriptionStatus::Pending);
    assert_eq!(record.source, ARTICLE);
    assert_eq!(record.signed_up_at, h.now());
    assert_eq!(
        record.client_hash,
        test_secret().keyed_hash("client-address", "198.51.100.23"),
        "the client address is kept only as a keyed hash"
    );
    assert!(!record.client_hash.contains("198.51"));

    let mail = h.mailer.last();
    assert_eq!(mail.to, "Ann.Lee@Example.com");
    assert_eq!(
        mail.subject,
        "Confirm your subscription to Cindy Albon Acupuncture"
    );
    let unsubscribe = link(&mail, "https://clinic.example/unsubscribe?token=");
    assert!(mail
        .headers
        .contains(&("List-Unsubscribe".into(), format!("<{unsubscribe}>"))));
    assert!(mail.headers.contains(&(
        "List-Unsubscribe-Post".into(),
        "List-Unsubscribe=One-Click".into()
    )));
    let confirm = link(&mail, "https://clinic.example/subscribe/confirm?token=");
    assert_eq!(
        test_secret()
            .verify(
                CONFIRM_PURPOSE,
                &token(&confirm),
                h.now() + Duration::hours(47)
            )
            .unwrap(),
        "ann.lee@example.com"
    );
    assert!(
        test_secret()
            .verify(
                CONFIRM_PURPOSE,
                &token(&confirm),
                h.now() + Duration::hours(48)
            )
            .is_err(),
        "confirm links last 48 hours"
    );
    assert!(test_secret()
        .verify(
            UNSUBSCRIBE_PURPOSE,
            &token(&unsubscribe),
            h.now() + Duration::days(3000)
        )
        .is_ok());

    let thanks = h.get("/subscribe/thanks").await;
    assert_eq!(thanks.status(), 200);
    let html = body_text(&thanks);
    assert!(html.contains("check your inbox"), "{html}");
    assert!(html.contains("Cindy Albon Acupuncture"));
    assert_no_script(&html);
}

#[tokio::test]
async fn json_signup_gets_json_and_no_redirect() {
    let h = Harness::new();
    let response = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            r#"{"email":"bob@example.org","source":"/posts/a"}"#,
        ))
        .await;
    assert_eq!(response.status(), 202);
    assert_eq!(header(&response, "location"), None);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert_eq!(body["status"], "accepted");
    assert_eq!(
        h.status_of("bob@example.org").await,
        Some(SubscriptionStatus::Pending)
    );
    assert_eq!(h.mailer.count(), 1);
}

#[tokio::test]
async fn bad_email_gets_the_form_back_with_the_message_and_the_input_kept() {
    let h = Harness::new();
    for (input, message) in [
        ("ann.example.com", "it needs one @"),
        ("ann@localhost", "a domain with a dot"),
        ("", "Please enter your email address."),
        (
            &format!("{}@example.com", "a".repeat(65)),
            "1 to 64 characters",
        ),
    ] {
        let response = h
            .post_form(
                "/subscribe",
                &format!("email={input}&source=%2Fposts%2Fwhat-are-muscle-knots&website="),
            )
            .await;
        assert_eq!(response.status(), 400, "{input}");
        let html = body_text(&response);
        assert!(html.contains(message), "{input}: {html}");
        assert!(
            html.contains(&format!(r#"value="{input}""#)),
            "input kept: {html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(
            r#"<input type="hidden" name="source" value="/posts/what-are-muscle-knots">"#
        ));
        assert_no_script(&html);
    }
    // What the visitor typed comes back escaped, never as markup.
    let response = h
        .post_form(
            "/subscribe",
            "email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&website=",
        )
        .await;
    assert_eq!(response.status(), 400);
    let html = body_text(&response);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("&#34;&#62;&#60;script&#62;") || html.contains("&quot;&gt;&lt;script&gt;"),
        "{html}"
    );

    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            r#"{"email":"nope"}"#,
        ))
        .await;
    assert_eq!(json.status(), 400);
    let body: serde_json::Value = serde_json::from_str(&body_text(&json)).unwrap();
    assert_eq!(body["error"], "invalid_email");
    assert_eq!(body["field"], "email");
    assert!(body["message"].as_str().unwrap().contains("@"));

    let garbled = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            "{not json",
        ))
        .await;
    assert_eq!(garbled.status(), 400);

    assert_eq!(h.mailer.count(), 0, "bad input sends nothing");
    assert!(h.store.confirmed().await.unwrap().is_empty());
    // Bad input does not use up the visitor's signups either.
    for n in 0..5 {
        assert_eq!(
            h.sign_up(&format!("reader{n}@example.com")).await.status(),
            303
        );
    }
}

#[tokio::test]
async fn a_filled_honeypot_gets_the_normal_reply_and_stores_nothing() {
    let h = Harness::new();
    let response = h
        .post_form(
            "/subscribe",
            "email=bot%40example.com&source=%2F&website=http%3A%2F%2Fspam.example",
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(header(&response, "location"), Some("/subscribe/thanks"));
    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            r#"{"email":"bot@example.com","website":"x"}"#,
        ))
        .await;
    assert_eq!(json.status(), 202);
    assert_eq!(h.status_of("bot@example.com").await, None);
    assert_eq!(h.mailer.count(), 0);
}

#[tokio::test]
async fn the_sixth_signup_in_ten_minutes_gets_429_with_retry_after_and_a_page() {
    let h = Harness::new();
    for n in 0..5 {
        assert_eq!(
            h.sign_up(&format!("reader{n}@example.com")).await.status(),
            303
        );
    }
    let response = h.sign_up("reader5@example.com").await;
    assert_eq!(response.status(), 429);
    // 09:03:20 in the 09:00–09:10 window.
    assert_eq!(header(&response, "retry-after"), Some("400"));
    let html = body_text(&response);
    assert!(html.contains("Too many signups"), "{html}");
    assert!(html.contains("7 minutes"), "{html}");
    assert_no_script(&html);
    assert_eq!(h.status_of("reader5@example.com").await, None);
    assert_eq!(h.mailer.count(), 5);

    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            r#"{"email":"reader6@example.com"}"#,
        ))
        .await;
    assert_eq!(json.status(), 429);
    assert_eq!(header(&json, "retry-after"), Some("400"));
    let body: serde_json::Value = serde_json::from_str(&body_text(&json)).unwrap();
    assert_eq!(
        (body["error"].as_str(), body["retry_after"].as_u64()),
        (Some("rate_limited"), Some(400))
    );

    // Another client is counted on its own; the next window starts afresh.
    let other = h
        .send(http_api_from(
            "192.0.2.7",
            "POST",
            "/subscribe",
            &[FORM],
            "email=reader7%40example.com",
        ))
        .await;
    assert_eq!(other.status(), 303);
    h.advance(Duration::seconds(400));
    assert_eq!(h.sign_up("reader5@example.com").await.status(), 303);
}

#[tokio::test]
async fn signing_up_again_reveals_nothing_and_resends_at_most_once_an_hour() {
    let h = Harness::new();
    let first = h.sign_up("ann@example.com").await;
    h.advance(Duration::minutes(10));
    let again = h.sign_up("ANN@example.com").await;
    assert_eq!(
        (again.status(), header(&again, "location")),
        (first.status(), header(&first, "location")),
        "the reply is the same whether or not the address is known"
    );
    assert_eq!(h.mailer.count(), 1, "no second mail within the hour");
    h.advance(Duration::minutes(50));
    assert_eq!(h.sign_up("ann@example.com").await.status(), 303);
    assert_eq!(h.mailer.count(), 2, "resent after an hour");

    h.confirmed("bob@example.org").await;
    let count = h.mailer.count();
    h.advance(Duration::hours(3));
    let known = h.sign_up("bob@example.org").await;
    assert_eq!(
        (known.status().as_u16(), header(&known, "location")),
        (303, Some("/subscribe/thanks"))
    );
    assert_eq!(
        h.mailer.count(),
        count,
        "a confirmed subscriber gets no mail"
    );
}

#[tokio::test]
async fn confirm_on_get_shows_a_button_and_changes_nothing() {
    let h = Harness::new();
    let (confirm, _) = h.pending("ann@example.com").await;
    let page = h.get(&format!("/subscribe/confirm?token={confirm}")).await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(
        html.contains(r#"<form class="action-form" method="post" action="/subscribe/confirm">"#),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"<input type="hidden" name="token" value="{confirm}">"#
    )));
    assert_eq!(header(&page, "referrer-policy"), Some("no-referrer"));
    assert_no_script(&html);
    let head = h
        .send(http_api(
            "HEAD",
            &format!("/subscribe/confirm?token={confirm}"),
            &[],
        ))
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        h.status_of("ann@example.com").await,
        Some(SubscriptionStatus::Pending)
    );
}

#[tokio::test]
async fn confirming_by_post_subscribes_and_confirming_twice_is_harmless() {
    let h = Harness::new();
    let (confirm, _) = h.pending("ann@example.com").await;
    h.advance(Duration::hours(47));
    let response = h
        .post_form("/subscribe/confirm", &format!("token={confirm}"))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(header(&response, "location"), Some("/subscribe/confirmed"));
    let record = h
        .store
        .get(&email("ann@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, SubscriptionStatus::Confirmed);
    assert_eq!(record.confirmed_at, Some(h.now()));

    h.advance(Duration::minutes(5));
    let again = h
        .post_form("/subscribe/confirm", &format!("token={confirm}"))
        .await;
    assert_eq!(again.status(), 303);
    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe/confirm",
            &[JSON],
            &format!(r#"{{"token":"{confirm}"}}"#),
        ))
        .await;
    assert_eq!(body_text(&json), r#"{"status":"confirmed"}"#);
    let unchanged = h
        .store
        .get(&email("ann@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        unchanged.confirmed_at, record.confirmed_at,
        "the first confirmation stands"
    );

    let done = h.get("/subscribe/confirmed").await;
    assert_eq!(done.status(), 200);
    assert!(body_text(&done).contains("You are subscribed"));
}

#[tokio::test]
async fn forged_expired_and_misused_tokens_get_a_clear_400_page_and_change_nothing() {
    let h = Harness::new();
    let (confirm, unsubscribe) = h.pending("ann@example.com").await;
    let now = h.now();
    let other_site = Secret::new(vec![9u8; 32]).unwrap();
    let forged = other_site.sign(CONFIRM_PURPOSE, "ann@example.com", now + Duration::hours(1));
    let expired = test_secret().sign(
        CONFIRM_PURPOSE,
        "ann@example.com",
        now - Duration::seconds(1),
    );
    let (payload, tag) = confirm.rsplit_once('.').unwrap();
    let tampered = format!("{payload}x.{tag}");
    for (bad, heading) in [
        (forged.as_str(), "This link does not work"),
        (expired.as_str(), "This link has expired"),
        (tampered.as_str(), "This link does not work"),
        ("", "This link does not work"),
        (unsubscribe.as_str(), "This link does not work"),
    ] {
        let page = h.get(&format!("/subscribe/confirm?token={bad}")).await;
        assert_eq!(page.status(), 400, "GET {bad:?}");
        let html = body_text(&page);
        assert!(html.contains(heading), "{bad:?}: {html}");
        assert!(
            html.contains(r#"action="/subscribe""#),
            "a fresh signup is offered"
        );
        assert_no_script(&html);
        let post = h
            .post_form("/subscribe/confirm", &format!("token={bad}"))
            .await;
        assert_eq!(post.status(), 400, "POST {bad:?}");
    }
    let forged_unsubscribe = other_site.sign(
        UNSUBSCRIBE_PURPOSE,
        "ann@example.com",
        now + Duration::days(1),
    );
    for bad in [forged_unsubscribe.as_str(), confirm.as_str(), "nonsense"] {
        assert_eq!(
            h.get(&format!("/unsubscribe?token={bad}")).await.status(),
            400
        );
        let post = h
            .post_form(
                &format!("/unsubscribe?token={bad}"),
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(post.status(), 400);
    }
    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe/confirm",
            &[JSON],
            &format!(r#"{{"token":"{expired}"}}"#),
        ))
        .await;
    assert_eq!(json.status(), 400);
    assert!(body_text(&json).contains(r#""error":"invalid_link""#));
    assert_eq!(
        h.status_of("ann@example.com").await,
        Some(SubscriptionStatus::Pending)
    );
}

#[tokio::test]
async fn unsubscribe_is_one_click_and_never_on_get() {
    let h = Harness::new();
    let unsubscribe = h.confirmed("ann@example.com").await;
    let page = h.get(&format!("/unsubscribe?token={unsubscribe}")).await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(
        html.contains(&format!(r#"action="/unsubscribe?token={unsubscribe}""#)),
        "{html}"
    );
    assert!(html.contains(r#"name="List-Unsubscribe" value="One-Click""#));
    assert_no_script(&html);
    assert_eq!(
        h.status_of("ann@example.com").await,
        Some(SubscriptionStatus::Confirmed)
    );

    // What a mail client sends for RFC 8058 one-click.
    let response = h
        .post_form(
            &format!("/unsubscribe?token={unsubscribe}"),
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "location"), None);
    assert_eq!(header(&response, "set-cookie"), None);
    assert!(body_text(&response).contains("You are unsubscribed"));
    let record = h
        .store
        .get(&email("ann@example.com"))
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(record.status, SubscriptionStatus::Unsubscribed);
    assert_eq!(record.unsubscribed_at, Some(h.now()));

    let again = h
        .post_form(
            &format!("/unsubscribe?token={unsubscribe}"),
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(again.status(), 200, "unsubscribing twice is harmless");
}

#[tokio::test]
async fn resubscribing_after_unsubscribe_is_a_fresh_opt_in() {
    let h = Harness::new();
    let unsubscribe = h.confirmed("ann@example.com").await;
    let (old_confirm, _) = {
        let mail = h.mailer.last();
        (
            token(&link(
                &mail,
                "https://clinic.example/subscribe/confirm?token=",
            )),
            (),
        )
    };
    h.post_form(
        &format!("/unsubscribe?token={unsubscribe}"),
        "List-Unsubscribe=One-Click",
    )
    .await;
    // An old confirm link does not bring an unsubscribed address back.
    let stale = h
        .post_form("/subscribe/confirm", &format!("token={old_confirm}"))
        .await;
    assert_eq!(stale.status(), 200);
    assert!(body_text(&stale).contains("This subscription has ended"));
    assert_eq!(
        h.status_of("ann@example.com").await,
        Some(SubscriptionStatus::Unsubscribed)
    );

    h.advance(Duration::minutes(10));
    let mails = h.mailer.count();
    h.sign_up("ann@example.com").await;
    assert_eq!(h.mailer.count(), mails + 1, "a new confirmation mail");
    let record = h
        .store
        .get(&email("ann@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, SubscriptionStatus::Pending);
    assert_eq!(record.confirmed_at, None);
    assert_eq!(record.signed_up_at, h.now());
}

#[tokio::test]
async fn a_mail_failure_says_so_plainly_keeps_the_form_and_the_retry_sends_at_once() {
    let h = Harness::new();
    h.mailer.failing.store(true, Ordering::SeqCst);
    let response = h.sign_up("ann+news@example.com").await;
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), Some("60"));
    let page = body_text(&response);
    assert!(
        page.contains("We could not send your confirmation email"),
        "{page}"
    );
    assert!(
        page.contains("nothing was sent and you are not subscribed yet"),
        "never a claim of success: {page}"
    );
    assert!(!page.contains("check your inbox"), "{page}");
    assert!(!page.contains("transport down"), "no internal detail");
    // The form again, the address kept and the page it came from, for one-press retry.
    assert!(page.contains(r#"value="ann+news@example.com""#), "{page}");
    assert!(
        page.contains(r#"value="/posts/what-are-muscle-knots""#),
        "{page}"
    );
    assert_no_script(&page);
    assert_eq!(
        h.store
            .get(&email("ann+news@example.com"))
            .await
            .unwrap()
            .unwrap()
            .confirmation_sent_at,
        None,
        "the claim on the mail is released"
    );

    // A script is told the same in JSON, with its own code.
    let json = h
        .send(http_api_with_body(
            "POST",
            "/subscribe",
            &[JSON],
            r#"{"email":"bob@example.org","source":"/"}"#,
        ))
        .await;
    assert_eq!(json.status(), 503);
    assert_eq!(header(&json, "content-type"), Some("application/json"));
    let answer: serde_json::Value = serde_json::from_str(&body_text(&json)).unwrap();
    assert_eq!(answer["error"], "mail_not_sent");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("you are not subscribed yet"));
    assert_eq!(h.mailer.count(), 0);

    // The visitor presses the button again at once (no waiting out the resend hour,
    // nor the claim's lease): the mail goes.
    h.mailer.failing.store(false, Ordering::SeqCst);
    assert_eq!(h.sign_up("ann+news@example.com").await.status(), 303);
    assert_eq!(h.mailer.count(), 1);
    assert_eq!(h.mailer.last().to, "ann+news@example.com");
    assert_eq!(
        h.status_of("ann+news@example.com").await,
        Some(SubscriptionStatus::Pending)
    );
}

#[tokio::test]
async fn other_paths_and_methods_are_refused() {
    let h = Harness::new();
    assert_eq!(h.get("/subscribe/elsewhere").await.status(), 404);
    let put = h
        .send(http_api_with_body("PUT", "/subscribe", &[FORM], ""))
        .await;
    assert_eq!(put.status(), 405);
    assert_eq!(header(&put, "allow"), Some("GET, HEAD, POST"));
    let post = h.post_form("/subscribe/thanks", "").await;
    assert_eq!(post.status(), 405);
    let page = h.get("/subscribe").await;
    assert_eq!(
        page.status(),
        200,
        "a plain signup page for links and retries"
    );
    assert!(body_text(&page).contains(r#"name="email""#));
}
