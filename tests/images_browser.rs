//! Responsive images in headless Chromium: the sample photo's variants, made by the
//! local site as the images function makes them on S3, are what the browser picks at a
//! phone's and a desktop's width (`srcset` and `sizes` read as written), at their
//! declared aspect ratio, with only the lead image loaded eagerly.

use lambdapress_tests::browser::{Browser, LocalServer};
use std::time::{Duration, Instant};

const POST: &str = "/posts/what-to-expect-at-your-first-visit";

/// Waits until the local site has made the photo's variants and the post links them
/// (the first start makes them in the background: an unoptimised build takes seconds).
/// Its own browser session, so the measured ones start with an empty cache.
async fn wait_for_variants(server: &LocalServer, browser: &Browser) {
    let started = Instant::now();
    loop {
        browser.client.goto(&server.url(POST)).await.unwrap();
        let linked = browser
            .eval("return !!document.querySelector('img[srcset*=\"treatment-room.480w.\"]')")
            .await;
        if linked.as_bool() == Some(true) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the photo's variants never appeared in the post"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The lead image's chosen source, its rendered size and its loading attribute.
async fn lead_image(browser: &Browser) -> (String, f64, f64, String) {
    let found = browser
        .eval(
            "const img = document.querySelector('.post img[srcset]');\n\
             return new Promise(done => {\n\
               const report = () => { const r = img.getBoundingClientRect();\n\
                 done([img.currentSrc, r.width, r.height, img.getAttribute('loading') || 'eager']); };\n\
               if (img.complete && img.currentSrc) { report(); } else { img.onload = report; }\n\
             });",
        )
        .await;
    serde_json::from_value(found).expect("the lead image's facts")
}

#[tokio::test]
async fn the_browser_picks_the_variant_for_its_width() {
    let server = LocalServer::start().await;
    let Some(waiting) = Browser::start().await else {
        return;
    };
    wait_for_variants(&server, &waiting).await;
    let priority = waiting
        .eval("return document.querySelector('.post img[srcset]').getAttribute('fetchpriority')")
        .await;
    assert_eq!(priority, "high", "the lead image is fetched first");
    waiting.close().await;

    // A phone: a 390 px window, the photo about 350 CSS px wide at one device pixel each,
    // so the 480 px variant; a desktop: the 39.5rem column, so the 960 px one.
    for (width, height, want) in [(390, 844, "480w"), (1280, 900, "960w")] {
        let Some(browser) = Browser::start().await else {
            return;
        };
        let c = &browser.client;
        c.set_window_size(width, height).await.unwrap();
        c.goto(&server.url(POST)).await.unwrap();
        let (src, w, h, loading) = lead_image(&browser).await;
        assert!(
            src.contains(&format!("treatment-room.{want}.")),
            "at {width}px the browser chose {src}, not the {want} variant"
        );
        assert_eq!(
            loading, "eager",
            "the lead image must not wait for scrolling"
        );
        // width/height in the markup keep the box at the photo's 16:9 before it loads.
        assert!((w / h - 16.0 / 9.0).abs() < 0.02, "{w} × {h} at {width}px");
        assert!(w <= f64::from(width), "the photo is wider than the window");
        browser
            .assert_no_overflow(&format!("the post at {width}px"))
            .await;
        browser
            .screenshot(&format!("images-post-{width}.png"))
            .await;
        browser.close().await;
    }
}
