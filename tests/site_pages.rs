//! The site function's handler, driven by real API Gateway events, over the sample
//! content on the embedded adapters (and once over S3 and DynamoDB on moto).

use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::ports::{ContentKey, ContentStore};
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, header, http_api, rest_api};
use lambdapress_tests::moto;
use lambdapress_tests::sample::{sample_content_dir, EmbeddedSite, BASE_URL};
use std::sync::Arc;

const ARTICLE: &str = "/posts/what-are-muscle-knots";

async fn get(site: &EmbeddedSite, path: &str) -> lambdapress::http::Response<Body> {
    site.site.handle(&http_api("GET", path, &[])).await
}

#[tokio::test]
async fn the_sample_article_has_every_part_of_the_reference_page() {
    let site = EmbeddedSite::start().await;
    let response = get(&site, ARTICLE).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = body_text(&response);
    for part in [
        "<!DOCTYPE html>",
        "<title>What Are Muscle Knots and Why Do You Have Them? – Cindy Albon Acupuncture</title>",
        "Cindy Albon",
        "LAc, DiplAc, MSOM, Licensed and Board Certified",
        "2016 Hillhurst Ave, Los Angeles CA 90027",
        "<h1>What Are Muscle Knots and Why Do You Have Them?</h1>",
        r#"<h2 id="dehydration">Dehydration</h2>"#,
        r#"<h2 id="weight-training">Weight Training</h2>"#,
        r#"<h2 id="your-mattress">Your Mattress</h2>"#,
        "<figcaption>Back Tension</figcaption>",
        "Like what you read? Subscribe below!",
        r#"<form class="subscribe-form" method="post" action="/subscribe">"#,
        r#"type="email" name="email" required"#,
        r#"<section id="comments""#,
        ">Posts RSS</a>",
        ">Comments RSS</a>",
        r#"<link rel="alternate" type="application/rss+xml" title="Cindy Albon Acupuncture » Posts RSS" href="https://clinic.example/feed.xml">"#,
        r#"href="https://clinic.example/posts/what-are-muscle-knots/comments.xml""#,
        r#"<link rel="canonical" href="https://clinic.example/posts/what-are-muscle-knots">"#,
        r#"<meta property="og:type" content="article">"#,
        r#"<meta property="og:image" content="https://clinic.example/media/back-tension.svg">"#,
        r#"<meta name="description" content="Muscle knots are"#,
        r#"<meta name="viewport""#,
    ] {
        assert!(html.contains(part), "the article page lacks {part:?}");
    }
    assert!(
        !html.contains("<script>") && !html.contains("<script src"),
        "no JavaScript is needed to read the page"
    );
}

#[tokio::test]
async fn the_article_carries_blog_posting_and_local_business_json_ld() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, ARTICLE).await);
    let start = html.find(r#"<script type="application/ld+json">"#).unwrap()
        + r#"<script type="application/ld+json">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let graph = ld["@graph"].as_array().unwrap();
    let posting = graph.iter().find(|n| n["@type"] == "BlogPosting").unwrap();
    assert_eq!(
        posting["headline"],
        "What Are Muscle Knots and Why Do You Have Them?"
    );
    assert_eq!(posting["datePublished"], "2024-03-12T09:00:00Z");
    assert_eq!(posting["author"]["name"], "Cindy Albon");
    assert_eq!(posting["commentCount"], 0);
    let business = graph
        .iter()
        .find(|n| n["@id"] == "https://clinic.example/#business")
        .unwrap();
    // `[business] type`: the sample clinic is a schema.org MedicalClinic.
    assert_eq!(business["@type"], "MedicalClinic");
    assert_eq!(business["address"]["streetAddress"], "2016 Hillhurst Ave");
    assert_eq!(business["address"]["postalCode"], "90027");
    assert_eq!(posting["publisher"]["@id"], business["@id"]);
}

#[tokio::test]
async fn the_rendered_sample_article_matches_its_snapshot() {
    let site = EmbeddedSite::start().await;
    insta::assert_snapshot!("sample_article_page", body_text(&get(&site, ARTICLE).await));
}

