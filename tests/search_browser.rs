//! Search in headless Chromium: the header's box reached by keyboard, a query typed and
//! submitted without JavaScript, the results page at phone and desktop widths.

use fantoccini::key::Key;
use fantoccini::Locator;
use lambdapress_tests::browser::{Browser, LocalServer};

/// The result titles of the page shown, in order.
async fn result_titles(browser: &Browser) -> Vec<String> {
    let titles = browser
        .eval(
            "return [...document.querySelectorAll('.search-results h2 a')].map(a => a.textContent)",
        )
        .await;
    serde_json::from_value(titles).expect("a list of titles")
}

#[tokio::test]
async fn a_query_typed_in_the_header_box_shows_its_results_on_a_phone_and_a_desktop() {
    // The local site writes the search index with the feeds when it starts.
    let server = LocalServer::start().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    for (width, height) in [(360, 780), (1280, 900)] {
        c.set_window_size(width, height).await.unwrap();
        c.goto(&server.url("/about")).await.unwrap();
        browser
            .assert_no_overflow(&format!("the page at {width}px"))
            .await;
        // Keyboard: Tab from the top reaches the header's search box.
        let reached = browser
            .tab_until("return document.activeElement.id", "site-search-q", 30)
            .await;
        assert!(reached, "Tab never reaches the search box at {width}px");
        let label = browser
            .eval("return document.activeElement.labels[0].textContent")
            .await;
        assert_eq!(label.as_str(), Some("Search"));
        // Typed, then Enter: the form's GET, no script involved.
        c.active_element()
            .await
            .unwrap()
            .send_keys("muscle knots")
            .await
            .unwrap();
        browser.press(Key::Enter).await;
        browser
            .wait_for(Locator::Css(".search-results, p.empty"))
            .await;
        let url = c.current_url().await.unwrap();
        assert_eq!(url.path(), "/search");
        assert_eq!(url.query(), Some("q=muscle+knots"));
        assert_eq!(
            c.title().await.unwrap(),
            "Search: muscle knots – Cindy Albon Acupuncture"
        );
        let titles = result_titles(&browser).await;
        assert_eq!(
            titles.first().map(String::as_str),
            Some("What Are Muscle Knots and Why Do You Have Them?"),
            "{titles:?} at {width}px"
        );
        assert!(
            browser
                .text(".search-count")
                .await
                .ends_with("for “muscle knots”"),
            "at {width}px"
        );
        // The results page keeps the query in its own box.
        let kept = browser
            .eval("return document.getElementById('search-q').value")
            .await;
        assert_eq!(kept.as_str(), Some("muscle knots"));
        browser
            .assert_no_overflow(&format!("the results at {width}px"))
            .await;
        let scripts = browser
            .eval(
                "return document.querySelectorAll('script:not([type=\"application/ld+json\"])').length",
            )
            .await;
        assert_eq!(scripts.as_i64(), Some(0), "search needs no JavaScript");

        // A search from the results page's own box, by keyboard: a page's words.
        let own = c.find(Locator::Id("search-q")).await.unwrap();
        own.clear().await.unwrap();
        own.send_keys("nccaom").await.unwrap();
        own.send_keys(&Key::Enter.to_string()).await.unwrap();
        browser
            .wait_for(Locator::XPath(
                "//p[@class='search-count'][contains(., 'nccaom')]",
            ))
            .await;
        assert_eq!(result_titles(&browser).await, ["About Cindy"]);
        browser
            .assert_no_overflow(&format!("the page result at {width}px"))
            .await;
    }
    browser.close().await;
}
