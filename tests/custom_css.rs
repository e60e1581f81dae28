//! The owner's `theme/custom.css`: linked in every page's head after the built-in and
//! `[theme]` stylesheets under `/theme/custom.css?v=<hash>` when (and only when) the
//! content holds a usable one, served as CSS with an immutable cache under that URL,
//! ETag/304 and br; on the embedded store and once on S3 (moto).

use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, header, http_api};
use lambdapress_tests::moto;
use lambdapress_tests::sample::{sample_content_dir, EmbeddedSite, BASE_URL};
use std::sync::Arc;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn get(
    site: &Site,
    path: &str,
    headers: &[(&str, &str)],
) -> lambdapress::http::Response<Body> {
    site.handle(&http_api("GET", path, headers)).await
}

fn write_css(site: &EmbeddedSite, bytes: &[u8]) {
    let dir = site.dir.0.join("content/theme");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("custom.css"), bytes).unwrap();
}

fn remove_css(site: &EmbeddedSite) {
    let _ = std::fs::remove_file(site.dir.0.join("content/theme/custom.css"));
}

/// The `href` of every stylesheet the page links, in order.
fn stylesheets(html: &str) -> Vec<String> {
    html.split("<link rel=\"stylesheet\" href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The custom stylesheet's href on `path`, if linked.
async fn custom_href(site: &Site, path: &str) -> Option<String> {
    let response = get(site, path, &[]).await;
    assert_eq!(response.status(), 200, "{path}");
    stylesheets(&body_text(&response))
        .into_iter()
        .find(|href| href.starts_with("/theme/custom.css"))
}

/// One page of each kind the chrome serves.
const PAGES: [&str; 5] = [
    "/",
    "/posts/what-are-muscle-knots",
    "/about",
    "/tags",
    "/search?q=knots",
];

#[tokio::test]
async fn the_custom_stylesheet_is_linked_last_on_every_page_only_while_it_exists() {
    let site = EmbeddedSite::start().await;
    remove_css(&site);
    for path in PAGES {
        assert_eq!(
            custom_href(&site.site, path).await,
            None,
            "{path} without the file"
        );
    }
    assert_eq!(
        get(&site.site, "/theme/custom.css", &[]).await.status(),
        404
    );

    write_css(&site, b".subscribe { border-radius: 1rem; }\n");
    for path in PAGES {
        let html = body_text(&get(&site.site, path, &[]).await);
        let links = stylesheets(&html);
        assert_eq!(links.len(), 3, "{path}: {links:?}");
        assert!(links[0].starts_with("/static/style.css?v="), "{links:?}");
        assert!(links[1].starts_with("/theme/site.css?v="), "{links:?}");
        let v = links[2]
            .strip_prefix("/theme/custom.css?v=")
            .unwrap_or_else(|| panic!("{path}: the custom stylesheet last: {links:?}"));
        assert_eq!(v.len(), 12);
        assert!(v.bytes().all(|b| b.is_ascii_hexdigit()), "{v}");
    }

    // Gone again: no link, and its address is not found.
    remove_css(&site);
    assert_eq!(custom_href(&site.site, "/about").await, None);
    assert_eq!(
        get(&site.site, "/theme/custom.css", &[]).await.status(),
        404
    );
}

#[tokio::test]
async fn the_hashed_url_is_immutable_css_with_a_304_and_br_and_changes_with_the_bytes() {
    let site = EmbeddedSite::start().await;
    let css = ".business-card { border-radius: 1rem; }\n".repeat(20);
    write_css(&site, css.as_bytes());
    let href = custom_href(&site.site, "/about").await.expect("linked");

    let response = get(&site.site, &href, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some(IMMUTABLE));
    assert_eq!(body_text(&response), css);
    let csp = header(&response, "content-security-policy").unwrap_or_default();
    assert!(!csp.contains("style-src 'none'"), "{csp}");
    let page_csp = header(
        &get(&site.site, "/about", &[]).await,
        "content-security-policy",
    )
    .unwrap()
    .to_owned();
    assert!(
        page_csp.contains("style-src 'self'"),
        "pages may load it: {page_csp}"
    );

    let etag = header(&response, "etag").expect("an etag").to_owned();
    let again = get(&site.site, &href, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    let br = get(&site.site, &href, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(header(&br, "content-encoding"), Some("br"));
    assert_eq!(body_text(&br), css);

    // Another version (a page from an instance ahead or behind, or none): the current
    // bytes, never cached for a year under that URL.
    for other in ["/theme/custom.css?v=000000000000", "/theme/custom.css"] {
        let response = get(&site.site, other, &[]).await;
        assert_eq!(response.status(), 200, "{other}");
        assert_eq!(body_text(&response), css);
        assert_ne!(
            header(&response, "cache-control"),
            Some(IMMUTABLE),
            "{other}"
        );
    }

    // New bytes: a new URL on every page, the old one no longer immutable.
    write_css(&site, b".business-card { border-radius: 2rem; }\n");
    let new_href = custom_href(&site.site, "/about").await.expect("linked");
    assert_ne!(new_href, href);
    assert_eq!(
        custom_href(&site.site, "/posts/what-are-muscle-knots").await,
        Some(new_href.clone()),
        "the cached article view is re-rendered"
    );
    let new = get(&site.site, &new_href, &[]).await;
    assert_eq!(body_text(&new), ".business-card { border-radius: 2rem; }\n");
    assert_eq!(header(&new, "cache-control"), Some(IMMUTABLE));
    assert_ne!(header(&new, "etag"), Some(etag.as_str()));
    let old = get(&site.site, &href, &[]).await;
    assert_ne!(header(&old, "cache-control"), Some(IMMUTABLE));
}

#[tokio::test]
async fn an_oversized_blank_or_binary_stylesheet_is_not_linked() {
    let site = EmbeddedSite::start().await;
    let mut big = b"a { color: red; }\n".to_vec();
    big.resize(256 * 1024 + 1, b' ');
    for (what, bytes) in [
        ("over 256 KiB", big.as_slice()),
        ("blank", b" \n\n".as_slice()),
        ("not UTF-8", [0xff, 0xfe, b'a', b'{', b'}'].as_slice()),
    ] {
        write_css(&site, bytes);
        assert_eq!(custom_href(&site.site, "/about").await, None, "{what}");
        assert_eq!(
            get(&site.site, "/theme/custom.css", &[]).await.status(),
            404,
            "{what}"
        );
    }
    // Exactly at the limit it is linked.
    big.truncate(256 * 1024);
    write_css(&site, &big);
    assert!(custom_href(&site.site, "/about").await.is_some());
}

#[tokio::test]
async fn the_sample_site_links_its_custom_stylesheet() {
    let site = EmbeddedSite::start().await;
    let href = custom_href(&site.site, "/")
        .await
        .expect("the sample's theme/custom.css");
    let css = body_text(&get(&site.site, &href, &[]).await);
    let file = std::fs::read_to_string(sample_content_dir().join("theme/custom.css")).unwrap();
    assert_eq!(css, file);
}

#[tokio::test]
async fn on_s3_the_custom_stylesheet_is_read_with_the_settings_and_linked() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, name) = moto::s3_content(&endpoint).await;
    let bucket = Bucket::new(client, name);
    bucket.put_sample_settings().await;
    let dir = sample_content_dir();
    for key in ["posts/what-are-muscle-knots.md", "pages/about.md"] {
        bucket.put(key, std::fs::read(dir.join(key)).unwrap()).await;
    }
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    reindex_all(&content, &index).await.unwrap();
    let site = Site::new(
        Arc::new(content),
        Arc::new(index),
        Arc::new(comments),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            // Every request revalidates the settings (and the stylesheet) against S3.
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: std::time::Duration::ZERO,
            ..SiteOptions::default()
        },
    );
    assert_eq!(
        custom_href(&site, "/about").await,
        None,
        "none uploaded yet"
    );

    bucket
        .put("theme/custom.css", ".subscribe { border-radius: 1rem; }\n")
        .await;
    let href = custom_href(&site, "/about")
        .await
        .expect("linked once uploaded");
    assert_eq!(
        custom_href(&site, "/posts/what-are-muscle-knots").await,
        Some(href.clone())
    );
    let response = get(&site, &href, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), Some(IMMUTABLE));
    assert_eq!(
        body_text(&response),
        ".subscribe { border-radius: 1rem; }\n"
    );
    // Revalidated by ETag against S3 (a 304 from S3 keeps it): the same URL and bytes.
    let etag = header(&response, "etag").unwrap().to_owned();
    let again = get(&site, &href, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);

    bucket
        .put("theme/custom.css", ".subscribe { border-radius: 0; }\n")
        .await;
    let changed = custom_href(&site, "/about").await.expect("still linked");
    assert_ne!(changed, href);
    bucket.remove("theme/custom.css").await;
    assert_eq!(custom_href(&site, "/about").await, None);
}