/// The contact page as the sample theme and `[business]` make it: logo, colours'
/// stylesheet, booking button, hours in the footer and the business card.
#[tokio::test]
async fn the_rendered_sample_contact_page_matches_its_snapshot() {
    let site = EmbeddedSite::start().await;
    insta::assert_snapshot!(
        "sample_contact_page",
        body_text(&get(&site, "/contact").await)
    );
}

#[tokio::test]
async fn pages_carry_an_etag_and_revalidate_with_304() {
    let site = EmbeddedSite::start().await;
    for path in [ARTICLE, "/", "/tags/acupuncture"] {
        let first = get(&site, path).await;
        assert_eq!(first.status(), 200, "{path}");
        let etag = header(&first, "etag").expect("an ETag").to_owned();
        assert!(
            header(&first, "cache-control")
                .unwrap()
                .contains("max-age="),
            "{path}"
        );
        assert!(header(&first, "last-modified").is_some(), "{path}");

        let again = site
            .site
            .handle(&http_api("GET", path, &[("if-none-match", &etag)]))
            .await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, "etag"), Some(etag.as_str()));
        assert!(body_text(&again).is_empty());

        let stale = site
            .site
            .handle(&http_api("GET", path, &[("if-none-match", "\"stale\"")]))
            .await;
        assert_eq!(stale.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn an_edited_post_gets_a_new_etag_and_new_text() {
    let site = EmbeddedSite::start().await;
    let before = get(&site, ARTICLE).await;
    let etag = header(&before, "etag").unwrap().to_owned();
    let path = site.dir.0.join("content/posts/what-are-muscle-knots.md");
    let source = std::fs::read_to_string(&path)
        .unwrap()
        .replace("Weight Training", "Lifting Weights");
    std::fs::write(&path, source).unwrap();
    let after = site
        .site
        .handle(&http_api("GET", ARTICLE, &[("if-none-match", &etag)]))
        .await;
    assert_eq!(after.status(), 200);
    assert_ne!(header(&after, "etag"), Some(etag.as_str()));
    assert!(body_text(&after).contains(r#"<h2 id="lifting-weights">Lifting Weights</h2>"#));
}

#[tokio::test]
async fn unknown_and_malicious_slugs_get_the_html_404_page() {
    let site = EmbeddedSite::start().await;
    for path in [
        "/posts/no-such-post",
        "/posts/..",
        "/posts/..%2F..%2Fsite.toml",
        "/posts/a%2Fb",
        "/posts/%2e%2e",
        "/posts/UPPER",
        "/site.toml",
        "/posts/what-are-muscle-knots.md",
        "/nope",
        &format!("/posts/{}", "a".repeat(101)),
    ] {
        let response = get(&site, path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let html = body_text(&response);
        assert!(html.contains("<h1>Page not found</h1>"), "{path}: {html}");
        assert!(!html.contains("title = "), "{path} leaked site.toml");
    }
}

#[tokio::test]
async fn the_home_page_lists_published_posts_newest_first() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, "/").await);
    let order: Vec<usize> = [
        "/posts/desk-work-neck-and-shoulder-tension",
        "/posts/acupuncture-for-better-sleep",
        "/posts/what-are-muscle-knots",
        "/posts/what-to-expect-at-your-first-visit",
    ]
    .iter()
    .map(|link| {
        html.find(&format!("href=\"{link}\""))
            .unwrap_or_else(|| panic!("home lists {link}"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "newest first: {order:?}"
    );
    assert!(
        !html.contains("draft-winter-hours"),
        "drafts are never listed"
    );
    assert!(html.contains(r#"<link rel="canonical" href="https://clinic.example/">"#));
}

#[tokio::test]
async fn listings_paginate_with_the_sites_page_size() {
    let site = EmbeddedSite::start().await;
    let settings = site.dir.0.join("content/site.toml");
    let text = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("posts_per_page = 10", "posts_per_page = 3");
    std::fs::write(&settings, text).unwrap();

    let first = body_text(&get(&site, "/").await);
    assert_eq!(first.matches("class=\"post-card\"").count(), 3);
    assert!(first.contains(r#"<a rel="next" href="/page/2">"#));
    let second = body_text(&get(&site, "/page/2").await);
    assert_eq!(second.matches("class=\"post-card\"").count(), 1);
    assert!(second.contains(r#"<a rel="prev" href="/">"#));
    assert!(!second.contains("rel=\"next\""));
    assert_eq!(get(&site, "/page/3").await.status(), 404);
    let one = get(&site, "/page/1").await;
    assert_eq!(
        (one.status().as_u16(), header(&one, "location")),
        (301, Some("/"))
    );
}

#[tokio::test]
async fn a_tag_page_lists_only_that_tags_posts() {
    let site = EmbeddedSite::start().await;
    let response = get(&site, "/tags/muscle-pain").await;
    assert_eq!(response.status(), 200);
    let html = body_text(&response);
    assert!(html.contains("Posts tagged “Muscle Pain”"), "{html}");
    assert!(html.contains("href=\"/posts/what-are-muscle-knots\""));
    assert!(!html.contains("href=\"/posts/acupuncture-for-better-sleep\""));
    assert_eq!(get(&site, "/tags/no-such-tag").await.status(), 404);
}

#[tokio::test]
async fn drafts_and_future_posts_are_never_served() {
    let site = EmbeddedSite::start().await;
    assert_eq!(get(&site, "/posts/draft-winter-hours").await.status(), 404);
    site.write_post("next-year", "+++\ntitle = \"Coming soon\"\ndate = 2999-01-01T00:00:00Z\ntags = [\"Acupuncture\"]\n+++\nSoon.\n");
    reindex_all(site.content.as_ref(), site.index.as_ref())
        .await
        .unwrap();
    assert_eq!(get(&site, "/posts/next-year").await.status(), 404);
    assert!(!body_text(&get(&site, "/").await).contains("next-year"));
    assert!(!body_text(&get(&site, "/tags/acupuncture").await).contains("next-year"));
}

#[tokio::test]
async fn a_post_with_bad_front_matter_breaks_nothing_else() {
    let site = EmbeddedSite::start().await;
    site.write_post(
        "broken",
        "+++\ntitle = \"Broken\"\ndate = \"last tuesday\"\n+++\nBody\n",
    );
    let outcomes = reindex_all(site.content.as_ref(), site.index.as_ref())
        .await
        .unwrap();
    let (_, outcome) = outcomes
        .iter()
        .find(|(s, _)| s.as_str() == "broken")
        .unwrap();
    match outcome {
        lambdapress::indexer::IndexOutcome::Rejected(e) => {
            assert_eq!(e.to_string(), "posts/broken.md: field `date`: must be a date like 2024-03-12 or 2024-03-12T09:00:00Z")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(get(&site, "/posts/broken").await.status(), 404);
    assert_eq!(get(&site, ARTICLE).await.status(), 200);
    assert_eq!(get(&site, "/").await.status(), 200);
}

#[tokio::test]
async fn rest_api_events_with_a_stage_route_the_same() {
    let site = EmbeddedSite::start().await;
    let response = site.site.handle(&rest_api("GET", ARTICLE, &[])).await;
    assert_eq!(response.status(), 200);
    assert!(
        body_text(&response).contains("<h1>What Are Muscle Knots and Why Do You Have Them?</h1>")
    );
    assert_eq!(
        site.site
            .handle(&rest_api("GET", "/posts/%2e%2e", &[]))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn head_requests_get_headers_only_and_other_methods_get_405() {
    let site = EmbeddedSite::start().await;
    let head = site.site.handle(&http_api("HEAD", ARTICLE, &[])).await;
    assert_eq!(head.status(), 200);
    assert!(header(&head, "etag").is_some());
    assert!(body_text(&head).is_empty());
    let delete = site.site.handle(&http_api("DELETE", ARTICLE, &[])).await;
    assert_eq!(delete.status(), 405);
    assert_eq!(header(&delete, "allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary_and_cached_for_a_year() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, ARTICLE).await);
    let href = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(href.starts_with("/static/style.css?v="));
    let css = get(&site, href).await;
    assert_eq!(css.status(), 200);
    assert_eq!(
        header(&css, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert!(header(&css, "cache-control").unwrap().contains("immutable"));
    assert!(
        body_text(&css).contains("@media"),
        "responsive rules are in the stylesheet"
    );
}

#[tokio::test]
async fn stored_objects_are_served_with_their_type_and_revalidate() {
    let site = EmbeddedSite::start().await;
    assert_eq!(
        get(&site, "/feed.xml").await.status(),
        404,
        "nothing generated yet"
    );
    let key = ContentKey::generated("feed.xml").unwrap();
    site.content
        .put(
            &key,
            b"<rss version=\"2.0\"></rss>".to_vec(),
            "application/rss+xml; charset=utf-8",
            "public, max-age=300",
        )
        .await
        .unwrap();
    let feed = get(&site, "/feed.xml").await;
    assert_eq!(feed.status(), 200);
    assert_eq!(
        header(&feed, "content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    let etag = header(&feed, "etag").unwrap().to_owned();
    let again = site
        .site
        .handle(&http_api("GET", "/feed.xml", &[("if-none-match", &etag)]))
        .await;
    assert_eq!(again.status(), 304);
    let media = get(&site, "/media/back-tension.svg").await;
    assert_eq!(
        (media.status().as_u16(), header(&media, "content-type")),
        (200, Some("image/svg+xml"))
    );
}

#[tokio::test]
async fn a_storage_failure_is_a_503_page_not_a_panic() {
    // The real S3 and DynamoDB adapters pointed at a port where nothing listens.
    let config = moto::sdk_config("http://127.0.0.1:9").await;
    let site = Site::new(
        Arc::new(lambdapress::adapters::S3Content::new(
            lambdapress::aws::s3_client(&config),
            "content",
        )),
        Arc::new(lambdapress::adapters::DynamoPostIndex::new(
            lambdapress::aws::dynamodb_client(&config),
            "table",
        )),
        Arc::new(lambdapress::adapters::DynamoCommentStore::new(
            lambdapress::aws::dynamodb_client(&config),
            "table",
        )),
        SiteOptions::default(),
    );
    for path in [ARTICLE, "/", "/tags/acupuncture"] {
        let response = site.handle(&http_api("GET", path, &[])).await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(header(&response, "cache-control"), Some("no-store"));
        let html = body_text(&response);
        assert!(html.contains("Temporarily unavailable"), "{html}");
        assert!(
            !html.contains("dispatch failure") && !html.contains("Error"),
            "no internal error text: {html}"
        );
    }
}

#[tokio::test]
async fn the_site_serves_the_article_from_s3_and_dynamodb() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, bucket) = moto::s3_content(&endpoint).await;
    let dir = sample_content_dir();
    for key in [
        "site.toml",
        "posts/what-are-muscle-knots.md",
        "posts/acupuncture-for-better-sleep.md",
    ] {
        let bytes = std::fs::read(dir.join(key)).unwrap();
        Bucket::new(client.clone(), bucket.clone())
            .put(key, bytes)
            .await;
    }
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    reindex_all(&content, &index).await.unwrap();
    let site = Site::new(
        Arc::new(content),
        Arc::new(index),
        Arc::new(comments),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            ..SiteOptions::default()
        },
    );

    let article = site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert_eq!(article.status(), 200);
    assert!(body_text(&article).contains(r#"<h2 id="your-mattress">Your Mattress</h2>"#));
    let etag = header(&article, "etag").unwrap().to_owned();
    // The second view revalidates the post against S3 with If-None-Match (a 304 from S3).
    let again = site
        .handle(&http_api("GET", ARTICLE, &[("if-none-match", &etag)]))
        .await;
    assert_eq!(again.status(), 304);

    let home = body_text(&site.handle(&http_api("GET", "/", &[])).await);
    let sleep = home.find("/posts/acupuncture-for-better-sleep").unwrap();
    let knots = home.find("/posts/what-are-muscle-knots").unwrap();
    assert!(sleep < knots, "newest first from the DynamoDB index");
    assert_eq!(
        site.handle(&http_api("GET", "/posts/not-uploaded", &[]))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn warm_up_loads_the_settings_before_the_first_request() {
    let sample = EmbeddedSite::start().await;
    let options = || SiteOptions {
        base_url: Some(BASE_URL.into()),
        settings_ttl: std::time::Duration::from_secs(3600),
        ..SiteOptions::default()
    };
    let warmed = Site::new(
        sample.content.clone(),
        sample.index.clone(),
        sample.comments.clone(),
        options(),
    );
    let cold = Site::new(
        sample.content.clone(),
        sample.index.clone(),
        sample.comments.clone(),
        options(),
    );
    warmed.warm_up().await;
    // With site.toml gone, only a site that read it at init can still serve pages.
    std::fs::remove_file(sample.dir.0.join("content/site.toml")).unwrap();
    assert_eq!(
        warmed.handle(&http_api("GET", ARTICLE, &[])).await.status(),
        200
    );
    assert_eq!(
        cold.handle(&http_api("GET", ARTICLE, &[])).await.status(),
        503
    );
}

/// The sample site with a view window of `window`.
fn windowed(sample: &EmbeddedSite, window: std::time::Duration) -> Site {
    Site::new(
        sample.content.clone(),
        sample.index.clone(),
        sample.comments.clone(),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: window,
            ..SiteOptions::default()
        },
    )
}

#[tokio::test]
async fn a_warm_view_is_served_from_memory_within_its_window_then_revalidated() {
    let sample = EmbeddedSite::start().await;
    let site = windowed(&sample, std::time::Duration::from_millis(400));
    let first = site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag").unwrap().to_owned();
    let path = sample.dir.0.join("content/posts/what-are-muscle-knots.md");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{source}\nA paragraph added while warm.\n")).unwrap();
    // Within the window: the same bytes from memory, the store not read.
    let warm = site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert_eq!(header(&warm, "etag"), Some(etag.as_str()));
    assert!(!body_text(&warm).contains("A paragraph added while warm."));
    // After it: revalidated, the edit shows with a new ETag.
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    let fresh = site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert!(body_text(&fresh).contains("A paragraph added while warm."));
    assert_ne!(header(&fresh, "etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn redirects_are_read_once_per_view_window_even_with_settings_revalidated_each_time() {
    // The local site's options: `settings_ttl` zero, a short view window. Every request
    // consults the redirects first, so they must not be re-read (a megabyte on an
    // imported site) per request: once per window, like the views.
    let sample = EmbeddedSite::start().await;
    let site = windowed(&sample, std::time::Duration::from_millis(400));
    let write = |to: &str| {
        let text = format!("[redirects]\n\"/2019/05/old-knots/\" = \"{to}\"\n");
        let content = sample.content.clone();
        async move {
            content
                .put(
                    &lambdapress::redirects::redirects_key(),
                    text.into_bytes(),
                    "application/toml",
                    "no-cache",
                )
                .await
                .unwrap()
        }
    };
    let location = |response: &lambdapress::http::Response<Body>| {
        assert_eq!(response.status(), 301);
        header(response, "location").unwrap().to_owned()
    };
    write(ARTICLE).await;
    let old = http_api("GET", "/2019/05/old-knots/", &[]);
    assert_eq!(location(&site.handle(&old).await), ARTICLE);
    write("/posts/acupuncture-for-better-sleep").await;
    // Within the window: the copy in memory, the file not read again.
    assert_eq!(location(&site.handle(&old).await), ARTICLE);
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    // After it: revalidated once, the edit shows.
    assert_eq!(
        location(&site.handle(&old).await),
        "/posts/acupuncture-for-better-sleep"
    );
}

#[tokio::test]
async fn unchanged_versions_keep_the_etag_and_personal_pages_bypass_the_cache() {
    let sample = EmbeddedSite::start().await;
    // A zero window revalidates every request.
    let site = windowed(&sample, std::time::Duration::ZERO);
    let a = site.handle(&http_api("GET", ARTICLE, &[])).await;
    let b = site.handle(&http_api("GET", ARTICLE, &[])).await;
    let etag = header(&a, "etag").unwrap();
    assert!(
        etag.starts_with("\"v"),
        "a version tag, not a hash of the page: {etag}"
    );
    assert_eq!(header(&b, "etag"), Some(etag));
    // A notice is for one visitor: rendered for them, never stored or shared.
    let held = site
        .handle(&http_api("GET", &format!("{ARTICLE}?moderation=held"), &[]))
        .await;
    assert_eq!(header(&held, "cache-control"), Some("no-store"));
    assert!(header(&held, "etag").is_none());
    assert!(body_text(&held).contains("awaiting moderation"));
    let again = site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert!(!body_text(&again).contains("awaiting moderation"));
    assert_eq!(header(&again, "etag"), Some(etag));
}

#[tokio::test]
async fn pages_and_stored_text_are_compressed_by_accept_encoding() {
    let sample = EmbeddedSite::start().await;
    sample
        .content
        .put(
            &ContentKey::generated("feed.xml").unwrap(),
            format!("<rss>{}</rss>", "<item>x</item>".repeat(100)).into_bytes(),
            "application/rss+xml; charset=utf-8",
            "public, max-age=300",
        )
        .await
        .unwrap();
    for path in [ARTICLE, "/", "/static/style.css", "/feed.xml"] {
        let plain = site_get(&sample, path, "identity").await;
        let plain_text = body_text(&plain);
        assert!(header(&plain, "content-encoding").is_none(), "{path}");
        assert_eq!(header(&plain, "vary"), Some("accept-encoding"), "{path}");
        for (accept, coding) in [("gzip, deflate, br", "br"), ("gzip", "gzip")] {
            let coded = site_get(&sample, path, accept).await;
            assert_eq!(header(&coded, "content-encoding"), Some(coding), "{path}");
            assert_eq!(header(&coded, "vary"), Some("accept-encoding"));
            assert_ne!(header(&coded, "etag"), header(&plain, "etag"));
            assert_eq!(body_text(&coded), plain_text, "{path} {coding}");
            let Body::Binary(bytes) = coded.body() else {
                panic!("a coded body is binary");
            };
            assert!(bytes.len() < plain_text.len() / 2, "{path} {coding}");
        }
    }
}

async fn site_get(
    sample: &EmbeddedSite,
    path: &str,
    accept_encoding: &str,
) -> lambdapress::http::Response<Body> {
    let mut req = http_api("GET", path, &[]);
    req.headers_mut()
        .insert("accept-encoding", accept_encoding.parse().unwrap());
    sample.site.handle(&req).await
}

/// The chrome (header, footer, head links with the stylesheets' hashes, the business's
/// JSON-LD) is made once per version of site.toml: revalidating an unchanged file
/// keeps the very same one, and a changed file makes a new one that every page shows.
#[tokio::test]
async fn the_chrome_is_made_once_per_settings_version() {
    let site = EmbeddedSite::start().await;
    let first = site.site.chrome().await.unwrap();
    assert_eq!(get(&site, ARTICLE).await.status(), 200);
    let again = site.site.chrome().await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "an unchanged site.toml (revalidated: settings_ttl is zero) keeps its chrome"
    );

    let settings = site.dir.0.join("content/site.toml");
    let text = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("accent = \"#2e6b5e\"", "accent = \"#0b5394\"")
        .replace(
            "title = \"Cindy Albon Acupuncture\"",
            "title = \"Hillhurst Clinic\"",
        );
    std::fs::write(&settings, text).unwrap();
    let changed = site.site.chrome().await.unwrap();
    assert!(!Arc::ptr_eq(&first, &changed));
    assert_ne!(first.theme_stylesheet, changed.theme_stylesheet);
    let html = body_text(&get(&site, ARTICLE).await);
    let href = changed.theme_stylesheet.as_deref().unwrap();
    assert!(html.contains(&format!(r#"<link rel="stylesheet" href="{href}">"#)));
    assert!(!html.contains(first.theme_stylesheet.as_deref().unwrap()));
    assert!(html.contains(r#"<p class="site-title"><a href="/">"#));
    assert!(
        html.contains("Hillhurst Clinic</a></p>"),
        "the header follows"
    );
    assert!(
        html.contains("<p>Hillhurst Clinic · "),
        "the footer follows"
    );
    assert!(
        html.contains(r#""name":"Hillhurst Clinic""#),
        "the JSON-LD follows"
    );
}
