//! Responsive image variants on S3 through moto: the images function's handler on real
//! S3 event payloads makes variants of a real JPEG and PNG beside them and lists them
//! in the variants index; a re-delivered event changes nothing, its own variants'
//! events are skipped, a non-image and a decompression bomb are refused cleanly, and a
//! removal takes the variants and the entry away. The site over the same bucket renders
//! `srcset`, `sizes`, `width`, `height` and lazy loading (not for the lead image) once
//! the variants exist, and plain images before and after.

use lambdapress::adapters::{S3Content, SqliteCommentStore, SqlitePostIndex};
use lambdapress::images::handler::Images;
use lambdapress::images::{Format, VariantsIndex, INDEX_KEY};
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, http_api};
use lambdapress_tests::moto;
use lambdapress_tests::sample::BASE_URL;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const PHOTO: &[u8] = include_bytes!("fixtures/media/photo.jpg");
const DIAGRAM: &[u8] = include_bytes!("fixtures/media/diagram.png");
const PHOTO_KEY: &str = "media/clínica/sala de espera.jpg";
const DIAGRAM_KEY: &str = "media/diagram.png";

/// An S3 notification as S3 sends it: the key URL-encoded, `+` for a space.
fn event(records: &[(&str, &str)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(name, key)| {
            let encoded: String = key
                .split(' ')
                .map(|part| {
                    percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("+");
            json!({
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                "eventTime": "2026-12-02T17:00:00.000Z", "eventName": name,
                "userIdentity": {"principalId": "AWS:X"},
                "requestParameters": {"sourceIPAddress": "198.51.100.4"},
                "responseElements": {},
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "media",
                       "bucket": {"name": "b", "ownerIdentity": {"principalId": "X"}, "arn": "arn:aws:s3:::b"},
                       "object": {"key": encoded, "size": 1, "sequencer": "0A"}}
            })
        })
        .collect();
    json!({ "Records": records })
}

fn outcomes(answer: &Value) -> Vec<(String, String)> {
    answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn index(bucket: &Bucket) -> (VariantsIndex, String) {
    let stored = bucket.get(INDEX_KEY).await.expect("the index exists");
    (VariantsIndex::parse(&stored.bytes), stored.etag)
}

/// A valid PNG (signature, IHDR, a tiny IDAT, IEND) claiming `w` × `h` pixels.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    for (kind, data) in [
        (&b"IHDR"[..], ihdr),
        (
            b"IDAT",
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ),
        (b"IEND", vec![]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend(&data);
        let mut crc = flate2::Crc::new();
        crc.update(&chunk);
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(&chunk);
        png.extend(crc.sum().to_be_bytes());
    }
    png
}

const POST: &str = r#"+++
title = "Our waiting room"
date = 2024-03-12T09:00:00Z
summary = "A look inside."
[image]
src = "/media/clínica/sala de espera.jpg"
alt = "The waiting room"
+++

How a visit goes:

![How a visit goes](/media/diagram.png)

And an image without variants: ![logo](/media/clinic-logo.svg)
"#;

#[tokio::test]
async fn on_s3_uploads_get_variants_the_index_lists_and_pages_use() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, name) = moto::s3_content(&endpoint).await;
    let content: Arc<S3Content> = Arc::new(content);
    let bucket = Bucket::new(client, name);
    bucket.put_sample_settings().await;
    bucket.put("posts/waiting-room.md", POST).await;
    bucket.put(PHOTO_KEY, PHOTO).await;
    bucket.put(DIAGRAM_KEY, DIAGRAM).await;
    let images = Images::new(content.clone());
    let site = Site::new(
        content.clone(),
        Arc::new(SqlitePostIndex::in_memory().unwrap()),
        Arc::new(SqliteCommentStore::in_memory().unwrap()),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            settings_ttl: Duration::ZERO,
            view_ttl: Duration::ZERO,
            ..SiteOptions::default()
        },
    );
    let page = || async {
        let response = site
            .handle(&http_api("GET", "/posts/waiting-room", &[]))
            .await;
        assert_eq!(response.status(), 200);
        body_text(&response)
    };
    // Before any variants: the images as written.
    let before = page().await;
    assert!(!before.contains("srcset"), "{before}");

    let created = "ObjectCreated:Put";
    let answer = images
        .handle(event(&[(created, PHOTO_KEY), (created, DIAGRAM_KEY)]))
        .await
        .unwrap();
    let made = outcomes(&answer);
    assert_eq!(made.len(), 2, "{answer}");
    assert!(made.iter().all(|(_, o)| o.starts_with("Made(")), "{answer}");

    let (listed, etag) = index(&bucket).await;
    assert_eq!(listed.images.len(), 2, "{listed:?}");
    let photo = &listed.images["clínica/sala de espera.jpg"];
    assert_eq!(
        (photo.width, photo.height, photo.format),
        (1200, 800, Format::Jpeg)
    );
    let diagram = &listed.images["diagram.png"];
    assert_eq!(
        (diagram.width, diagram.height, diagram.format),
        (1000, 700, Format::Png)
    );
    for (entry, original) in [(photo, PHOTO), (diagram, DIAGRAM)] {
        assert_eq!(entry.hash, lambdapress::images::content_hash(original));
        let own: Vec<u32> = entry
            .variants
            .iter()
            .filter(|v| v.format == entry.format)
            .map(|v| v.width)
            .collect();
        assert_eq!(own, [480, 960], "only widths below the original's");
        for v in &entry.variants {
            let key = format!("media/{}", v.name);
            assert!(
                v.name.contains(&format!(".{}w.{}.", v.width, entry.hash)),
                "{}",
                v.name
            );
            let stored = bucket.get(&key).await.expect(&key);
            let (bytes, content_type) = (stored.bytes, stored.content_type);
            assert_eq!(
                content_type.as_deref(),
                Some(v.format.content_type()),
                "{key}"
            );
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert_eq!(
                (decoded.width(), decoded.height()),
                (v.width, v.height),
                "{key}"
            );
            let expected_height = (entry.height * v.width + entry.width / 2) / entry.width;
            assert_eq!(v.height, expected_height, "{key}");
        }
    }
    // Lossless WebP loses to JPEG on a photo and beats PNG on a flat graphic.
    assert!(photo.variants.iter().all(|v| v.format != Format::Webp));
    assert!(diagram.variants.iter().any(|v| v.format == Format::Webp));

    // The site re-renders with the variants (the index's version is in the page's).
    let html = page().await;
    assert!(
        html.contains(r#"<img src="/media/cl%C3%ADnica/sala%20de%20espera.jpg" srcset="/media/cl%C3%ADnica/sala%20de%20espera.480w."#),
        "{html}"
    );
    assert!(
        html.contains(r#"width="1200" height="800" alt="The waiting room" fetchpriority="high">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<picture><source type="image/webp" srcset="/media/diagram.480w."#),
        "{html}"
    );
    assert!(
        html.contains(r#"sizes="(max-width: 42rem) calc(100vw - 2.5rem), 39.5rem" width="1000" height="700" alt="How a visit goes" loading="lazy" decoding="async"></picture>"#),
        "{html}"
    );
    assert_eq!(html.matches("fetchpriority").count(), 1, "only the lead");
    // A variant is a redirect to S3 whose answer may be cached for good (its name
    // changes with its original's bytes).
    let href = format!(
        "/media/{}",
        photo.variants[0]
            .name
            .replace("clínica/sala de espera", "cl%C3%ADnica/sala%20de%20espera")
    );
    let redirect = site.handle(&http_api("GET", &href, &[])).await;
    assert_eq!(redirect.status(), 302, "{href}");
    let location = lambdapress_tests::fixtures::header(&redirect, "location").unwrap();
    let decoded = percent_encoding::percent_decode_str(location)
        .decode_utf8()
        .unwrap();
    assert!(
        decoded.contains(lambdapress::http::response::CACHE_IMMUTABLE),
        "{decoded}"
    );
    assert!(
        html.contains(r#"<img src="/media/clinic-logo.svg" alt="logo" />"#),
        "{html}"
    );

    // A re-delivered event writes nothing: the index keeps its ETag.
    let again = images.handle(event(&[(created, PHOTO_KEY)])).await.unwrap();
    assert_eq!(outcomes(&again)[0].1, "Unchanged", "{again}");
    assert_eq!(index(&bucket).await.1, etag);

    // The variants' own events (they are written under media/) are skipped.
    let variant = format!("media/{}", photo.variants[0].name);
    let skipped = images.handle(event(&[(created, &variant)])).await.unwrap();
    assert_eq!(
        outcomes(&skipped)[0].1,
        "Skipped(\"a variant\")",
        "{skipped}"
    );

    // A non-image under an image's name and a decompression bomb: refused, no entry.
    bucket
        .put("media/fake.jpg", b"<html><script>alert(1)</script>")
        .await;
    bucket
        .put("media/bomb.png", png_claiming(60_000, 60_000))
        .await;
    bucket.put("media/notes.txt", b"plain").await;
    let refused = images
        .handle(event(&[
            (created, "media/fake.jpg"),
            (created, "media/bomb.png"),
            (created, "media/notes.txt"),
        ]))
        .await
        .unwrap();
    let refused = outcomes(&refused);
    assert!(
        refused[0].1.starts_with("Refused(\"not an image"),
        "{refused:?}"
    );
    assert!(refused[1].1.starts_with("Refused("), "{refused:?}");
    assert!(refused[1].1.contains("60000"), "{refused:?}");
    assert!(refused[2].1.starts_with("Skipped("), "{refused:?}");
    assert_eq!(index(&bucket).await, (listed.clone(), etag.clone()));

    // Removal: the entry goes, then the variants; the page shows the plain image.
    bucket.remove(PHOTO_KEY).await;
    let removed = images
        .handle(event(&[("ObjectRemoved:Delete", PHOTO_KEY)]))
        .await
        .unwrap();
    assert_eq!(outcomes(&removed)[0].1, "Removed(2)", "{removed}");
    let (after, _) = index(&bucket).await;
    assert_eq!(after.images.keys().collect::<Vec<_>>(), ["diagram.png"]);
    for v in &photo.variants {
        assert!(
            bucket.get(&format!("media/{}", v.name)).await.is_none(),
            "{}",
            v.name
        );
    }
    let html = page().await;
    assert!(
        html.contains(r#"<img src="/media/clínica/sala de espera.jpg" alt="The waiting room">"#)
            || html.contains(
                r#"<img src="/media/cl%C3%ADnica/sala%20de%20espera.jpg" alt="The waiting room">"#
            ),
        "{html}"
    );
    assert!(
        html.contains("/media/diagram.480w."),
        "the other image keeps its variants"
    );
}

#[tokio::test]
async fn on_s3_a_re_upload_replaces_or_drops_the_variants_and_concurrent_uploads_keep_both() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, name) = moto::s3_content(&endpoint).await;
    let content: Arc<S3Content> = Arc::new(content);
    let bucket = Bucket::new(client, name);
    let images = Arc::new(Images::new(content.clone()));
    bucket.put("media/a.jpg", PHOTO).await;
    bucket.put("media/b.png", DIAGRAM).await;
    // Two invocations at once: each reads, changes and writes back the index.
    let (a, b) = tokio::join!(
        images.handle(event(&[("ObjectCreated:Put", "media/a.jpg")])),
        images.handle(event(&[("ObjectCreated:Put", "media/b.png")]))
    );
    assert!(outcomes(&a.unwrap())[0].1.starts_with("Made("));
    assert!(outcomes(&b.unwrap())[0].1.starts_with("Made("));
    let (listed, _) = index(&bucket).await;
    assert_eq!(listed.images.keys().collect::<Vec<_>>(), ["a.jpg", "b.png"]);

    // New bytes under the same name: new variant names, the old ones deleted.
    let old = listed.images["a.jpg"].clone();
    bucket.put("media/a.jpg", DIAGRAM_AS_JPEG.as_slice()).await;
    let answer = images
        .handle(event(&[("ObjectCreated:Put", "media/a.jpg")]))
        .await
        .unwrap();
    assert!(outcomes(&answer)[0].1.starts_with("Made("), "{answer}");
    let (listed, _) = index(&bucket).await;
    let new = &listed.images["a.jpg"];
    assert_ne!(new.hash, old.hash);
    for v in &old.variants {
        assert!(
            bucket.get(&format!("media/{}", v.name)).await.is_none(),
            "{}",
            v.name
        );
    }
    for v in &new.variants {
        assert!(
            bucket.get(&format!("media/{}", v.name)).await.is_some(),
            "{}",
            v.name
        );
    }

    // Replaced by one too small for variants, then by a non-image: the old entry and
    // its variants go (pages never show a replaced upload's variants).
    let new = new.clone();
    let small = image::DynamicImage::new_rgb8(300, 200);
    let small = lambdapress::images::make::encode(&small, Format::Jpeg).unwrap();
    bucket.put("media/a.jpg", small).await;
    let answer = images
        .handle(event(&[("ObjectCreated:Put", "media/a.jpg")]))
        .await
        .unwrap();
    assert!(outcomes(&answer)[0].1.starts_with("Skipped("), "{answer}");
    let (listed, _) = index(&bucket).await;
    assert!(!listed.images.contains_key("a.jpg"), "{listed:?}");
    for v in &new.variants {
        assert!(
            bucket.get(&format!("media/{}", v.name)).await.is_none(),
            "{}",
            v.name
        );
    }
    let old_b = listed.images["b.png"].clone();
    bucket.put("media/b.png", b"not a png").await;
    let answer = images
        .handle(event(&[("ObjectCreated:Put", "media/b.png")]))
        .await
        .unwrap();
    assert!(outcomes(&answer)[0].1.starts_with("Refused("), "{answer}");
    assert!(index(&bucket).await.0.images.is_empty());
    for v in &old_b.variants {
        assert!(
            bucket.get(&format!("media/{}", v.name)).await.is_none(),
            "{}",
            v.name
        );
    }
}

/// Other JPEG bytes for the re-upload: the fixture photo with one byte of its comment
/// changed would do too, but a different image is plainer.
static DIAGRAM_AS_JPEG: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let img = image::load_from_memory(DIAGRAM).unwrap();
    lambdapress::images::make::encode(&img, Format::Jpeg).unwrap()
});

