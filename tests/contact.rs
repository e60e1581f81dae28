//! The contact form (`POST /<page>/message`, the comment function) through API Gateway
//! events over the sample site: mailed to the owner with the visitor as Reply-To, the
//! comment form's defences, errors beside the field, nothing stored.

use lambdapress::http::Body;
use lambdapress_tests::comments::{serde_urlencoded_pairs, CommentSite, OWNER, VISITOR_IP};
use lambdapress_tests::fixtures::{body_text, header, http_api_from};
use std::sync::atomic::Ordering;

const ACTION: &str = "/contact/message";

fn good() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Ann Example"),
        ("email", "ann@example.com"),
        ("message", "Do you take walk-ins on Saturday?\nThanks, Ann"),
        ("contact_me_by_fax", ""),
    ]
}

async fn post_with(
    site: &CommentSite,
    ip: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> lambdapress::http::Response<Body> {
    site.function
        .serve(&http_api_from(ip, "POST", ACTION, headers, body))
        .await
}

#[tokio::test]
async fn a_message_is_mailed_to_the_owner_with_the_visitor_as_reply_to_then_redirected() {
    let site = CommentSite::start("").await;
    let page = site.page("/contact").await;
    assert!(
        page.contains(r#"<form id="contact-form" class="contact-form" method="post" action="/contact/message">"#),
        "the contact page shows the form"
    );
    let response = site.post_form(ACTION, &good(), VISITOR_IP).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        header(&response, "location"),
        Some("/contact?message=sent#contact-notice")
    );
    let mail = site.mailer.last();
    assert_eq!(site.mailer.count(), 1);
    assert_eq!(mail.to, OWNER);
    assert_eq!(
        mail.headers,
        [("Reply-To".to_owned(), "ann@example.com".to_owned())]
    );
    assert!(mail.subject.contains("Ann Example"), "{}", mail.subject);
    assert!(
        mail.text
            .contains("Do you take walk-ins on Saturday?\nThanks, Ann"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("https://clinic.example/contact"));
    // Nothing stored: no comment, no pending item.
    assert!(site.stored().await.is_empty());
    // The page it redirects to says so, and is not for shared caches.
    let sent = site
        .site
        .handle(&lambdapress_tests::fixtures::http_api(
            "GET",
            "/contact?message=sent",
            &[],
        ))
        .await;
    assert_eq!(sent.status(), 200);
    assert!(body_text(&sent)
        .contains(r#"<p id="contact-notice" class="contact-notice" role="status">Thank you!"#));
    assert!(header(&sent, "cache-control").unwrap().contains("no-store"));
    assert!(
        !page.contains("contact-notice"),
        "the plain page has no notice"
    );
}

#[tokio::test]
async fn json_callers_get_json_by_content_type_or_accept() {
    let site = CommentSite::start("[contact]\nflood_seconds = 0\n").await;
    let json = serde_json::json!({
        "name": "Ann", "email": "ann@example.com", "message": "Hello"
    });
    let response = site.post_json(ACTION, &json, VISITOR_IP).await;
    assert_eq!(response.status(), 202);
    let answer: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert_eq!(answer["status"], "sent");
    // A urlencoded form from a script that asks for JSON.
    let response = post_with(
        &site,
        VISITOR_IP,
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ],
        &serde_urlencoded_pairs(&[("name", "Ann"), ("email", "nope"), ("message", "Hi")]),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let answer: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert!(answer["fields"]["email"]
        .as_str()
        .unwrap()
        .contains("email address"));
    assert!(answer["fields"].get("name").is_none());
    assert_eq!(site.mailer.count(), 1, "only the good message went out");
}

#[tokio::test]
async fn a_bad_email_comes_back_beside_the_field_with_the_input_kept_and_nothing_mailed() {
    let site = CommentSite::start("").await;
    let mut fields = good();
    fields[1] = ("email", "ann-at-example");
    let response = site.post_form(ACTION, &fields, VISITOR_IP).await;
    assert_eq!(response.status(), 400);
    let html = body_text(&response);
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="contact-email-error""#));
    assert!(html.contains(r#"<span class="field-error" id="contact-email-error">Please enter an email address like name@example.com.</span>"#), "{html}");
    assert!(
        html.contains(r#"value="ann-at-example""#),
        "the input is kept"
    );
    assert!(html.contains("Do you take walk-ins on Saturday?"));
    assert!(!html.contains("contact-name-error"), "only the bad field");
    assert!(html.contains("<title>Contact – Cindy Albon Acupuncture</title>"));
    assert_eq!(site.mailer.count(), 0);
    // A message over its limit is refused beside its field too.
    let long = "x".repeat(lambdapress::domain::ContactMessage::MAX_CHARS + 1);
    let mut fields = good();
    fields[2] = ("message", &long);
    let response = site.post_form(ACTION, &fields, VISITOR_IP).await;
    assert_eq!(response.status(), 400);
    assert!(body_text(&response)
        .contains(r#"id="contact-message-error">A message can be at most 5000 characters."#));
    assert_eq!(site.mailer.count(), 0);
}

#[tokio::test]
async fn a_filled_honeypot_is_answered_as_sent_and_mails_nothing() {
    let site = CommentSite::start("").await;
    let mut fields = good();
    fields[3] = ("contact_me_by_fax", "+1 555 0100");
    let response = site.post_form(ACTION, &fields, VISITOR_IP).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        header(&response, "location"),
        Some("/contact?message=sent#contact-notice")
    );
    assert_eq!(site.mailer.count(), 0);
    assert!(site.stored().await.is_empty());
}

#[tokio::test]
async fn an_oversized_or_unreadable_body_is_refused_before_anything_else() {
    let site = CommentSite::start("").await;
    let huge = serde_urlencoded_pairs(&[
        ("name", "Ann"),
        ("email", "ann@example.com"),
        ("message", &"x".repeat(70 * 1024)),
    ]);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let response = post_with(&site, VISITOR_IP, &form, &huge).await;
    assert_eq!(response.status(), 413);
    let response = post_with(&site, VISITOR_IP, &[("content-type", "text/plain")], "hi").await;
    assert_eq!(response.status(), 415);
    assert_eq!(site.mailer.count(), 0);
}

#[tokio::test]
async fn one_client_is_held_to_one_message_a_window_and_other_clients_are_not() {
    let site = CommentSite::start("").await;
    assert_eq!(
        site.post_form(ACTION, &good(), VISITOR_IP).await.status(),
        303
    );
    let again = site.post_form(ACTION, &good(), VISITOR_IP).await;
    assert_eq!(again.status(), 429);
    let wait: u64 = header(&again, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let html = body_text(&again);
    assert!(
        html.contains(r#"id="contact-form-error" role="alert">You sent a message a moment ago."#),
        "{html}"
    );
    assert!(html.contains(r#"value="Ann Example""#), "the form is kept");
    assert_eq!(site.mailer.count(), 1);
    assert_eq!(
        site.post_form(ACTION, &good(), "192.0.2.99").await.status(),
        303,
        "another client is not held back"
    );
    site.advance(time::Duration::seconds(61));
    assert_eq!(
        site.post_form(ACTION, &good(), VISITOR_IP).await.status(),
        303
    );
    assert_eq!(site.mailer.count(), 3);
}

#[tokio::test]
async fn a_failed_mail_keeps_the_form_and_gives_the_window_back() {
    let site = CommentSite::start("").await;
    site.mailer.failing.store(true, Ordering::SeqCst);
    let response = site.post_form(ACTION, &good(), VISITOR_IP).await;
    assert_eq!(response.status(), 503);
    assert!(header(&response, "retry-after").is_some());
    assert!(body_text(&response).contains(r#"value="Ann Example""#));
    site.mailer.failing.store(false, Ordering::SeqCst);
    assert_eq!(
        site.post_form(ACTION, &good(), VISITOR_IP).await.status(),
        303,
        "the retry is not told to wait"
    );
    assert_eq!(site.mailer.count(), 1);
}

#[tokio::test]
async fn only_a_page_that_asks_for_the_form_takes_messages() {
    let site = CommentSite::start("").await;
    for path in ["/about/message", "/no-such-page/message", "/posts/message"] {
        let response = site.post_form(path, &good(), VISITOR_IP).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    assert!(!site.page("/about").await.contains("contact-form"));
    assert_eq!(site.mailer.count(), 0);
}
