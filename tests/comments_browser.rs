//! Comments in headless Chromium against the local site: a visitor comments and replies
//! with plain forms, and nothing from `fixtures/xss-corpus.txt` runs, whichever field it
//! was posted in (no dialog, no injected element, no request to another origin).

use fantoccini::Locator;
use lambdapress_tests::browser::{Browser, LocalServer};
use lambdapress_tests::comments::serde_urlencoded_pairs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ARTICLE: &str = "/posts/what-are-muscle-knots";

fn open_rules(server: &LocalServer) {
    let path = server.content_dir.join("site.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[comments]\nmoderation = \"none\"\nflood_seconds = 0\nhold_links = 0\n");
    std::fs::write(path, text).unwrap();
}

/// A form POST over plain HTTP/1.1; the status code.
async fn post_form(server: &LocalServer, path: &str, fields: &[(&str, &str)]) -> u16 {
    let addr = server.base_url.trim_start_matches("http://");
    let body = serde_urlencoded_pairs(fields);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response[..response.len().min(32)]).into_owned();
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn corpus() -> Vec<String> {
    std::fs::read_to_string(lambdapress_tests::fixtures::path("xss-corpus.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Everything on the current page that a payload could have made: returns a list of
/// findings (empty when clean).
const INSPECT: &str = r#"
const found = [];
const origin = location.origin;
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) {
    if (a.name.toLowerCase().startsWith('on')) found.push('handler ' + a.name + ' on ' + el.tagName);
  }
}
const injected = document.querySelectorAll(
  '.comments script, .comments img, .comments iframe, .comments object, .comments embed, ' +
  '.comments svg, .comments math, .comments style, .comments link, .comments meta, .comments base, ' +
  '.comments video, .comments audio, .comments details, .comments [style], .comment-list form, ' +
  '.comment-list input, .comment-list textarea, .comment-list button, [autofocus]');
for (const el of injected) found.push('injected ' + el.tagName);
for (const s of document.scripts) {
  if (s.type !== 'application/ld+json') found.push('script ' + s.outerHTML.slice(0, 80));
}
for (const a of document.querySelectorAll('a[href]')) {
  if (!['http:', 'https:', 'mailto:', 'tel:'].includes(a.protocol)) found.push('link ' + a.href.slice(0, 80));
}
for (const f of document.forms) {
  if (new URL(f.action).origin !== origin) found.push('form to ' + f.action);
}
for (const r of performance.getEntriesByType('resource')) {
  if (!r.name.startsWith(origin)) found.push('request to ' + r.name);
}
if (window.__pwned) found.push('window.__pwned');
return found;
"#;

async fn inspect(browser: &Browser, what: &str) {
    assert!(!browser.dialog_open().await, "{what}: a dialog opened");
    let found = browser.eval(INSPECT).await;
    assert_eq!(found, serde_json::json!([]), "{what}");
}

#[tokio::test]
async fn a_visitor_comments_and_replies_with_plain_forms() {
    let server = LocalServer::start().await;
    open_rules(&server);
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    c.goto(&server.url(ARTICLE)).await.unwrap();
    let form = c.form(Locator::Css("#comment-form")).await.unwrap();
    form.set_by_name("name", "Ann").await.unwrap();
    form.set_by_name("email", "ann@example.com").await.unwrap();
    form.set_by_name("body", "Does *heat* help too?")
        .await
        .unwrap();
    form.submit().await.unwrap();
    // A submit returns before the next page arrives: wait for the page it leads to.
    browser.wait_for(Locator::Css("#comment-notice")).await;
    let url = c.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").starts_with("comment="), "{url}");
    let notice = browser.text("#comment-notice").await;
    assert_eq!(notice, "Thank you! Your comment is published.");
    let body = browser.text(".comment-body em").await;
    assert_eq!(body, "heat");

    c.find(Locator::Css(".comment-reply a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for(Locator::Css(".cancel-reply")).await;
    let title = browser.text("#reply-title").await;
    assert!(title.starts_with("Reply to Ann"), "{title}");
    let form = c.form(Locator::Css("#comment-form")).await.unwrap();
    form.set_by_name("name", "Cindy").await.unwrap();
    form.set_by_name("email", "cindy@example.com")
        .await
        .unwrap();
    form.set_by_name("body", "Yes, gentle heat helps.")
        .await
        .unwrap();
    form.submit().await.unwrap();
    let nested = browser
        .wait_for(Locator::Css(
            ".comment-list > li > ol.children > li .comment-body",
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        nested, "Yes, gentle heat helps.",
        "the reply sits under the comment"
    );
    let heading = browser.text("#comments-heading").await;
    assert_eq!(heading, "2 comments");
    inspect(&browser, "after commenting").await;
    browser.close().await;
}

#[tokio::test]
async fn nothing_in_the_xss_corpus_runs_in_the_browser() {
    let server = LocalServer::start().await;
    open_rules(&server);
    let Some(browser) = Browser::start().await else {
        return;
    };
    let corpus = corpus();
    let mut stored: u64 = 0;
    for (i, payload) in corpus.iter().enumerate() {
        let email = format!("v{i}@example.com");
        let website = format!("https://ok.example/{payload}");
        for fields in [
            vec![
                ("name", "Body tester"),
                ("email", email.as_str()),
                ("body", payload.as_str()),
            ],
            vec![
                ("name", payload.as_str()),
                ("email", email.as_str()),
                ("body", "name test"),
            ],
            vec![
                ("name", "Site tester"),
                ("email", email.as_str()),
                ("website", website.as_str()),
                ("body", "site test"),
            ],
            vec![
                ("name", "Site tester 2"),
                ("email", email.as_str()),
                ("website", payload.as_str()),
                ("body", "site test 2"),
            ],
        ] {
            if post_form(&server, "/posts/what-are-muscle-knots/comments", &fields).await == 303 {
                stored += 1;
            }
        }
    }
    assert!(stored > corpus.len() as u64, "payloads stored: {stored}");

    let c = &browser.client;
    // The thread is paged (every payload is a top-level comment): each page is inspected,
    // and together they show every stored payload.
    let pages = stored.div_ceil(u64::from(lambdapress::ports::comments::THREAD_PAGE_ROOTS));
    let mut shown = 0;
    for page in 1..=pages {
        c.goto(&server.url(&format!("{ARTICLE}?cpage={page}")))
            .await
            .unwrap();
        inspect(
            &browser,
            &format!("thread page {page} with every payload approved"),
        )
        .await;
        shown += browser
            .eval("return document.querySelectorAll('.comment-list li.comment').length")
            .await
            .as_u64()
            .unwrap();
    }
    assert_eq!(shown, stored, "every stored payload is on a thread page");
    c.goto(&server.url(ARTICLE)).await.unwrap();
    inspect(&browser, "the article's newest thread page").await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), ARTICLE, "nothing navigated away");

    // Each payload typed into every field of the form: the page that comes back (the
    // form with its messages, or the article) runs none of it.
    for (i, payload) in corpus.iter().enumerate().step_by(3) {
        c.goto(&server.url(ARTICLE)).await.unwrap();
        browser
            .client
            .execute(
                "const f = document.getElementById('comment-form'); f.noValidate = true;
                 for (const n of ['name', 'email', 'website', 'body', 'parent']) f.elements[n].value = arguments[0];
                 f.submit();",
                vec![serde_json::json!(format!("{payload} {i}"))],
            )
            .await
            .unwrap();
        // Every such post is refused (no payload is an email address): wait for the
        // form that comes back, so the inspection sees that page and not the last one.
        browser.wait_for(Locator::Css("#comment-email-error")).await;
        let url = c.current_url().await.unwrap();
        assert_eq!(url.path(), "/posts/what-are-muscle-knots/comments");
        inspect(
            &browser,
            &format!("the form sent back with payload {i}: {payload}"),
        )
        .await;
    }

    // The inspection is not blind: an element injected by hand is found.
    c.goto(&server.url(ARTICLE)).await.unwrap();
    browser
        .eval("document.querySelector('.comments').insertAdjacentHTML('beforeend', '<img src=\"https://evil.example/x.png\" onerror=\"window.__pwned = 1\">'); return null;")
        .await;
    let found = browser.eval(INSPECT).await;
    let found = found.as_array().unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.as_str().unwrap().starts_with("handler onerror")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.as_str().unwrap() == "injected IMG"),
        "{found:?}"
    );
    browser.close().await;
}
