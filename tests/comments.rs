//! The comment function through API Gateway events: posting (form and JSON), every
//! moderation rule, threaded display on the article, and the owner's moderation links.

use lambdapress::comments::moderate::Action;
use lambdapress::domain::{CommentId, CommentStatus};
use lambdapress::ports::CommentStore;
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::comments::{location, CommentSite, ARTICLE, OWNER, VISITOR_IP};
use lambdapress_tests::fixtures::{body_text, header, http_api};
use serde_json::json;

const POST_COMMENTS: &str = "/posts/what-are-muscle-knots/comments";
const NONE: &str = "[comments]\nmoderation = \"none\"\nflood_seconds = 0\n";

fn fields<'a>(name: &'a str, email: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("email", email),
        ("website", ""),
        ("body", body),
        ("parent", ""),
    ]
}

async fn json_id(site: &CommentSite, value: serde_json::Value, ip: &str) -> CommentId {
    let response = site.post_json(POST_COMMENTS, &value, ip).await;
    assert_eq!(response.status(), 201, "{}", body_text(&response));
    let answer: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    CommentId::parse(answer["id"].as_str().unwrap()).unwrap()
}

/// `n` approved top-level comments on the sample article, a minute apart, a day old.
async fn seed_roots(site: &CommentSite, n: i64, who: &str) -> Vec<lambdapress::domain::Comment> {
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let mut roots = Vec::new();
    for i in 0..n {
        let c = lambdapress_tests::comments_contract::comment(
            "what-are-muscle-knots",
            &format!("{who}{i}"),
            start + time::Duration::minutes(i),
            CommentStatus::Approved,
        );
        site.embedded.comments.insert(&c).await.unwrap();
        roots.push(c);
    }
    roots
}

/// The article's JSON-LD `commentCount`.
fn ld_comment_count(html: &str) -> serde_json::Value {
    let start = html.find("application/ld+json\">").unwrap() + "application/ld+json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    ld["@graph"][0]["commentCount"].clone()
}

async fn status_of(site: &CommentSite, id: &CommentId) -> CommentStatus {
    site.embedded
        .comments
        .get(id)
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn a_held_comment_redirects_to_the_article_saying_it_awaits_moderation() {
    let site = CommentSite::start("").await;
    let response = site
        .post_form(
            POST_COMMENTS,
            &fields("Ann", "ann@example.com", "Very helpful, thanks!"),
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert_eq!(
        to,
        "/posts/what-are-muscle-knots?moderation=held#comment-notice"
    );
    let stored = site.stored().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, CommentStatus::Pending, "held by default");
    assert_ne!(
        stored[0].client_hash, VISITOR_IP,
        "the address is kept only hashed"
    );
    assert!(!stored[0].client_hash.contains("198.51"));

    let page = site.page(to.split('#').next().unwrap()).await;
    assert!(
        page.contains("Your comment is awaiting moderation."),
        "{page}"
    );
    assert!(
        !page.contains("Very helpful"),
        "a held comment is not shown"
    );
    let plain = site.page(ARTICLE).await;
    assert!(!plain.contains("awaiting moderation"));

    let mails = site.mails();
    assert_eq!(mails.len(), 1, "the owner is told");
    assert_eq!(mails[0].to, OWNER);
    for action in ["approve", "spam", "delete"] {
        assert!(
            mails[0].text.contains("/comments/moderate?token=")
                && mails[0].text.contains(&format!("&action={action}")),
            "{}",
            mails[0].text
        );
    }
}

#[tokio::test]
async fn a_failed_owner_mail_is_told_plainly_and_the_comment_still_waits() {
    use std::sync::atomic::Ordering;
    // Flood control off: the JSON comment below comes from the same visitor.
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    site.mailer.failing.store(true, Ordering::SeqCst);
    let response = site
        .post_form(
            POST_COMMENTS,
            &fields("Ann", "ann@example.com", "Very helpful, thanks!"),
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert_eq!(
        to,
        "/posts/what-are-muscle-knots?moderation=held-unsent#comment-notice"
    );
    let page = site.page(to.split('#').next().unwrap()).await;
    assert!(page.contains("Your comment is saved and awaiting moderation."));
    assert!(
        page.contains("We could not email the site&#39;s owner about it")
            || page.contains("We could not email the site&#x27;s owner about it"),
        "{page}"
    );
    // A mail that went is not reported as failed.
    site.mailer.failing.store(false, Ordering::SeqCst);
    let sent = site
        .post_form(
            POST_COMMENTS,
            &fields("Cal", "cal@example.com", "Another question"),
            "203.0.113.40",
        )
        .await;
    assert_eq!(
        location(&sent),
        "/posts/what-are-muscle-knots?moderation=held#comment-notice"
    );
    let plain = site
        .page("/posts/what-are-muscle-knots?moderation=held")
        .await;
    assert!(plain.contains("Your comment is awaiting moderation."));
    assert!(!plain.contains("could not email"), "{plain}");

    site.mailer.failing.store(true, Ordering::SeqCst);
    let json = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Bea", "email": "bea@example.com", "body": "Hello"}),
            VISITOR_IP,
        )
        .await;
    assert_eq!(json.status(), 201);
    let answer: serde_json::Value = serde_json::from_str(&body_text(&json)).unwrap();
    assert_eq!(answer["status"], "pending");
    assert_eq!(answer["owner_notified"], false);
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("could not email the site's owner"));

    let stored = site.stored().await;
    assert_eq!(stored.len(), 3, "every comment is kept, mail or not");
    assert!(stored.iter().all(|c| c.status == CommentStatus::Pending));
    assert_eq!(site.mails().len(), 1, "only the one that went");
}

