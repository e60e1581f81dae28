//! The contact form in headless Chromium on the local site (`cargo site`): filled and
//! sent at phone and desktop widths, a refused address shown beside its field, the mail
//! in the outbox with the visitor as Reply-To; no sideways scrolling, no script.

use fantoccini::Locator;
use lambdapress_tests::browser::{eml_text, Browser, LocalServer};

async fn fill(browser: &Browser, css: &str, value: &str) {
    let field = browser.client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn submit(browser: &Browser) {
    browser
        .client
        .find(Locator::Css("form.contact-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_visitor_sends_the_contact_form_at_phone_and_desktop_width() {
    // One client sends twice here: the flood window is the handler tests' subject.
    let server = LocalServer::start_with(|content| {
        let path = content.join("site.toml");
        let mut site = std::fs::read_to_string(&path).unwrap();
        site.push_str("\n[contact]\nflood_seconds = 0\n");
        std::fs::write(&path, site).unwrap();
    })
    .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    for (n, (width, height, name)) in [(375, 812, "phone"), (1280, 900, "desktop")]
        .into_iter()
        .enumerate()
    {
        c.set_window_size(width, height).await.unwrap();
        c.goto(&server.url("/contact")).await.unwrap();
        browser.wait_for(Locator::Css("form.contact-form")).await;
        browser
            .assert_no_overflow(&format!("the {name} contact page"))
            .await;
        browser
            .assert_no_script(&format!("the {name} contact page"))
            .await;

        // An address the browser lets through and the site refuses: beside the field.
        fill(&browser, "#contact-name", "Ann Example").await;
        fill(&browser, "#contact-email", "ann@localhost").await;
        fill(
            &browser,
            "#contact-message",
            "Do you take walk-ins on Saturday?",
        )
        .await;
        submit(&browser).await;
        let error = browser.wait_for(Locator::Css("#contact-email-error")).await;
        assert!(error.is_displayed().await.unwrap());
        assert!(error.text().await.unwrap().contains("name@example.com"));
        let kept = browser
            .eval("return document.querySelector('#contact-message').value")
            .await;
        assert_eq!(kept.as_str(), Some("Do you take walk-ins on Saturday?"));
        browser
            .assert_no_overflow(&format!("the {name} form with an error"))
            .await;
        browser
            .assert_no_script(&format!("the {name} form with an error"))
            .await;
        browser
            .screenshot(&format!("contact-{name}-error.png"))
            .await;
        assert_eq!(
            server.outbox().len(),
            n,
            "nothing mailed for a refused form"
        );

        fill(&browser, "#contact-email", "ann@example.com").await;
        submit(&browser).await;
        let notice = browser.wait_for(Locator::Css("#contact-notice")).await;
        assert!(notice.text().await.unwrap().starts_with("Thank you!"));
        let url = c.current_url().await.unwrap();
        assert_eq!(
            (url.path(), url.query()),
            ("/contact", Some("message=sent"))
        );
        browser
            .assert_no_overflow(&format!("the {name} sent page"))
            .await;
        browser
            .assert_no_script(&format!("the {name} sent page"))
            .await;
        browser
            .screenshot(&format!("contact-{name}-sent.png"))
            .await;

        let outbox = server.outbox();
        assert_eq!(outbox.len(), n + 1, "one mail per message");
        let eml = &outbox[n];
        assert!(eml.contains("To: cindy@clinic.example"), "{eml}");
        assert!(eml.contains("Reply-To: ann@example.com"), "{eml}");
        assert!(eml_text(eml).contains("Do you take walk-ins on Saturday?"));
    }
    browser.close().await;
}
