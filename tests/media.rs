//! `/media/*` end to end: folders and UTF-8 names on the embedded store (served by the
//! function, as the local site does), and on S3 through moto, where every type but SVG
//! is a `302` to a pre-signed URL that answers with our headers whatever the upload
//! claimed, and SVG is served by the function, sandboxed, never by a redirect.

use http_body_util::{BodyExt, Empty};
use lambdapress::adapters::{SqliteCommentStore, SqlitePostIndex};
use lambdapress::http::response::{CACHE_ASSET, CACHE_MEDIA_LINK};
use lambdapress::http::security::{PAGE_CSP, SANDBOX_CSP};
use lambdapress::http::{Body, Response};
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, header, http_api};
use lambdapress_tests::moto;
use lambdapress_tests::sample::{EmbeddedSite, BASE_URL};
use std::sync::Arc;

const SCRIPT_SVG: &[u8] =
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";

fn body_bytes(response: &Response<Body>) -> Vec<u8> {
    match response.body() {
        Body::Text(text) => text.clone().into_bytes(),
        Body::Binary(bytes) => bytes.clone(),
        Body::Empty => Vec::new(),
        _ => panic!("unexpected body"),
    }
}

#[tokio::test]
async fn the_embedded_store_serves_folders_and_utf8_names_and_refuses_the_rest() {
    let site = EmbeddedSite::start().await;
    let media = site.dir.0.join("content/media");
    let folder = media.join("clínica/año nuevo");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(media.join(".private")).unwrap();
    for (path, bytes) in [
        (
            folder.join("sala de espera.png"),
            &b"\x89PNG\r\n\x1a\nclinic"[..],
        ),
        (folder.join("folleto.pdf"), b"%PDF-1.4 folleto"),
        (folder.join("evil.html"), b"<script>alert(1)</script>"),
        (folder.join("logo.svg"), SCRIPT_SVG),
        (media.join(".private/notes.txt"), b"secret"),
        (media.join("a.txt"), b"plain"),
    ] {
        std::fs::write(path, bytes).unwrap();
    }
    let get = |path: &str| {
        let request = http_api("GET", path, &[]);
        let site = &site.site;
        async move { site.handle(&request).await }
    };

    let png = get("/media/cl%C3%ADnica/a%C3%B1o%20nuevo/sala%20de%20espera.png").await;
    assert_eq!(png.status(), 200);
    assert_eq!(header(&png, "content-type"), Some("image/png"));
    assert_eq!(header(&png, "content-security-policy"), Some(PAGE_CSP));
    assert_eq!(body_bytes(&png), b"\x89PNG\r\n\x1a\nclinic");
    assert_eq!(header(&png, "location"), None, "no redirect without links");

    let pdf = get("/media/cl%C3%ADnica/a%C3%B1o%20nuevo/folleto.pdf").await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(header(&pdf, "content-type"), Some("application/pdf"));
    assert_eq!(header(&pdf, "content-security-policy"), Some(SANDBOX_CSP));

    let svg = get("/media/cl%C3%ADnica/a%C3%B1o%20nuevo/logo.svg").await;
    assert_eq!(svg.status(), 200);
    assert_eq!(header(&svg, "content-type"), Some("image/svg+xml"));
    assert_eq!(header(&svg, "content-security-policy"), Some(SANDBOX_CSP));

    for refused in [
        "/media/cl%C3%ADnica/a%C3%B1o%20nuevo/evil.html",
        "/media/.private/notes.txt",
        "/media/%2Eprivate/notes.txt",
        "/media/cl%C3%ADnica%2F..%2F..%2Fsite.toml",
        "/media/cl%C3%ADnica/../../site.toml",
        "/media/a.txt%00.png",
        "/media/%FF.txt",
    ] {
        let response = get(refused).await;
        assert_eq!(response.status(), 404, "{refused}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/html; charset=utf-8"),
            "{refused}"
        );
        let text = body_text(&response);
        assert!(
            !text.contains("alert(1)") && !text.contains("secret"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn theme_images_with_utf8_names_are_linked_percent_encoded_and_served() {
    let site = EmbeddedSite::start().await;
    let settings = site.dir.0.join("content/site.toml");
    let text = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("/media/clinic-logo.svg", "/media/clínica/logo nuevo.svg");
    std::fs::write(&settings, text).unwrap();
    let folder = site.dir.0.join("content/media/clínica");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("logo nuevo.svg"),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    let home = site.site.handle(&http_api("GET", "/", &[])).await;
    assert_eq!(home.status(), 200);
    let html = body_text(&home);
    let href = "/media/cl%C3%ADnica/logo%20nuevo.svg";
    assert!(
        html.contains(&format!(r#"<link rel="icon" href="{href}">"#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"src="{href}""#)), "{html}");
    let logo = site.site.handle(&http_api("GET", href, &[])).await;
    assert_eq!(logo.status(), 200);
    assert_eq!(header(&logo, "content-type"), Some("image/svg+xml"));
}

/// A site over a fresh moto bucket (the sample settings in it), with embedded index
/// and comments (only the content store matters here).
async fn s3_site(endpoint: &str) -> (Site, Bucket) {
    let (content, client, name) = moto::s3_content(endpoint).await;
    let bucket = Bucket::new(client, name);
    bucket.put_sample_settings().await;
    let site = Site::new(
        Arc::new(content),
        Arc::new(SqlitePostIndex::in_memory().unwrap()),
        Arc::new(SqliteCommentStore::in_memory().unwrap()),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            ..SiteOptions::default()
        },
    );
    (site, bucket)
}

/// Uploads `bytes` claiming `content_type`, as a careless (or hostile) upload would.
async fn upload(bucket: &Bucket, key: &str, bytes: Vec<u8>, content_type: &str) {
    bucket
        .client
        .put_object()
        .bucket(&bucket.name)
        .key(key)
        .content_type(content_type)
        .body(bytes.into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {key}: {e}"));
}

/// A plain HTTP GET (no SDK, no signing of our own): status, headers, body.
async fn fetch(url: &str) -> (u16, http::HeaderMap, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<bytes::Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

#[tokio::test]
async fn on_s3_a_20_mb_pdf_is_a_redirect_to_a_presigned_url_with_our_type() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (site, bucket) = s3_site(&endpoint).await;
    let pdf: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..20 * 1024 * 1024).map(|i: u32| (i % 251) as u8))
        .collect();
    upload(
        &bucket,
        "media/informes/año 2024/informe anual.pdf",
        pdf.clone(),
        "text/html",
    )
    .await;
    let path = "/media/informes/a%C3%B1o%202024/informe%20anual.pdf";

    let response = site.handle(&http_api("GET", path, &[])).await;
    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "cache-control"), Some(CACHE_MEDIA_LINK));
    assert!(
        body_bytes(&response).is_empty(),
        "no bytes through the function"
    );
    let location = header(&response, "location").unwrap().to_owned();
    assert!(location.starts_with(&endpoint), "{location}");
    assert!(location.contains("X-Amz-Expires=3600"), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    // A HEAD is the same redirect.
    let head = site.handle(&http_api("HEAD", path, &[])).await;
    assert_eq!(head.status(), 302);

    let (status, headers, body) = fetch(&location).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"], "application/pdf",
        "ours, not the upload's"
    );
    assert_eq!(headers["cache-control"], CACHE_ASSET);
    assert!(headers.get("content-disposition").is_none());
    assert_eq!(body.len(), pdf.len());
    assert!(body == pdf, "the same bytes");
}

#[tokio::test]
async fn on_s3_other_types_redirect_with_their_headers_and_a_missing_file_is_404() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (site, bucket) = s3_site(&endpoint).await;
    upload(
        &bucket,
        "media/photo.png",
        b"\x89PNG\r\n\x1a\n".to_vec(),
        "text/html",
    )
    .await;
    upload(&bucket, "media/setup.exe", b"MZ".to_vec(), "text/html").await;
    for (path, content_type, disposition) in [
        ("/media/photo.png", "image/png", None),
        (
            "/media/setup.exe",
            "application/octet-stream",
            Some("attachment"),
        ),
    ] {
        let response = site.handle(&http_api("GET", path, &[])).await;
        assert_eq!(response.status(), 302, "{path}");
        let (status, headers, _) = fetch(header(&response, "location").unwrap()).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(
            headers
                .get("content-disposition")
                .map(|v| v.to_str().unwrap()),
            disposition,
            "{path}"
        );
    }
    let missing = site
        .handle(&http_api("GET", "/media/nothing-here.pdf", &[]))
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "location"), None);
}

