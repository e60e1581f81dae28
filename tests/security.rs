//! The security rules end to end, through API Gateway events: every answer of the site,
//! comment and subscribe functions (errors, redirects and 304 included) and of the local
//! runner carries the security headers; `/media/*` serves only its allow-list, typed by
//! extension and sandboxed; an imported post's `javascript:` link renders inert; a link
//! signed with a retired key gets a clear 400; the moderation page masks the address.

use html5ever::parse_document;
use html5ever::tendril::TendrilSink;
use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex, SqliteSubscribers};
use lambdapress::domain::Secret;
use lambdapress::http::security::{HSTS, PAGE_CSP, REFERRER_POLICY, SANDBOX_CSP};
use lambdapress::http::{Body, HttpFunction, Response};
use lambdapress::subscribe::{Subscribe, SubscribeOptions, CONFIRM_PURPOSE};
use lambdapress_tests::comments::{location, CommentSite, ARTICLE, VISITOR_IP};
use lambdapress_tests::fixtures::{body_text, header, http_api, rest_api};
use lambdapress_tests::mail::RecordingMailer;
use lambdapress_tests::sample::ScratchDir;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::sync::Arc;

/// The headers every answer must carry; HSTS because API Gateway answers over HTTPS.
fn assert_secured(what: &str, response: &Response<Body>, csp: &str) {
    assert_eq!(
        header(response, "content-security-policy"),
        Some(csp),
        "{what}"
    );
    assert_eq!(
        header(response, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert!(header(response, "referrer-policy").is_some(), "{what}");
    assert_eq!(
        header(response, "strict-transport-security"),
        Some(HSTS),
        "{what}"
    );
}

#[tokio::test]
async fn every_site_answer_carries_the_headers_errors_redirects_and_304_included() {
    let site = CommentSite::start("").await;
    let article = site.site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert_eq!(article.status(), 200);
    assert_secured("article", &article, PAGE_CSP);
    assert_eq!(header(&article, "referrer-policy"), Some(REFERRER_POLICY));
    let etag = header(&article, "etag").unwrap().to_owned();
    let cases = [
        (
            "304",
            http_api("GET", ARTICLE, &[("if-none-match", &etag)]),
            304,
        ),
        ("404", http_api("GET", "/posts/no-such-post", &[]), 404),
        ("301", http_api("GET", "/page/1", &[]), 301),
        ("405", http_api("POST", ARTICLE, &[]), 405),
        ("HEAD", http_api("HEAD", ARTICLE, &[]), 200),
        ("stylesheet", http_api("GET", "/static/style.css", &[]), 0),
        ("REST API v1", rest_api("GET", ARTICLE, &[]), 200),
    ];
    for (what, req, status) in cases {
        let response = site.site.handle(&req).await;
        if status != 0 {
            assert_eq!(response.status(), status, "{what}");
        }
        assert_secured(what, &response, PAGE_CSP);
    }
}

#[tokio::test]
async fn every_comment_answer_carries_the_headers() {
    let site = CommentSite::start("").await;
    let posted = site
        .post_form(
            &format!("{ARTICLE}/comments"),
            &[
                ("name", "Ann"),
                ("email", "ann@example.com"),
                ("body", "Thanks!"),
            ],
            VISITOR_IP,
        )
        .await;
    assert_eq!(posted.status(), 303, "{}", body_text(&posted));
    assert_secured("comment posted", &posted, PAGE_CSP);
    for (what, response, status) in [
        ("405", site.get(&format!("{ARTICLE}/comments")).await, 405),
        ("404", site.get("/comments/elsewhere").await, 404),
        (
            "bad link",
            site.get("/comments/moderate?token=x.y&action=approve")
                .await,
            403,
        ),
    ] {
        assert_eq!(response.status(), status, "{what}");
        assert_secured(what, &response, PAGE_CSP);
    }
}

fn subscribe(secret: Secret) -> Subscribe {
    let store = Arc::new(SqliteSubscribers::in_memory().unwrap());
    Subscribe::new(
        store.clone(),
        store,
        Arc::new(RecordingMailer::default()),
        secret,
        SubscribeOptions {
            base_url: Some("https://clinic.example".into()),
            ..SubscribeOptions::default()
        },
    )
}

#[tokio::test]
async fn every_subscribe_answer_carries_the_headers() {
    let function = subscribe(Secret::new(*b"security-tests-secret-0123456789ab").unwrap());
    let form = lambdapress_tests::fixtures::http_api_with_body(
        "POST",
        "/subscribe",
        &[("content-type", "application/x-www-form-urlencoded")],
        "email=ann%40example.com&source=%2F",
    );
    let signed_up = function.handle(&form).await;
    assert_eq!(signed_up.status(), 303, "{}", body_text(&signed_up));
    assert_secured("signup", &signed_up, PAGE_CSP);
    for (what, path, status) in [
        ("thanks", "/subscribe/thanks", 200),
        ("damaged link", "/subscribe/confirm?token=abc", 400),
        ("405", "/unsubscribe", 0),
    ] {
        let response = function.handle(&http_api("GET", path, &[])).await;
        if status != 0 {
            assert_eq!(response.status(), status, "{what}");
        }
        assert_secured(what, &response, PAGE_CSP);
    }
}

#[tokio::test]
async fn a_link_signed_with_a_retired_key_gets_a_clear_400_and_the_previous_key_still_works() {
    let k1 = r#"{"id":"k1","key":"security-tests-first-key-0123456789abcdef"}"#;
    let old = Secret::parse(k1).unwrap();
    let rotated = Secret::parse(
        &old.rotated("k2", "security-tests-second-key-0123456789abcdef")
            .unwrap(),
    )
    .unwrap();
    let function = subscribe(rotated.clone());
    let soon = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let by_previous = old.sign(CONFIRM_PURPOSE, "ann@example.com", soon);
    let page = function
        .handle(&http_api(
            "GET",
            &format!("/subscribe/confirm?token={by_previous}"),
            &[],
        ))
        .await;
    assert_eq!(
        page.status(),
        200,
        "the previous key verifies: {}",
        body_text(&page)
    );

    let retired = Secret::parse(r#"{"id":"k0","key":"security-tests-retired-key-0123456789abc"}"#)
        .unwrap()
        .sign(CONFIRM_PURPOSE, "ann@example.com", soon);
    let page = function
        .handle(&http_api(
            "GET",
            &format!("/subscribe/confirm?token={retired}"),
            &[],
        ))
        .await;
    assert_eq!(page.status(), 400);
    assert!(
        body_text(&page).contains("This link is too old"),
        "{}",
        body_text(&page)
    );
    assert_secured("retired key", &page, PAGE_CSP);
}

#[tokio::test]
async fn media_is_typed_by_the_allow_list_and_never_served_as_an_active_document() {
    let site = CommentSite::start("").await;
    let media = site.embedded.dir.0.join("content/media");
    let script = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    for (name, bytes) in [
        ("evil.html", &b"<script>alert(1)</script>"[..]),
        ("evil.HTM", b"<script>alert(1)</script>"),
        ("evil.xml", b"<x/>"),
        ("evil.js", b"alert(1)"),
        ("evil.svg", script),
        ("photo.png", b"\x89PNG\r\n\x1a\n"),
        ("leaflet.pdf", b"%PDF-1.4"),
        ("talk.mp3", b"ID3"),
        ("prices.csv", b"a,b\n"),
        ("setup.exe", b"MZ"),
    ] {
        std::fs::write(media.join(name), bytes).unwrap();
    }
    let get = |path: String| {
        let site = site.site.clone();
        async move { site.handle(&http_api("GET", &path, &[])).await }
    };
    for active in ["evil.html", "evil.HTM", "evil.xml", "evil.js"] {
        let response = get(format!("/media/{active}")).await;
        assert_eq!(response.status(), 404, "{active}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(!body_text(&response).contains("alert(1)"), "{active}");
    }
    for (name, content_type, csp, attachment) in [
        ("photo.png", "image/png", PAGE_CSP, false),
        ("evil.svg", "image/svg+xml", SANDBOX_CSP, false),
        ("leaflet.pdf", "application/pdf", SANDBOX_CSP, false),
        ("talk.mp3", "audio/mpeg", SANDBOX_CSP, false),
        ("prices.csv", "text/csv; charset=utf-8", SANDBOX_CSP, false),
        ("setup.exe", "application/octet-stream", SANDBOX_CSP, true),
    ] {
        let response = get(format!("/media/{name}")).await;
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(
            header(&response, "content-type"),
            Some(content_type),
            "{name}"
        );
        assert_secured(name, &response, csp);
        assert_eq!(
            header(&response, "content-disposition") == Some("attachment"),
            attachment,
            "{name}"
        );
        // A revalidation keeps the sandbox.
        let etag = header(&response, "etag").unwrap().to_owned();
        let again = site
            .site
            .handle(&http_api(
                "GET",
                &format!("/media/{name}"),
                &[("if-none-match", &etag)],
            ))
            .await;
        assert_eq!(again.status(), 304, "{name}");
        assert_secured(name, &again, csp);
    }
}

#[tokio::test]
async fn the_moderation_page_masks_the_commenters_address() {
    let site = CommentSite::start("[comments]\nflood_seconds = 0\n").await;
    let posted = site
        .post_form(
            &format!("{ARTICLE}/comments"),
            &[
                ("name", "Ann"),
                ("email", "ann.lee@example.com"),
                ("body", "Hold me"),
            ],
            VISITOR_IP,
        )
        .await;
    assert!(location(&posted).contains("moderation=held"));
    let mail = site.mailer.sent()[0].text.clone();
    let link = mail
        .lines()
        .find(|l| l.contains("&action=approve"))
        .unwrap()
        .trim()
        .split_once("https://clinic.example")
        .unwrap()
        .1
        .to_owned();
    let page = site.get(&link).await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(html.contains("a***@example.com"), "{html}");
    assert!(!html.contains("ann.lee"), "{html}");
    assert_eq!(
        header(&page, "referrer-policy"),
        Some("no-referrer"),
        "kept"
    );
    assert_secured("moderation page", &page, PAGE_CSP);
    // One button: the link's own action.
    assert_eq!(html.matches("<button").count(), 1, "{html}");
}

fn walk(node: &Handle, out: &mut Vec<(String, String, String)>) {
    if let NodeData::Element { name, attrs, .. } = &node.data {
        for a in attrs.borrow().iter() {
            out.push((
                name.local.to_string(),
                a.name.local.to_string(),
                a.value.to_string(),
            ));
        }
    }
    for child in node.children.borrow().iter() {
        walk(child, out);
    }
}

#[tokio::test]
async fn an_imported_post_with_a_javascript_link_renders_it_inert() {
    let dir = ScratchDir::new();
    let export =
        std::fs::read_to_string(lambdapress_tests::fixtures::path("wordpress-export.xml")).unwrap();
    let payloads = r#"<p>Book <a href="javascript:alert(1)">here</a>, <a href="JaVaScRiPt&#58;alert(2)">there</a>, <a href=" java&#x09;script:alert(3)">tab</a>, <a href="data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;">data</a> or <a href="vbscript:msgbox(5)">vb</a>. <img src="javascript:alert(6)" alt="pic"> <a href="https://harmony-clinic.example/contact/">Contact</a></p>"#;
    let start =
        export.find("<content:encoded><![CDATA[").unwrap() + "<content:encoded><![CDATA[".len();
    let end = start + export[start..].find("]]></content:encoded>").unwrap();
    let export = format!("{}{payloads}{}", &export[..start], &export[end..]);
    let file = dir.0.join("export.xml");
    std::fs::write(&file, export).unwrap();

    std::fs::create_dir_all(dir.0.join("content")).unwrap();
    std::fs::copy(
        lambdapress_tests::sample::sample_content_dir().join("site.toml"),
        dir.0.join("content/site.toml"),
    )
    .unwrap();
    let database = dir.0.join("data/lambdapress.sqlite");
    let content = Arc::new(FsContent::new(
        dir.0.join("content"),
        dir.0.join("data/generated"),
    ));
    let index = Arc::new(SqlitePostIndex::open(&database).unwrap());
    let comments = Arc::new(SqliteCommentStore::open(&database).unwrap());
    let secret = Secret::new(*b"import-tests-secret-0123456789abcdef").unwrap();
    let stores = lambdapress_infra::import::Stores {
        content: content.as_ref(),
        index: index.as_ref(),
        comments: comments.as_ref(),
        secret: &secret,
    };
    lambdapress_infra::import::import_wordpress(
        &file,
        &stores,
        lambdapress_infra::import::Options::default(),
        &lambdapress_infra::import::Silent,
    )
    .await
    .expect("the import runs");

    let site = lambdapress::site::Site::new(
        content,
        index,
        comments,
        lambdapress::site::SiteOptions {
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: std::time::Duration::ZERO,
            ..Default::default()
        },
    );
    let response = site
        .handle(&http_api("GET", "/posts/what-are-muscle-knots", &[]))
        .await;
    assert_eq!(response.status(), 200);
    let html = body_text(&response);
    let dom = parse_document(RcDom::default(), Default::default())
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .unwrap();
    let mut attrs = Vec::new();
    walk(&dom.document, &mut attrs);
    for (element, name, value) in &attrs {
        if matches!(name.as_str(), "href" | "src" | "action" | "formaction") {
            assert!(
                lambdapress::render::safe_url::is_safe(value),
                "<{element} {name}={value:?}> on the imported post"
            );
        }
    }
    let article = &html[html.find("<article").unwrap()..];
    for text in ["here", "there", "tab", "data", "vb"] {
        assert!(article.contains(text), "the link text stays: {text}");
    }
    assert!(
        attrs
            .iter()
            .any(|(e, n, v)| e == "a" && n == "href" && v.contains("/contact")),
        "a safe link stays a link"
    );
    assert_secured("imported post", &response, PAGE_CSP);
}

#[tokio::test]
async fn the_local_runner_adds_the_headers_and_no_hsts_over_plain_http() {
    use http_body_util::{BodyExt, Empty};
    let server = lambdapress_tests::browser::LocalServer::start().await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<bytes::Bytes>>();
    for (path, status) in [
        (ARTICLE, 200),
        ("/posts/nothing-here", 404),
        ("/page/1", 301),
    ] {
        let response = client.get(server.url(path).parse().unwrap()).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let h = |n: &str| {
            response
                .headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(
            h("content-security-policy").as_deref(),
            Some(PAGE_CSP),
            "{path}"
        );
        assert_eq!(
            h("referrer-policy").as_deref(),
            Some(REFERRER_POLICY),
            "{path}"
        );
        assert_eq!(
            h("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(h("strict-transport-security"), None, "plain HTTP: {path}");
        let _ = response.into_body().collect().await;
    }
}

/// Two comments a second apart, from different `X-Forwarded-For` addresses and emails,
/// through the local runner: the statuses of the two POSTs.
async fn two_comments_with_forwarded_addresses(trust: bool) -> (u16, u16) {
    use http_body_util::{BodyExt, Full};
    let server = lambdapress_tests::browser::LocalServer::start_trusting_forwarded_for(trust).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let mut statuses = Vec::new();
    for n in 1..=2 {
        let body = format!("name=Visitor+{n}&email=v{n}%40example.com&body=Comment+{n}");
        let request = http::Request::post(server.url(&format!("{ARTICLE}/comments")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .body(Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let response = client.request(request).await.unwrap();
        statuses.push(response.status().as_u16());
        let _ = response.into_body().collect().await;
    }
    (statuses[0], statuses[1])
}

#[tokio::test]
async fn the_local_runner_ignores_x_forwarded_for_unless_told_to_trust_it() {
    // By default the header is the visitor's to forge: both POSTs come from one peer,
    // so the flood limit refuses the second.
    let (first, second) = two_comments_with_forwarded_addresses(false).await;
    assert_eq!((first, second), (303, 429));
    // Trusted (a proxy, or the comment bench standing in for many visitors): two visitors.
    let (first, second) = two_comments_with_forwarded_addresses(true).await;
    assert_eq!((first, second), (303, 303));
}