#[tokio::test]
async fn json_comments_get_json_answers() {
    let site = CommentSite::start(NONE).await;
    let response = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Bea", "email": "bea@example.com", "body": "Hello *there*"}),
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let answer: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert_eq!(answer["status"], "approved");
    let id = answer["id"].as_str().unwrap();
    assert_eq!(
        answer["location"],
        format!("/posts/what-are-muscle-knots?comment={id}#comment-{id}")
    );

    let bad = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "", "email": "nope", "body": "x", "website": "javascript:alert(1)"}),
            "203.0.113.9",
        )
        .await;
    assert_eq!(bad.status(), 400);
    let answer: serde_json::Value = serde_json::from_str(&body_text(&bad)).unwrap();
    assert!(answer["fields"]["name"].is_string());
    assert!(answer["fields"]["email"].is_string());
    assert!(answer["fields"]["website"].is_string());
    assert!(answer["fields"].get("body").is_none());

    let broken = site
        .function
        .serve(&lambdapress_tests::fixtures::http_api_from(
            VISITOR_IP,
            "POST",
            POST_COMMENTS,
            &[("content-type", "application/json")],
            "{not json",
        ))
        .await;
    assert_eq!(broken.status(), 400);
    let xml = site
        .function
        .serve(&lambdapress_tests::fixtures::http_api_from(
            VISITOR_IP,
            "POST",
            POST_COMMENTS,
            &[("content-type", "text/xml")],
            "<a/>",
        ))
        .await;
    assert_eq!(xml.status(), 415);
    assert_eq!(site.stored().await.len(), 1, "bad input changes nothing");
}