#[tokio::test]
async fn on_s3_html_is_never_served_and_svg_is_served_by_the_function_sandboxed() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (site, bucket) = s3_site(&endpoint).await;
    upload(
        &bucket,
        "media/x.html",
        b"<script>alert(1)</script>".to_vec(),
        "text/html",
    )
    .await;
    upload(
        &bucket,
        "media/dibujos/x.svg",
        SCRIPT_SVG.to_vec(),
        "text/html",
    )
    .await;
    let big = [
        b"<svg xmlns='http://www.w3.org/2000/svg'>".as_slice(),
        &vec![b' '; 5 << 20],
        b"</svg>",
    ]
    .concat();
    upload(&bucket, "media/big.svg", big, "image/svg+xml").await;

    let html = site.handle(&http_api("GET", "/media/x.html", &[])).await;
    assert_eq!(html.status(), 404);
    assert_eq!(header(&html, "location"), None);
    assert!(!body_text(&html).contains("alert(1)"));

    let svg = site
        .handle(&http_api("GET", "/media/dibujos/x.svg", &[]))
        .await;
    assert_eq!(svg.status(), 200, "never a redirect");
    assert_eq!(header(&svg, "location"), None);
    assert_eq!(header(&svg, "content-type"), Some("image/svg+xml"));
    assert_eq!(header(&svg, "content-security-policy"), Some(SANDBOX_CSP));
    assert_eq!(header(&svg, "x-content-type-options"), Some("nosniff"));
    assert_eq!(body_bytes(&svg), SCRIPT_SVG);

    // Too large for a function's response: a clear 500 page, not a failed response.
    let big = site.handle(&http_api("GET", "/media/big.svg", &[])).await;
    assert_eq!(big.status(), 500);
    assert_eq!(
        header(&big, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(body_text(&big).contains("File too large"));
}
