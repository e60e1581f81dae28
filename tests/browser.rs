//! The local site in headless Chromium: what a visitor's browser shows and does.

use fantoccini::Locator;
use lambdapress_tests::browser::{eml_text, Browser, LocalServer};

#[tokio::test]
async fn the_article_reads_in_a_real_browser_on_a_phone_sized_screen() {
    let server = LocalServer::start().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    c.set_window_size(375, 812).await.unwrap();
    c.goto(&server.url("/posts/what-are-muscle-knots"))
        .await
        .unwrap();

    assert_eq!(
        c.title().await.unwrap(),
        "What Are Muscle Knots and Why Do You Have Them? – Cindy Albon Acupuncture"
    );
    let h1 = browser.text("article h1").await;
    assert_eq!(h1, "What Are Muscle Knots and Why Do You Have Them?");
    let headings: Vec<String> = futures_text(c, "article h2").await;
    assert_eq!(
        headings,
        ["Dehydration", "Weight Training", "Your Mattress"]
    );

    // Responsive: nothing wider than the screen, so no sideways scrolling on a phone.
    browser.assert_no_overflow("the page at 375px").await;
    // The stylesheet loaded (the header has its background colour, not the default).
    let styled = browser
        .eval("return getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        .await;
    assert_ne!(
        styled.as_str(),
        Some("rgba(0, 0, 0, 0)"),
        "the stylesheet did not load"
    );

    // The subscribe form is a plain HTML POST form: it works without JavaScript.
    let form = c.find(Locator::Css("form.subscribe-form")).await.unwrap();
    assert_eq!(form.attr("method").await.unwrap().as_deref(), Some("post"));
    let action = browser
        .eval("return document.querySelector('form.subscribe-form').action")
        .await;
    assert_eq!(action.as_str(), Some(server.url("/subscribe").as_str()));
    let heading = browser.text(".subscribe h2").await;
    assert_eq!(heading, "Like what you read? Subscribe below!");
    // The honeypot field is not visible to a person.
    let hp_visible = c
        .find(Locator::Css("#subscribe-website"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap();
    assert!(!hp_visible);

    let feeds = futures_text(c, "footer .feeds a").await;
    assert_eq!(feeds, ["Posts RSS", "Comments RSS"]);
    assert!(!browser.dialog_open().await);
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_page_shows_the_404_page_in_the_browser() {
    let server = LocalServer::start().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser
        .client
        .goto(&server.url("/posts/no-such-post"))
        .await
        .unwrap();
    let h1 = browser
        .client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Page not found");
    browser.close().await;
}

async fn futures_text(c: &fantoccini::Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in c.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_visitor_subscribes_on_the_article_confirms_from_the_mail_and_unsubscribes() {
    let server = LocalServer::start().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    c.goto(&server.url("/posts/what-are-muscle-knots"))
        .await
        .unwrap();
    c.find(Locator::Css("#subscribe-email"))
        .await
        .unwrap()
        .send_keys("reader@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("form.subscribe-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let thanks = browser
        .wait_for(Locator::XPath(
            "//h1[text()='Almost done: check your inbox']",
        ))
        .await;
    assert!(thanks.is_displayed().await.unwrap());
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        server.url("/subscribe/thanks")
    );

    let outbox = server.outbox();
    assert_eq!(outbox.len(), 1, "one confirmation mail");
    assert!(outbox[0].contains("To: reader@example.com"));
    assert!(outbox[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let text = eml_text(&outbox[0]);
    let link = |path: &str| {
        text.split_whitespace()
            .find(|w| w.starts_with(&server.url(path)))
            .unwrap_or_else(|| panic!("no {path} link in {text}"))
            .to_owned()
    };

    // Opening the link only shows a button; pressing it confirms.
    c.goto(&link("/subscribe/confirm?token=")).await.unwrap();
    c.find(Locator::XPath("//h1[text()='Confirm your subscription']"))
        .await
        .unwrap();
    c.find(Locator::Css("form.action-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for(Locator::XPath("//h1[text()='You are subscribed']"))
        .await;
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        server.url("/subscribe/confirmed")
    );

    c.goto(&link("/unsubscribe?token=")).await.unwrap();
    c.find(Locator::Css("form.action-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for(Locator::XPath("//h1[text()='You are unsubscribed']"))
        .await;
    assert!(!browser.dialog_open().await);
    browser.close().await;
}