#[tokio::test]
async fn a_bad_field_returns_the_article_form_with_the_message_beside_it_and_the_text_kept() {
    let site = CommentSite::start("").await;
    let long_name = "N".repeat(246);
    let response = site
        .post_form(
            POST_COMMENTS,
            &[
                ("name", long_name.as_str()),
                ("email", "not-an-address"),
                ("website", "javascript:alert(1)"),
                ("body", "My <b>kept</b> text & more"),
                ("parent", ""),
            ],
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = body_text(&response);
    assert!(
        html.contains("<h1>What Are Muscle Knots and Why Do You Have Them?</h1>"),
        "the article comes back"
    );
    assert!(html.contains(r#"<span class="field-error" id="comment-name-error">Your name can be at most 245 characters.</span>"#), "{html}");
    assert!(html.contains(
        r#"id="comment-email-error">Please enter an email address like name@example.com.</span>"#
    ));
    assert!(html.contains(r#"id="comment-website-error">A website must be an address starting with http:// or https://.</span>"#));
    assert!(
        !html.contains("comment-body-error"),
        "a good field has no message"
    );
    assert!(
        html.contains("My &#60;b&#62;kept&#60;/b&#62; text &#38; more</textarea>")
            || html.contains("My &lt;b&gt;kept&lt;/b&gt; text &amp; more</textarea>"),
        "the text is kept, escaped: {html}"
    );
    assert!(html.contains(r#"value="not-an-address""#));
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="comment-email-error""#));
    assert!(site.stored().await.is_empty());
    assert!(site.mails().is_empty());
}

#[tokio::test]
async fn fields_are_held_to_their_limits() {
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let name_245 = "n".repeat(245);
    let email_100 = format!("{}@example.com", "e".repeat(88));
    let website_200 = format!("https://example.com/{}", "w".repeat(180));
    let body_10000 = "b".repeat(10_000);
    let ok = site
        .post_form(
            POST_COMMENTS,
            &[
                ("name", &name_245),
                ("email", &email_100),
                ("website", &website_200),
                ("body", &body_10000),
            ],
            VISITOR_IP,
        )
        .await;
    assert_eq!(ok.status(), 303, "every field at its limit is accepted");
    for (field, value) in [
        ("name", "n".repeat(246)),
        ("email", format!("{}@example.com", "e".repeat(89))),
        (
            "website",
            format!("https://example.com/{}", "w".repeat(181)),
        ),
        ("body", "b".repeat(10_001)),
        ("body", "   ".to_owned()),
        ("email", String::new()),
        ("website", "ftp://example.com".to_owned()),
    ] {
        let mut form = vec![
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("website", ""),
            ("body", "Fine text"),
        ];
        form.retain(|(f, _)| *f != field);
        form.push((field, value.as_str()));
        let response = site.post_form(POST_COMMENTS, &form, VISITOR_IP).await;
        assert_eq!(
            response.status(),
            400,
            "{field} = {} chars",
            value.chars().count()
        );
        assert!(
            body_text(&response).contains(&format!("comment-{field}-error")),
            "{field}"
        );
    }
    assert_eq!(site.stored().await.len(), 1);
}

#[tokio::test]
async fn unknown_posts_closed_posts_and_foreign_parents_are_refused() {
    let site = CommentSite::start(NONE).await;
    let form = fields("Ann", "ann@example.com", "Hello");
    let unknown = site
        .post_form("/posts/no-such-post/comments", &form, VISITOR_IP)
        .await;
    assert_eq!(unknown.status(), 404);
    assert!(body_text(&unknown).contains("There is no post at this address"));
    let draft = site
        .post_form("/posts/draft-winter-hours/comments", &form, VISITOR_IP)
        .await;
    assert_eq!(draft.status(), 404, "drafts take no comments");
    let bad_slug = site
        .post_form("/posts/..%2F/comments", &form, VISITOR_IP)
        .await;
    assert_eq!(bad_slug.status(), 404);

    site.embedded.write_post(
        "closed-post",
        "+++\ntitle = \"Closed\"\ndate = 2024-02-01\ncomments = false\n+++\nText\n",
    );
    let closed = site
        .post_form("/posts/closed-post/comments", &form, VISITOR_IP)
        .await;
    assert_eq!(closed.status(), 403);
    assert!(body_text(&closed).contains("This post no longer takes comments."));
    let page = site.page("/posts/closed-post").await;
    assert!(page.contains("Comments are closed.") && !page.contains("comment-form"));

    let other = json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "On the other post"}),
        VISITOR_IP,
    )
    .await;
    // Move the approved comment's id to a reply on a different post.
    let mut reply = fields("Bob", "bob@example.com", "A reply in the wrong place");
    let other_s = other.to_string();
    reply.retain(|(f, _)| *f != "parent");
    reply.push(("parent", &other_s));
    let wrong = site
        .post_form(
            "/posts/acupuncture-for-better-sleep/comments",
            &reply,
            VISITOR_IP,
        )
        .await;
    assert_eq!(wrong.status(), 422, "a parent from another post");
    assert!(body_text(&wrong).contains("The comment you replied to is not on this post."));
    let unknown_parent = site
        .post_json(POST_COMMENTS, &json!({"name": "Bob", "email": "bob@example.com", "body": "x", "parent": "0123456789abcdef"}), VISITOR_IP)
        .await;
    assert_eq!(unknown_parent.status(), 422);
    assert_eq!(site.stored().await.len(), 1);

    let old = CommentSite::start("[comments]\nclose_after_days = 30\n").await;
    let response = old.post_form(POST_COMMENTS, &form, VISITOR_IP).await;
    assert_eq!(
        response.status(),
        403,
        "posts older than close_after_days are closed"
    );
    assert!(old.page(ARTICLE).await.contains("Comments are closed."));
}

#[tokio::test]
async fn moderation_modes_all_first_time_and_none() {
    let all = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let id = json_id(
        &all,
        json!({"name": "Ann", "email": "ann@example.com", "body": "One"}),
        VISITOR_IP,
    )
    .await;
    all.embedded.comments.approve(&id).await.unwrap();
    let again = json_id(
        &all,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Two"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(
        status_of(&all, &again).await,
        CommentStatus::Pending,
        "all: every comment is held"
    );

    let first =
        CommentSite::start("[comments]\nmoderation = \"first_time\"\nflood_seconds = 0\n").await;
    let id = json_id(
        &first,
        json!({"name": "Ann", "email": "ann@example.com", "body": "One"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(
        status_of(&first, &id).await,
        CommentStatus::Pending,
        "a first comment is held"
    );
    let id2 = json_id(
        &first,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Two"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(
        status_of(&first, &id2).await,
        CommentStatus::Pending,
        "still unknown until approved"
    );
    first.embedded.comments.approve(&id).await.unwrap();
    let id3 = json_id(
        &first,
        json!({"name": "Ann", "email": "ANN@example.com", "body": "Three"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(
        status_of(&first, &id3).await,
        CommentStatus::Approved,
        "a known address is approved"
    );
    let stranger = json_id(
        &first,
        json!({"name": "Cy", "email": "cy@example.com", "body": "Hi"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(status_of(&first, &stranger).await, CommentStatus::Pending);

    let none = CommentSite::start(NONE).await;
    let id = json_id(
        &none,
        json!({"name": "Ann", "email": "ann@example.com", "body": "One"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(status_of(&none, &id).await, CommentStatus::Approved);
    assert!(none.mails().is_empty(), "nothing to moderate, no mail");
}

#[tokio::test]
async fn expired_spam_is_swept_by_a_later_comment_at_most_once_a_minute() {
    let site = CommentSite::start(
        "[comments]\nmoderation = \"none\"\nflood_seconds = 0\nblock_words = [\"casino\"]\n",
    )
    .await;
    let spam = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Bob", "email": "bob@example.com", "body": "best casino online"}),
            VISITOR_IP,
        )
        .await;
    let spam: serde_json::Value = serde_json::from_str(&body_text(&spam)).unwrap();
    let spam = CommentId::parse(spam["id"].as_str().unwrap()).unwrap();
    async fn kept(site: &CommentSite, id: &CommentId) -> bool {
        site.embedded.comments.get(id).await.unwrap().is_some()
    }
    async fn comment(site: &CommentSite, n: u32) {
        let email = format!("ann{n}@example.com");
        let response = site
            .post_form(
                POST_COMMENTS,
                &fields("Ann", &email, "Thank you."),
                VISITOR_IP,
            )
            .await;
        assert_eq!(response.status(), 303);
    }
    // Half a minute before it expires: a comment sweeps, and finds nothing due.
    site.advance(lambdapress::ports::comments::SPAM_KEPT - time::Duration::seconds(30));
    comment(&site, 1).await;
    assert!(kept(&site, &spam).await);
    // Expired now, but this instance swept 40 s ago: no store call for it.
    site.advance(time::Duration::seconds(40));
    comment(&site, 2).await;
    assert!(
        kept(&site, &spam).await,
        "one sweep a minute, not one per comment"
    );
    // A minute after the last sweep, the next comment sweeps it away.
    site.advance(time::Duration::seconds(30));
    comment(&site, 3).await;
    assert!(!kept(&site, &spam).await, "expired spam goes");
}

#[tokio::test]
async fn two_links_or_a_hold_word_hold_and_a_block_word_is_spam() {
    let site = CommentSite::start(
        "[comments]\nmoderation = \"none\"\nflood_seconds = 0\nhold_words = [\"Viagra\"]\nblock_words = [\"casino\"]\n",
    )
    .await;
    let cases = [
        ("one link https://a.test is fine", CommentStatus::Approved),
        (
            "two https://a.test and [b](http://b.test)",
            CommentStatus::Pending,
        ),
        ("cheap viagra here", CommentStatus::Pending),
        ("best CASINO online", CommentStatus::Spam),
    ];
    for (i, (body, expected)) in cases.into_iter().enumerate() {
        let response = site
            .post_form(
                POST_COMMENTS,
                &fields("Ann", &format!("a{i}@example.com"), body),
                VISITOR_IP,
            )
            .await;
        assert_eq!(response.status(), 303);
        let to = location(&response);
        if expected == CommentStatus::Approved {
            assert!(to.contains("?comment="), "{to}");
        } else {
            assert!(
                to.contains("moderation=held"),
                "spam hears what held hears: {to}"
            );
        }
    }
    let stored = site.stored().await;
    let status = |text: &str| {
        stored
            .iter()
            .find(|c| c.body.as_str().contains(text))
            .map(|c| c.status)
    };
    assert_eq!(status("one link"), Some(CommentStatus::Approved));
    assert_eq!(status("two https"), Some(CommentStatus::Pending));
    assert_eq!(status("viagra"), Some(CommentStatus::Pending));
    assert_eq!(
        status("CASINO"),
        None,
        "spam is neither pending nor approved"
    );
    assert_eq!(
        site.mails().len(),
        2,
        "the owner hears of held comments, not of spam"
    );

    let word_in_name = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Casino Bob", "email": "x@example.com", "body": "hi"}),
            VISITOR_IP,
        )
        .await;
    let id: serde_json::Value = serde_json::from_str(&body_text(&word_in_name)).unwrap();
    assert_eq!(id["status"], "pending", "spam answers like held");
    let id = CommentId::parse(id["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        status_of(&site, &id).await,
        CommentStatus::Spam,
        "block words apply to the name too"
    );

    let off = CommentSite::start(
        "[comments]\nmoderation = \"none\"\nflood_seconds = 0\nhold_links = 0\n",
    )
    .await;
    let id = json_id(&off, json!({"name": "Ann", "email": "ann@example.com", "body": "https://a.test https://b.test https://c.test"}), VISITOR_IP).await;
    assert_eq!(
        status_of(&off, &id).await,
        CommentStatus::Approved,
        "hold_links = 0 turns the rule off"
    );
}

#[tokio::test]
async fn a_filled_honeypot_gets_the_normal_reply_and_stores_nothing() {
    let site = CommentSite::start(NONE).await;
    let mut form = fields("Bot", "bot@example.com", "Great post");
    form.push(("contact_me_by_fax", "555-0100"));
    let response = site.post_form(POST_COMMENTS, &form, VISITOR_IP).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/posts/what-are-muscle-knots?moderation=held#comment-notice"
    );
    assert!(site.stored().await.is_empty(), "neither shown nor queued");
    assert!(site.mails().is_empty());
    let response = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Bot", "email": "bot2@example.com", "body": "Nice", "contact_me_by_fax": "x"}),
            "203.0.113.99",
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(
        site.stored().await.is_empty(),
        "nothing kept, not even as spam"
    );
    assert!(!site.page(ARTICLE).await.contains("Great post"));
}

#[tokio::test]
async fn a_second_comment_within_the_flood_interval_gets_429_with_retry_after() {
    let site = CommentSite::start("[comments]\nmoderation = \"none\"\n").await;
    let first = site
        .post_form(
            POST_COMMENTS,
            &fields("Ann", "ann@example.com", "First"),
            VISITOR_IP,
        )
        .await;
    assert_eq!(first.status(), 303);
    let same_address = site
        .post_form(
            POST_COMMENTS,
            &fields("Bob", "bob@example.com", "Second"),
            VISITOR_IP,
        )
        .await;
    assert_eq!(same_address.status(), 429);
    assert_eq!(header(&same_address, "retry-after"), Some("15"));
    assert!(body_text(&same_address).contains("too quickly"));
    let same_email = site
        .post_form(
            POST_COMMENTS,
            &fields("Ann", "ANN@example.com", "Third"),
            "203.0.113.7",
        )
        .await;
    assert_eq!(
        same_email.status(),
        429,
        "the same email from another address"
    );
    let json = site
        .post_json(
            POST_COMMENTS,
            &json!({"name": "Cy", "email": "cy@example.com", "body": "Hi"}),
            VISITOR_IP,
        )
        .await;
    assert_eq!(json.status(), 429);
    assert!(header(&json, "retry-after").is_some());
    let other = site
        .post_form(
            POST_COMMENTS,
            &fields("Dee", "dee@example.com", "Other"),
            "203.0.113.8",
        )
        .await;
    assert_eq!(other.status(), 303, "someone else is not slowed down");

    site.advance(time::Duration::seconds(15));
    let later = site
        .post_form(
            POST_COMMENTS,
            &fields("Bob", "bob@example.com", "Second, later"),
            VISITOR_IP,
        )
        .await;
    assert_eq!(later.status(), 303, "after the interval");
    assert_eq!(site.stored().await.len(), 3);
}

#[tokio::test]
async fn an_identical_repeat_gets_409() {
    let site = CommentSite::start(NONE).await;
    let form = fields("Ann", "ann@example.com", "Exactly this");
    assert_eq!(
        site.post_form(POST_COMMENTS, &form, VISITOR_IP)
            .await
            .status(),
        303
    );
    let repeat = site
        .post_form(
            POST_COMMENTS,
            &fields("Ann B.", "Ann@Example.com", "Exactly this"),
            "203.0.113.5",
        )
        .await;
    assert_eq!(repeat.status(), 409);
    assert!(body_text(&repeat).contains("already said that"));
    let elsewhere = site
        .post_form(
            "/posts/acupuncture-for-better-sleep/comments",
            &form,
            VISITOR_IP,
        )
        .await;
    assert_eq!(
        elsewhere.status(),
        303,
        "the same words on another post are not a repeat"
    );
    assert_eq!(site.stored().await.len(), 2);
}

#[tokio::test]
async fn approved_comments_show_threaded_oldest_first_with_a_count() {
    let site =
        CommentSite::start("[comments]\nmoderation = \"none\"\nflood_seconds = 0\nmax_depth = 2\n")
            .await;
    let top = json_id(&site, json!({"name": "Ann", "email": "ann@example.com", "website": "https://ann.example/", "body": "Top *comment*"}), VISITOR_IP).await;
    site.advance(time::Duration::seconds(1));
    let reply = json_id(&site, json!({"name": "Bob", "email": "bob@example.com", "body": "A reply", "parent": top.to_string()}), VISITOR_IP).await;
    site.advance(time::Duration::seconds(1));
    let deep = json_id(&site, json!({"name": "Cy", "email": "cy@example.com", "body": "A reply to the reply", "parent": reply.to_string()}), VISITOR_IP).await;
    site.advance(time::Duration::seconds(1));
    let second = json_id(
        &site,
        json!({"name": "Dee", "email": "dee@example.com", "body": "Second top-level"}),
        VISITOR_IP,
    )
    .await;
    let held = site
        .post_form(
            POST_COMMENTS,
            &fields(
                "Eve",
                "eve@example.com",
                "two https://a.test https://b.test",
            ),
            VISITOR_IP,
        )
        .await;
    assert_eq!(held.status(), 303);

    let html = site.page(ARTICLE).await;
    assert!(
        html.contains(r#"<h2 id="comments-heading">4 comments</h2>"#),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#comments">4 comments</a>"##),
        "the article header shows the count"
    );
    let at = |id: &CommentId| {
        html.find(&format!(r#"<li id="comment-{id}""#))
            .unwrap_or_else(|| panic!("{id} shown"))
    };
    assert!(
        at(&top) < at(&reply) && at(&reply) < at(&deep) && at(&deep) < at(&second),
        "threaded, oldest first"
    );
    assert!(html.contains(&format!(
        r#"<li id="comment-{top}" class="comment depth-1">"#
    )));
    assert!(html.contains(&format!(
        r#"<li id="comment-{reply}" class="comment depth-2">"#
    )));
    assert!(
        html.contains(&format!(
            r#"<li id="comment-{deep}" class="comment depth-2">"#
        )),
        "deeper than max_depth shows at max_depth"
    );
    assert!(html.contains(r#"<a href="https://ann.example/" rel="nofollow ugc noopener">Ann</a>"#));
    assert!(html.contains(&format!(
        r##"<a class="comment-permalink" href="#comment-{top}">"##
    )));
    assert!(html.contains("Top <em>comment</em>"));
    assert!(!html.contains("ann@example.com"), "emails are never shown");
    assert!(
        !html.contains("https://a.test"),
        "held comments are not shown"
    );
    assert!(html.contains(&format!("?reply={top}#comment-form")));
    assert!(
        !html.contains(&format!("?reply={deep}#comment-form")),
        "no reply link at the depth limit"
    );
    assert_eq!(html.matches("<ol class=\"children\">").count(), 1);
    let thread = &html[html.find(r#"<ol class="comment-list">"#).unwrap()
        ..html.find(r#"<form id="comment-form""#).unwrap()];
    assert_eq!(thread.matches("<li ").count(), 4);
    assert_eq!(
        thread.matches("</li>").count(),
        4,
        "every item is closed: {thread}"
    );
    assert_eq!(
        thread.matches("<ol").count(),
        thread.matches("</ol>").count()
    );

    let reply_page = site.page(&format!("{ARTICLE}?reply={top}")).await;
    assert!(reply_page.contains(&format!(
        r#"<input type="hidden" name="parent" value="{top}">"#
    )));
    assert!(reply_page.contains("Reply to Ann"));
    let posted = site.page(&format!("{ARTICLE}?comment={second}")).await;
    assert!(posted.contains("Your comment is published."));
}

#[tokio::test]
async fn a_newly_approved_comment_changes_the_article_etag() {
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let before = site.site.handle(&http_api("GET", ARTICLE, &[])).await;
    let etag = header(&before, "etag").unwrap().to_owned();
    let id = json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Held first"}),
        VISITOR_IP,
    )
    .await;
    let held = site
        .site
        .handle(&http_api("GET", ARTICLE, &[("if-none-match", &etag)]))
        .await;
    assert_eq!(held.status(), 304, "a held comment changes nothing");
    site.embedded.comments.approve(&id).await.unwrap();
    let after = site
        .site
        .handle(&http_api("GET", ARTICLE, &[("if-none-match", &etag)]))
        .await;
    assert_eq!(after.status(), 200);
    assert!(body_text(&after).contains("Held first"));
}

/// A moderation token as the site would mail it for a comment in `status`.
fn moderation_token(
    site: &CommentSite,
    id: &lambdapress::domain::CommentId,
    action: Action,
    status: CommentStatus,
) -> String {
    lambdapress::comments::moderate::token(
        &site.secret,
        id,
        action,
        status,
        *site.now.lock().unwrap(),
    )
}

fn link_from(mail: &str, action: &str) -> String {
    let start = mail
        .find("https://clinic.example/comments/moderate?token=")
        .unwrap();
    let rest = &mail[start..];
    rest.lines()
        .find(|l| l.contains(&format!("&action={action}")))
        .or_else(|| {
            mail.lines()
                .find(|l| l.contains(&format!("&action={action}")))
        })
        .map(|l| l[l.find("https://").unwrap()..].trim().to_owned())
        .unwrap()
}

#[tokio::test]
async fn the_owner_moderates_from_the_mailed_links_and_a_get_changes_nothing() {
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let id = json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Please approve me"}),
        VISITOR_IP,
    )
    .await;
    let mail = site.mails()[0].text.clone();
    let approve = link_from(&mail, "approve");
    let path = approve.strip_prefix("https://clinic.example").unwrap();

    let page = site.get(path).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    let html = body_text(&page);
    assert!(
        html.contains(r#"<form method="post" action="/comments/moderate">"#),
        "{html}"
    );
    assert!(html.contains("Approve this comment") && html.contains("Please approve me"));
    assert!(!html.contains("<script"));
    assert_eq!(
        status_of(&site, &id).await,
        CommentStatus::Pending,
        "a GET changes nothing"
    );

    let token = path
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let done = site.moderate(token, "approve").await;
    assert_eq!(done.status(), 200);
    assert!(body_text(&done).contains("Comment approved"));
    assert_eq!(status_of(&site, &id).await, CommentStatus::Approved);
    assert!(site.page(ARTICLE).await.contains("Please approve me"));

    // Each link works once, for its own action only.
    let again = site.moderate(token, "approve").await;
    assert_eq!(again.status(), 410, "a used link is dead");
    let mailed_spam = link_from(&mail, "spam");
    let spam_token = mailed_spam
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let used = site.moderate(spam_token, "spam").await;
    assert_eq!(
        used.status(),
        410,
        "one action kills the mail's other links"
    );
    let token = &moderation_token(&site, &id, Action::Spam, CommentStatus::Approved);
    let other_action = site.moderate(token, "delete").await;
    assert_eq!(other_action.status(), 400, "a spam link cannot delete");
    let spam = site.moderate(token, "spam").await;
    assert_eq!(spam.status(), 200);
    assert_eq!(status_of(&site, &id).await, CommentStatus::Spam);
    assert!(!site.page(ARTICLE).await.contains("Please approve me"));

    let token = &moderation_token(&site, &id, Action::Delete, CommentStatus::Spam);
    let deleted = site
        .post_json(
            "/comments/moderate",
            &json!({"token": token, "action": "delete"}),
            "192.0.2.1",
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert!(site.embedded.comments.get(&id).await.unwrap().is_none());
    let gone = site.moderate(token, "delete").await;
    assert_eq!(gone.status(), 404);

    let forged = site
        .get("/comments/moderate?token=abc.def&action=approve")
        .await;
    assert_eq!(forged.status(), 403);
    let bad_action = site
        .get(&path.replace("action=approve", "action=publish"))
        .await;
    assert!(matches!(bad_action.status().as_u16(), 400 | 404));

    let fresh = json_id(
        &site,
        json!({"name": "Bob", "email": "bob@example.com", "body": "Expiring"}),
        VISITOR_IP,
    )
    .await;
    let mail = site.mails().last().unwrap().text.clone();
    let approve = link_from(&mail, "approve");
    let token = approve
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    site.advance(time::Duration::days(31));
    let expired = site.moderate(&token, "approve").await;
    assert_eq!(expired.status(), 403, "links expire");
    assert_eq!(status_of(&site, &fresh).await, CommentStatus::Pending);
}

#[tokio::test]
async fn visible_thread_changes_are_announced_and_held_comments_are_not() {
    let site =
        CommentSite::start("[comments]\nmoderation = \"first_time\"\nflood_seconds = 0\n").await;
    let changed = || site.listener.changed.lock().unwrap().clone();
    let held = json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Held"}),
        VISITOR_IP,
    )
    .await;
    assert!(
        changed().is_empty(),
        "a held comment changes no visible thread"
    );
    let token = moderation_token(&site, &held, Action::Approve, CommentStatus::Pending);
    let approve = site.moderate(&token, "approve").await;
    assert_eq!(approve.status(), 200);
    assert_eq!(
        changed(),
        ["what-are-muscle-knots"],
        "approval is announced"
    );
    json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Known now"}),
        VISITOR_IP,
    )
    .await;
    assert_eq!(
        changed().len(),
        2,
        "a comment approved on arrival is announced"
    );
    let token = moderation_token(&site, &held, Action::Spam, CommentStatus::Approved);
    let spam = site.moderate(&token, "spam").await;
    assert_eq!(spam.status(), 200);
    let token = moderation_token(&site, &held, Action::Delete, CommentStatus::Spam);
    assert_eq!(
        changed().len(),
        3,
        "hiding an approved comment is announced"
    );
    let delete = site.moderate(&token, "delete").await;
    assert_eq!(delete.status(), 200);
    assert_eq!(changed().len(), 3, "deleting spam changes nothing visible");
}

#[tokio::test]
async fn comment_routes_answer_only_their_methods() {
    let site = CommentSite::start("").await;
    let get = site.get(POST_COMMENTS).await;
    assert_eq!(get.status(), 405);
    assert_eq!(header(&get, "allow"), Some("POST"));
    assert_eq!(site.get("/comments/elsewhere").await.status(), 404);
}

#[tokio::test]
async fn comments_work_end_to_end_on_s3_and_dynamodb() {
    use lambdapress::comments::{CommentFunction, CommentOptions};
    use lambdapress::site::{Site, SiteOptions};
    use lambdapress_tests::comments::RecordingMailer;
    use lambdapress_tests::fixtures::http_api_from;
    use lambdapress_tests::moto;
    use std::sync::Arc;
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, bucket) = moto::s3_content(&endpoint).await;
    let dir = lambdapress_tests::sample::sample_content_dir();
    let mut settings = std::fs::read_to_string(dir.join("site.toml")).unwrap();
    settings.push_str("\n[comments]\nmoderation = \"first_time\"\n");
    for (key, bytes) in [
        ("site.toml", settings.into_bytes()),
        (
            "posts/what-are-muscle-knots.md",
            std::fs::read(dir.join("posts/what-are-muscle-knots.md")).unwrap(),
        ),
    ] {
        Bucket::new(client.clone(), bucket.clone())
            .put(key, bytes)
            .await;
    }
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    lambdapress::indexer::reindex_all(&content, &index)
        .await
        .unwrap();
    let comments = Arc::new(comments);
    let site = Arc::new(Site::new(
        Arc::new(content),
        Arc::new(index),
        comments.clone(),
        SiteOptions {
            base_url: Some("https://clinic.example".into()),
            view_ttl: std::time::Duration::ZERO,
            ..SiteOptions::default()
        },
    ));
    let mailer = Arc::new(RecordingMailer::default());
    let now = Arc::new(std::sync::Mutex::new(time::OffsetDateTime::now_utc()));
    let clock = now.clone();
    let function = CommentFunction::new(
        site.clone(),
        comments.clone(),
        mailer.clone(),
        lambdapress::domain::Secret::new(vec![9u8; 32]).unwrap(),
        CommentOptions {
            owner_email: Some(OWNER.into()),
        },
    )
    .with_clock(Arc::new(move || *clock.lock().unwrap()));
    let post = |body: serde_json::Value, ip: &str| {
        http_api_from(
            ip,
            "POST",
            POST_COMMENTS,
            &[("content-type", "application/json")],
            &body.to_string(),
        )
    };
    let first = function
        .serve(&post(
            json!({"name": "Ann", "email": "ann@example.com", "body": "First on DynamoDB"}),
            VISITOR_IP,
        ))
        .await;
    assert_eq!(first.status(), 201);
    let answer: serde_json::Value = serde_json::from_str(&body_text(&first)).unwrap();
    assert_eq!(
        answer["status"], "pending",
        "a first-time commenter is held"
    );
    assert_eq!(mailer.sent().len(), 1);
    let again = function
        .serve(&post(
            json!({"name": "Ann", "email": "ann@example.com", "body": "Too soon"}),
            VISITOR_IP,
        ))
        .await;
    assert_eq!(again.status(), 429, "flood control on the DynamoDB table");
    let repeat = function
        .serve(&post(
            json!({"name": "Ann", "email": "ann@example.com", "body": "First on DynamoDB"}),
            "203.0.113.50",
        ))
        .await;
    assert_eq!(repeat.status(), 409);

    let id = CommentId::parse(answer["id"].as_str().unwrap()).unwrap();
    assert_eq!(comments.pending(10).await.unwrap().len(), 1);
    comments.approve(&id).await.unwrap().unwrap();
    let article = body_text(&site.handle(&http_api("GET", ARTICLE, &[])).await);
    assert!(article.contains("First on DynamoDB") && article.contains("1 comment"));
    *now.lock().unwrap() += time::Duration::seconds(15);
    let known = function
        .serve(&post(
            json!({"name": "Ann", "email": "ann@example.com", "body": "Now I am known"}),
            VISITOR_IP,
        ))
        .await;
    assert_eq!(known.status(), 201, "{}", body_text(&known));
    let answer: serde_json::Value = serde_json::from_str(&body_text(&known)).unwrap();
    assert_eq!(
        answer["status"], "approved",
        "an address with an approved comment is known"
    );
    let thread = comments
        .approved_for_post(&lambdapress::domain::Slug::parse("what-are-muscle-knots").unwrap())
        .await
        .unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[1].body.as_str(), "Now I am known", "oldest first");
}

#[tokio::test]
async fn the_articles_json_ld_counts_its_approved_comments() {
    let site = CommentSite::start(NONE).await;
    let count = |html: String| ld_comment_count(&html);
    assert_eq!(count(site.page(ARTICLE).await), 0);
    for (i, ip) in ["203.0.113.21", "203.0.113.22"].iter().enumerate() {
        let email = format!("reader{i}@example.com");
        site.post_json(
            POST_COMMENTS,
            &json!({"name": "Reader", "email": email, "body": format!("Note {i}")}),
            ip,
        )
        .await;
    }
    assert_eq!(count(site.page(ARTICLE).await), 2);
}

/// A long thread is paged by `?cpage=N` (50 top-level comments a page, replies with
/// their parent, the newest page at the article's own address), each page its own
/// cached view with rel=prev/next links; a `cpage` that is no page number is a 400 and
/// one past the last a 404.
#[tokio::test]
async fn long_threads_are_paged_with_links_and_bad_pages_are_refused() {
    use lambdapress::site::{Site, SiteOptions};
    let site = CommentSite::start(NONE).await;
    let store = site.embedded.comments.clone();
    let roots = seed_roots(&site, 120, "v").await;
    // A reply through the form to a comment on page 1 stays on page 1.
    let reply = json_id(
        &site,
        json!({"name": "Ria", "email": "ria@example.com", "body": "A late reply", "parent": roots[3].id.to_string()}),
        VISITOR_IP,
    )
    .await;
    // A view cache that trusts its copies for a minute: pages must not share one.
    let cached = Site::new(
        site.embedded.content.clone(),
        site.embedded.index.clone(),
        store.clone(),
        SiteOptions {
            base_url: Some(lambdapress_tests::sample::BASE_URL.into()),
            view_ttl: std::time::Duration::from_secs(60),
            ..SiteOptions::default()
        },
    );
    let get = |path: String| {
        let cached = &cached;
        async move {
            let response = cached.handle(&http_api("GET", &path, &[])).await;
            (response.status(), body_text(&response))
        }
    };
    let shows = |html: &str, i: usize| html.contains(&format!("id=\"comment-{}\"", roots[i].id));
    let (status, newest) = get(ARTICLE.to_owned()).await;
    assert_eq!(status, 200);
    assert!(shows(&newest, 100) && shows(&newest, 119) && !shows(&newest, 99));
    assert!(newest.contains("Comment page 3 of 3"), "{newest}");
    assert!(newest.contains(&format!(
        r#"<link rel="prev" href="{}/posts/what-are-muscle-knots?cpage=2">"#,
        lambdapress_tests::sample::BASE_URL
    )));
    assert!(!newest.contains("<link rel=\"next\""));
    let (status, first) = get(format!("{ARTICLE}?cpage=1")).await;
    assert_eq!(status, 200);
    assert!(shows(&first, 0) && shows(&first, 49) && !shows(&first, 50));
    assert!(
        first.contains(&format!("id=\"comment-{reply}\"")),
        "the reply is with its parent"
    );
    assert!(!newest.contains(&format!("id=\"comment-{reply}\"")));
    assert!(
        first.contains(r##"<a rel="next" href="/posts/what-are-muscle-knots?cpage=2#comments">"##)
    );
    assert!(!first.contains("<link rel=\"prev\""));
    assert!(first.contains(&format!(
        r#"<link rel="canonical" href="{}/posts/what-are-muscle-knots?cpage=1">"#,
        lambdapress_tests::sample::BASE_URL
    )));
    assert!(
        first.contains(&format!("?cpage=1&amp;reply={}#comment-form", roots[0].id)),
        "a reply link keeps its page"
    );
    let (_, middle) = get(format!("{ARTICLE}?cpage=2")).await;
    assert!(shows(&middle, 50) && shows(&middle, 99) && !shows(&middle, 100));
    assert!(middle.contains("<link rel=\"prev\"") && middle.contains("<link rel=\"next\""));
    let (_, again) = get(ARTICLE.to_owned()).await;
    assert_eq!(again, newest, "each page is its own cached view");
    let (_, last) = get(format!("{ARTICLE}?cpage=3")).await;
    assert!(shows(&last, 119) && !shows(&last, 0));
    for bad in ["0", "-1", "abc", "1.5", "", "99999999999999999999"] {
        let (status, html) = get(format!("{ARTICLE}?cpage={bad}")).await;
        assert_eq!(status, 400, "cpage={bad}");
        assert!(html.contains("Bad comment page"), "cpage={bad}");
    }
    for past in ["4", "4294967295"] {
        assert_eq!(
            get(format!("{ARTICLE}?cpage={past}")).await.0,
            404,
            "cpage={past}"
        );
    }
}

/// A reply to a comment on an older thread page brings the visitor back to that page:
/// refused (the form with its message, on the parent's page) and accepted (redirected
/// to `cpage=N` and the reply's anchor). Every page counts the whole thread.
#[tokio::test]
async fn a_reply_on_an_older_thread_page_returns_to_that_page() {
    let site = CommentSite::start(NONE).await;
    let roots = seed_roots(&site, 120, "v").await;
    let parent = roots[3].id.to_string();
    let reply = |body: &'static str| {
        vec![
            ("name", "Ria"),
            ("email", "ria@example.com"),
            ("website", ""),
            ("body", body),
            ("parent", parent.as_str()),
        ]
    };
    let refused = site.post_form(POST_COMMENTS, &reply(""), VISITOR_IP).await;
    assert_eq!(refused.status(), 400);
    let html = body_text(&refused);
    assert!(html.contains("Comment page 1 of 3"), "the parent's page");
    assert!(html.contains(&format!("id=\"comment-{parent}\"")));
    assert!(html.contains("Reply to v3"), "still a reply: {html}");
    assert!(html.contains(&format!("name=\"parent\" value=\"{parent}\"")));
    assert!(html.contains("120 comments"), "the whole thread's count");
    let accepted = site
        .post_form(POST_COMMENTS, &reply("A late reply"), VISITOR_IP)
        .await;
    assert_eq!(accepted.status(), 303);
    let to = location(&accepted);
    let id = site
        .stored()
        .await
        .into_iter()
        .find(|c| c.body.as_str() == "A late reply")
        .unwrap()
        .id;
    assert_eq!(
        to,
        format!("/posts/what-are-muscle-knots?cpage=1&comment={id}#comment-{id}")
    );
    let back = site.page(to.split('#').next().unwrap()).await;
    assert!(back.contains(&format!("id=\"comment-{id}\"")));
    assert!(back.contains("Your comment is published."));
    assert!(back.contains("121 comments"));
    let ld = ld_comment_count;
    assert_eq!(ld(&back), 121);
    assert_eq!(ld(&site.page(ARTICLE).await), 121, "the newest page too");
    // A top-level comment goes to the newest page, which needs no `cpage`.
    let mut top = fields("Tom", "tom@example.com", "At the top level");
    top.retain(|(k, _)| *k != "parent");
    let at_top = site.post_form(POST_COMMENTS, &top, VISITOR_IP).await;
    assert!(location(&at_top).starts_with("/posts/what-are-muscle-knots?comment="));
}

/// A reply held for moderation also comes back to its parent's page.
#[tokio::test]
async fn a_held_reply_on_an_older_page_returns_to_that_page() {
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let roots = seed_roots(&site, 60, "h").await;
    let parent = roots[7].id.to_string();
    let held = site
        .post_form(
            POST_COMMENTS,
            &[
                ("name", "Hal"),
                ("email", "hal@example.com"),
                ("website", ""),
                ("body", "Held reply"),
                ("parent", parent.as_str()),
            ],
            VISITOR_IP,
        )
        .await;
    assert_eq!(held.status(), 303);
    assert_eq!(
        location(&held),
        "/posts/what-are-muscle-knots?cpage=1&moderation=held#comment-notice"
    );
}

/// Two different moderation links for one comment, pressed at the same instant: the
/// store applies one, and the other answers 409 having changed nothing.
#[tokio::test]
async fn of_two_moderation_links_pressed_at_once_one_applies_and_the_other_is_409() {
    use lambdapress::comments::{CommentFunction, CommentOptions};
    use std::sync::Arc;
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let id = json_id(
        &site,
        json!({"name": "Ann", "email": "ann@example.com", "body": "Judge me"}),
        VISITOR_IP,
    )
    .await;
    // The spam link lands between the approve link's check and its write.
    let racing = Arc::new(Interloper {
        inner: site.embedded.comments.clone(),
        first: std::sync::Mutex::new(Some(CommentStatus::Spam)),
    });
    let function = CommentFunction::new(
        site.site.clone(),
        racing,
        site.mailer.clone(),
        site.secret.clone(),
        CommentOptions { owner_email: None },
    );
    let approve = moderation_token(&site, &id, Action::Approve, CommentStatus::Pending);
    let body = lambdapress_tests::comments::serde_urlencoded_pairs(&[
        ("token", approve.as_str()),
        ("action", "approve"),
    ]);
    let req = lambdapress_tests::fixtures::http_api_from(
        "192.0.2.1",
        "POST",
        "/comments/moderate",
        &[("content-type", "application/x-www-form-urlencoded")],
        &body,
    );
    let lost = function.serve(&req).await;
    assert_eq!(lost.status(), 409);
    assert!(body_text(&lost).contains("Already moderated"));
    assert_eq!(
        status_of(&site, &id).await,
        CommentStatus::Spam,
        "the winner's"
    );
    let json_req = lambdapress_tests::fixtures::http_api_from(
        "192.0.2.1",
        "POST",
        "/comments/moderate",
        &[("content-type", "application/json")],
        &json!({"token": approve, "action": "approve"}).to_string(),
    );
    // Pressed again later, the same link is simply used up (410).
    assert_eq!(function.serve(&json_req).await.status(), 410);
}

/// A comment store that lets another moderation change (`first`) win just before the
/// first conditional change reaches the store: the race, made to happen every time.
struct Interloper {
    inner: std::sync::Arc<dyn CommentStore>,
    first: std::sync::Mutex<Option<CommentStatus>>,
}

impl Interloper {
    async fn interlope(&self, id: &CommentId) {
        let first = self.first.lock().unwrap().take();
        if let Some(status) = first {
            self.inner.set_status(id, status).await.unwrap();
        }
    }
}

#[async_trait::async_trait]
impl CommentStore for Interloper {
    async fn insert(
        &self,
        c: &lambdapress::domain::Comment,
    ) -> Result<lambdapress::ports::Inserted, lambdapress::ports::StoreError> {
        self.inner.insert(c).await
    }
    async fn get(
        &self,
        id: &CommentId,
    ) -> Result<Option<lambdapress::domain::Comment>, lambdapress::ports::StoreError> {
        self.inner.get(id).await
    }
    async fn approved_for_post(
        &self,
        post: &lambdapress::domain::Slug,
    ) -> Result<Vec<lambdapress::domain::Comment>, lambdapress::ports::StoreError> {
        self.inner.approved_for_post(post).await
    }
    async fn approved_page(
        &self,
        post: &lambdapress::domain::Slug,
        page: Option<u32>,
    ) -> Result<lambdapress::ports::ThreadPage, lambdapress::ports::StoreError> {
        self.inner.approved_page(post, page).await
    }
    async fn page_of(
        &self,
        post: &lambdapress::domain::Slug,
        id: &CommentId,
    ) -> Result<Option<u32>, lambdapress::ports::StoreError> {
        self.inner.page_of(post, id).await
    }
    async fn newest_approved(
        &self,
        limit: usize,
    ) -> Result<Vec<lambdapress::domain::Comment>, lambdapress::ports::StoreError> {
        self.inner.newest_approved(limit).await
    }
    async fn pending(
        &self,
        limit: usize,
    ) -> Result<Vec<lambdapress::domain::Comment>, lambdapress::ports::StoreError> {
        self.inner.pending(limit).await
    }
    async fn is_repeat(&self, fp: &str) -> Result<bool, lambdapress::ports::StoreError> {
        self.inner.is_repeat(fp).await
    }
    async fn has_approved_from(
        &self,
        email: &lambdapress::domain::CommentEmail,
    ) -> Result<bool, lambdapress::ports::StoreError> {
        self.inner.has_approved_from(email).await
    }
    async fn move_status(
        &self,
        id: &CommentId,
        from: CommentStatus,
        to: CommentStatus,
    ) -> Result<lambdapress::ports::Transition, lambdapress::ports::StoreError> {
        self.interlope(id).await;
        self.inner.move_status(id, from, to).await
    }
    async fn delete_if(
        &self,
        id: &CommentId,
        from: CommentStatus,
    ) -> Result<lambdapress::ports::Transition, lambdapress::ports::StoreError> {
        self.interlope(id).await;
        self.inner.delete_if(id, from).await
    }
    async fn expire_spam(
        &self,
        now: time::OffsetDateTime,
        limit: usize,
    ) -> Result<usize, lambdapress::ports::StoreError> {
        self.inner.expire_spam(now, limit).await
    }
    async fn release_throttle(
        &self,
        key: &str,
        now: time::OffsetDateTime,
        window: time::Duration,
    ) -> Result<(), lambdapress::ports::StoreError> {
        self.inner.release_throttle(key, now, window).await
    }
    async fn throttle(
        &self,
        key: &str,
        now: time::OffsetDateTime,
        window: time::Duration,
    ) -> Result<lambdapress::ports::Throttle, lambdapress::ports::StoreError> {
        self.inner.throttle(key, now, window).await
    }
}
