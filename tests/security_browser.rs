//! The pages in headless Chromium under their Content-Security-Policy: they render (our
//! stylesheet and images load) and the browser reports no CSP violation. A page with a
//! violation planted in it shows the check can fail.

use fantoccini::Locator;
use lambdapress_tests::browser::{Browser, LocalServer};

/// The CSP violations the browser reported for the page since it loaded (buffered
/// `csp-violation` reports), as "directive blocked-url" lines. WebDriver's script is not
/// bound by the page's policy, so it can read them.
const VIOLATIONS: &str = r#"
    const observer = new ReportingObserver(() => {}, { types: ["csp-violation"], buffered: true });
    observer.observe();
    const seen = observer.takeRecords().map((r) => r.body.effectiveDirective + " " + r.body.blockedURL);
    observer.disconnect();
    return seen;
"#;

async fn violations(browser: &Browser) -> Vec<String> {
    let value = browser.eval(VIOLATIONS).await;
    serde_json::from_value(value).expect("a list of strings")
}

/// Every stylesheet applied and every image decoded: what the CSP allows arrived.
async fn rendered(browser: &Browser) -> (bool, Vec<String>) {
    let styled = browser
        .eval(
            "return [...document.styleSheets].length > 0 && \
             [...document.styleSheets].every(s => s.cssRules.length > 0)",
        )
        .await;
    let broken = browser
        .eval(
            "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)",
        )
        .await;
    (
        styled.as_bool() == Some(true),
        serde_json::from_value(broken).unwrap(),
    )
}

#[tokio::test]
async fn the_pages_render_under_their_csp_without_a_violation() {
    let server = LocalServer::start().await;
    // A planted violation: an inline style (raw HTML in a post) the policy refuses.
    std::fs::write(
        server.content_dir.join("pages/planted.md"),
        "+++\ntitle = \"Planted\"\n+++\n<p style=\"color: red\">inline style</p>\n",
    )
    .unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;

    c.goto(&server.url("/planted")).await.unwrap();
    browser.wait_for(Locator::Css("main")).await;
    let planted = violations(&browser).await;
    assert!(
        planted.iter().any(|v| v.contains("style-src")),
        "the check sees a violation when there is one: {planted:?}"
    );

    for path in [
        "/",
        "/posts/what-are-muscle-knots",
        "/tags/acupuncture",
        "/about",
        "/posts/no-such-post",
        "/subscribe/thanks",
        "/media/back-tension.svg",
    ] {
        c.goto(&server.url(path)).await.unwrap();
        let found = violations(&browser).await;
        assert!(found.is_empty(), "{path}: CSP violations {found:?}");
        if !path.starts_with("/media/") {
            let (styled, broken) = rendered(&browser).await;
            assert!(styled, "{path}: the stylesheet applies under the CSP");
            assert!(
                broken.is_empty(),
                "{path}: images blocked or broken: {broken:?}"
            );
        }
    }
    assert!(!browser.dialog_open().await);
    browser.close().await;
}