/// The local site's store (a content folder, a generated folder): the same handler makes
/// the variants into the generated folder, never the owner's, and a page links them; a
/// page without a front-matter image has its first image as the lead.
#[tokio::test]
async fn the_embedded_store_gets_variants_in_its_generated_folder_and_pages_use_them() {
    let site = lambdapress_tests::sample::EmbeddedSite::start().await;
    let media = site.dir.0.join("content/media/fotos");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("sala.jpg"), PHOTO).unwrap();
    std::fs::write(media.join("diagram.png"), DIAGRAM).unwrap();
    site.write_post(
        "fotos",
        "+++\ntitle = \"Fotos\"\ndate = 2024-03-12T09:00:00Z\n+++\n\n![Sala](/media/fotos/sala.jpg)\n\n![Plan](/media/fotos/diagram.png)\n",
    );
    let images = Images::new(site.content.clone());
    for name in ["fotos/sala.jpg", "fotos/diagram.png"] {
        let key = lambdapress::ports::MediaKey::parse(name).unwrap();
        let outcome = images.created(&key).await.unwrap();
        assert!(
            matches!(outcome, lambdapress::images::handler::Outcome::Made(_)),
            "{outcome:?}"
        );
    }
    let listed: Vec<String> = std::fs::read_dir(&media)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        listed.len(),
        2,
        "the content folder is left as it was: {listed:?}"
    );
    let hash = lambdapress::images::content_hash(PHOTO);
    let variant = site
        .dir
        .0
        .join(format!("generated/media/fotos/sala.480w.{hash}.jpg"));
    let decoded = image::open(&variant).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 320));

    let page = site
        .site
        .handle(&http_api("GET", "/posts/fotos", &[]))
        .await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(
        html.contains(&format!(
            r#"<figure><img src="/media/fotos/sala.jpg" srcset="/media/fotos/sala.480w.{hash}.jpg 480w, /media/fotos/sala.960w.{hash}.jpg 960w, /media/fotos/sala.jpg 1200w""#
        )),
        "{html}"
    );
    assert!(
        html.contains(r#"alt="Sala" fetchpriority="high">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"alt="Plan" loading="lazy" decoding="async"></picture>"#),
        "{html}"
    );
    let served = site
        .site
        .handle(&http_api(
            "GET",
            &format!("/media/fotos/sala.960w.{hash}.jpg"),
            &[],
        ))
        .await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        lambdapress_tests::fixtures::header(&served, "content-type"),
        Some("image/jpeg")
    );
}
