//! The posts feeds (RSS, Atom, JSON Feed), the sitemap and robots.txt, generated from the
//! sample content and read back by a real feed client (feedparser), then served by the
//! site function with ETag and 304.

use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::ports::{ContentKey, ContentStore, Fetched};
use lambdapress_tests::feedparser;
use lambdapress_tests::fixtures::{body_text, header, http_api, load, s3_event};
use lambdapress_tests::sample::{EmbeddedSite, BASE_URL};
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

fn january_2025() -> OffsetDateTime {
    datetime!(2025-01-01 00:00 UTC)
}

fn july_2025() -> OffsetDateTime {
    datetime!(2025-07-01 00:00 UTC)
}

fn feeds_at(site: &EmbeddedSite, clock: fn() -> OffsetDateTime) -> Feeds {
    Feeds::new(site.content.clone(), site.index.clone()).with_options(FeedsOptions {
        base_url: Some(BASE_URL.into()),
        clock,
        ..FeedsOptions::default()
    })
}

async fn stored(site: &EmbeddedSite, key: &str) -> Vec<u8> {
    match site
        .content
        .get(&ContentKey::generated(key).unwrap(), None)
        .await
        .unwrap()
    {
        Fetched::Found(object) => object.bytes,
        other => panic!("{key} was not generated: {other:?}"),
    }
}

/// The sample's published posts, newest first (the draft never appears).
const SAMPLE: &[(&str, &str, &str)] = &[
    (
        "desk-work-neck-and-shoulder-tension",
        "Desk Work, Neck Pain and Tight Shoulders",
        "2024-08-20T09:00:00Z",
    ),
    (
        "acupuncture-for-better-sleep",
        "Acupuncture and Better Sleep",
        "2024-05-07T09:00:00Z",
    ),
    (
        "what-are-muscle-knots",
        "What Are Muscle Knots and Why Do You Have Them?",
        "2024-03-12T09:00:00Z",
    ),
    (
        "what-to-expect-at-your-first-visit",
        "What to Expect at Your First Acupuncture Visit",
        "2024-01-23T09:00:00Z",
    ),
];

fn assert_sample_entries(parsed: &Value, date_field: &str) {
    let entries = parsed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), SAMPLE.len(), "{parsed}");
    for (entry, (slug, title, date)) in entries.iter().zip(SAMPLE) {
        let permalink = format!("{BASE_URL}/posts/{slug}");
        assert_eq!(entry["title"], *title);
        assert_eq!(entry["link"], permalink.as_str());
        assert_eq!(entry["id"], permalink.as_str());
        assert_eq!(entry[date_field], *date, "{slug}");
    }
}

#[tokio::test]
async fn rss_parses_cleanly_with_self_link_guids_dates_summary_and_full_html() {
    let Some(python) = feedparser::python() else {
        return;
    };
    let site = EmbeddedSite::start().await;
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let xml = stored(&site, "feed.xml").await;
    let parsed = feedparser::parse_clean(&python, &xml);
    assert_eq!(parsed["version"], "rss20");
    // RSS 2.0's required channel elements, and the self link.
    assert_eq!(parsed["feed"]["title"], "Cindy Albon Acupuncture");
    assert_eq!(parsed["feed"]["link"], format!("{BASE_URL}/"));
    assert_eq!(parsed["feed"]["language"], "en-US");
    let links = parsed["feed"]["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .any(|l| l["rel"] == "self" && l["href"] == format!("{BASE_URL}/feed.xml")),
        "{links:?}"
    );
    assert_sample_entries(&parsed, "published");
    let knots = &parsed["entries"][2];
    assert!(knots["summary"]
        .as_str()
        .unwrap()
        .starts_with("Muscle knots are small, damaged fibers"));
    let content = knots["content"][0].as_str().unwrap();
    assert!(
        content.contains("<h2 id=\"dehydration\">Dehydration</h2>"),
        "{content}"
    );
    assert!(
        content.contains(&format!("src=\"{BASE_URL}/media/back-tension.svg\"")),
        "images point at the site, not at the reader: {content}"
    );
    assert_eq!(
        knots["tags"],
        serde_json::json!(["Muscle Pain", "Acupuncture"])
    );

    let text = String::from_utf8(xml).unwrap();
    assert!(
        text.contains(&format!(
            "<guid>{BASE_URL}/posts/what-are-muscle-knots</guid>"
        )),
        "the guid is the permalink (isPermaLink defaults to true)"
    );
    assert!(text.contains("<description>"));
    assert!(text.contains("<pubDate>Tue, 12 Mar 2024 09:00:00 +0000</pubDate>"));
    assert!(text.contains("<lastBuildDate>Tue, 03 Sep 2024 17:30:00 +0000</lastBuildDate>"));
    assert!(text.contains("xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""));
    assert!(!text.contains("Winter Holiday Hours"), "drafts stay out");
}

#[tokio::test]
async fn atom_parses_cleanly_with_ids_updated_author_and_links() {
    let Some(python) = feedparser::python() else {
        return;
    };
    let site = EmbeddedSite::start().await;
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let xml = stored(&site, "atom.xml").await;
    let parsed = feedparser::parse_clean(&python, &xml);
    assert_eq!(parsed["version"], "atom10");
    // RFC 4287 4.1.1: a feed has id, title, updated, an author (or every entry has one),
    // and a self link; every entry has id, title, updated and an alternate link.
    assert_eq!(parsed["feed"]["id"], format!("{BASE_URL}/"));
    assert_eq!(parsed["feed"]["title"], "Cindy Albon Acupuncture");
    assert_eq!(parsed["feed"]["updated"], "2024-09-03T17:30:00Z");
    assert_eq!(parsed["feed"]["author"], "Cindy Albon");
    let links = parsed["feed"]["links"].as_array().unwrap();
    assert!(links
        .iter()
        .any(|l| l["rel"] == "self" && l["href"] == format!("{BASE_URL}/atom.xml")));
    assert!(links
        .iter()
        .any(|l| l["rel"] == "alternate" && l["href"] == format!("{BASE_URL}/")));
    assert_sample_entries(&parsed, "published");
    let desk = &parsed["entries"][0];
    assert_eq!(
        desk["updated"], "2024-09-03T17:30:00Z",
        "updated is the later date"
    );
    assert_eq!(desk["author"], "Cindy Albon");
    assert!(desk["content"][0].as_str().unwrap().contains("<h2"));
}

#[tokio::test]
async fn json_feed_has_its_required_fields() {
    let site = EmbeddedSite::start().await;
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let feed: Value = serde_json::from_slice(&stored(&site, "feed.json").await).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Cindy Albon Acupuncture");
    assert_eq!(feed["feed_url"], format!("{BASE_URL}/feed.json"));
    assert_eq!(feed["home_page_url"], format!("{BASE_URL}/"));
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), SAMPLE.len());
    for (item, (slug, title, date)) in items.iter().zip(SAMPLE) {
        assert_eq!(item["id"], format!("{BASE_URL}/posts/{slug}"));
        assert_eq!(item["url"], item["id"]);
        assert_eq!(item["title"], *title);
        assert_eq!(item["date_published"], *date);
        assert!(item["content_html"].as_str().unwrap().contains("<p>"));
    }
    assert_eq!(items[0]["date_modified"], "2024-09-03T17:30:00Z");
}

#[tokio::test]
async fn titles_and_text_with_markup_characters_and_non_ascii_survive_every_feed() {
    let Some(python) = feedparser::python() else {
        return;
    };
    let site = EmbeddedSite::start().await;
    let title = r#"Q&A: "Needles" <small> & café — 鍼灸's 'tips'"#;
    let summary = r#"Fish & chips <b>not</b> "bold" — ünïcode"#;
    site.write_post(
        "q-and-a",
        &format!(
            "+++\ntitle = '''{title}'''\ndate = 2024-10-01\nsummary = '''{summary}'''\ntags = [\"Q&A\"]\n+++\nAsk us: 1 < 2 && \"quotes\" — 東京.\n"
        ),
    );
    let feeds = feeds_at(&site, january_2025);
    feeds.rebuild().await.unwrap();
    for key in ["feed.xml", "atom.xml"] {
        let parsed = feedparser::parse_clean(&python, &stored(&site, key).await);
        let first = &parsed["entries"][0];
        assert_eq!(first["title"], title, "{key}");
        // feedparser hands RSS descriptions back as HTML, Atom text constructs as text:
        // either way a reader shows the author's characters, not markup.
        let shown = if key == "feed.xml" {
            r#"Fish &amp; chips &lt;b&gt;not&lt;/b&gt; &quot;bold&quot; — ünïcode"#
        } else {
            summary
        };
        assert_eq!(first["summary"], shown, "{key}");
        let content = first["content"][0].as_str().unwrap();
        assert!(
            content.contains("1 &lt; 2 &amp;&amp; “quotes” — 東京"),
            "{key}: {content}"
        );
    }
    let json: Value = serde_json::from_slice(&stored(&site, "feed.json").await).unwrap();
    assert_eq!(json["items"][0]["title"], title);
    assert_eq!(json["items"][0]["tags"][0], "Q&A");
}

#[tokio::test]
async fn the_number_of_items_is_a_site_setting() {
    let site = EmbeddedSite::start().await;
    let settings = site.dir.0.join("content/site.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace("posts_per_page = 10", "posts_per_page = 10\nfeed_items = 2"),
    )
    .unwrap();
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let feed: Value = serde_json::from_slice(&stored(&site, "feed.json").await).unwrap();
    let ids: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            format!("{BASE_URL}/posts/desk-work-neck-and-shoulder-tension"),
            format!("{BASE_URL}/posts/acupuncture-for-better-sleep")
        ]
    );
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert_eq!(rss.matches("<item>").count(), 2);
}

#[tokio::test]
async fn the_sitemap_lists_home_every_published_post_and_tag_page_with_lastmod() {
    let site = EmbeddedSite::start().await;
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let xml = String::from_utf8(stored(&site, "sitemap.xml").await).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let entry = |path: &str, lastmod: &str| {
        format!("<loc>{BASE_URL}{path}</loc>\n    <lastmod>{lastmod}</lastmod>")
    };
    assert!(xml.contains(&entry("/", "2024-09-03T17:30:00Z")), "{xml}");
    for (slug, _, date) in SAMPLE.iter().skip(1) {
        assert!(
            xml.contains(&entry(&format!("/posts/{slug}"), date)),
            "{slug}"
        );
    }
    assert!(xml.contains(&entry(
        "/posts/desk-work-neck-and-shoulder-tension",
        "2024-09-03T17:30:00Z"
    )));
    assert!(xml.contains(&entry("/tags/acupuncture", "2024-09-03T17:30:00Z")));
    assert!(xml.contains(&entry("/tags/first-visit", "2024-01-23T09:00:00Z")));
    assert!(xml.contains(&entry("/tags/sleep", "2024-05-07T09:00:00Z")));
    assert!(!xml.contains("winter"), "drafts and their tags stay out");
    // The served pages are listed too (About, Contact, Privacy, Services).
    for page in ["/about", "/contact", "/privacy", "/services"] {
        assert!(
            xml.contains(&format!("<loc>{BASE_URL}{page}</loc>")),
            "{page}"
        );
    }
    // Home, four pages, four posts, five tags (Acupuncture, First Visit, Muscle Pain,
    // Sleep, Wellness).
    assert_eq!(xml.matches("<url>").count(), 1 + 4 + 4 + 5, "{xml}");

    let robots = String::from_utf8(stored(&site, "robots.txt").await).unwrap();
    assert_eq!(
        robots,
        format!("User-agent: *\nAllow: /\nDisallow: /search\n\nSitemap: {BASE_URL}/sitemap.xml\n")
    );
}

#[tokio::test]
async fn a_second_identical_regeneration_writes_nothing_and_readers_get_304() {
    let site = EmbeddedSite::start().await;
    let feeds = feeds_at(&site, january_2025);
    let first = feeds.rebuild().await.unwrap();
    let all = [
        "atom.xml",
        "feed.json",
        "feed.xml",
        "robots.txt",
        "search/index.bin",
        "sitemap.xml",
    ];
    let mut written = first.written.clone();
    written.sort();
    assert_eq!(written, all);

    let overlay = |key: &str| site.dir.0.join("generated").join(key);
    let stamps: Vec<_> = all
        .iter()
        .map(|k| std::fs::metadata(overlay(k)).unwrap().modified().unwrap())
        .collect();
    let second = feeds.rebuild().await.unwrap();
    assert_eq!(second.written, Vec::<String>::new(), "{second:?}");
    assert_eq!(second.unchanged.len(), all.len());
    let again: Vec<_> = all
        .iter()
        .map(|k| std::fs::metadata(overlay(k)).unwrap().modified().unwrap())
        .collect();
    assert_eq!(stamps, again, "no file was touched");

    // The site serves each with its type, an ETag, and 304 on revalidation.
    for (path, content_type) in [
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
    ] {
        let response = site.site.handle(&http_api("GET", path, &[])).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), Some(content_type));
        let etag = header(&response, "etag").unwrap().to_owned();
        let revalidated = site
            .site
            .handle(&http_api("GET", path, &[("if-none-match", &etag)]))
            .await;
        assert_eq!(revalidated.status(), 304, "{path}");
        assert_eq!(body_text(&revalidated), "");
    }
}

#[tokio::test]
async fn the_s3_event_for_a_new_post_regenerates_the_feeds_and_the_sitemap_once() {
    let site = EmbeddedSite::start().await;
    let feeds = feeds_at(&site, january_2025);
    feeds.rebuild().await.unwrap();
    site.write_post(
        "cupping-basics",
        "+++\ntitle = \"Cupping basics\"\ndate = 2024-09-01\ntags = [\"Cupping\"]\n+++\nHello.\n",
    );
    let report = feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts%2Fcupping-basics.md", "posts/cupping-basics.md"],
        ))
        .await
        .unwrap();
    let report: Report = report_of(report);
    assert_eq!(report.posts["cupping-basics"], "indexed");
    let mut written = report.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "atom.xml",
            "feed.json",
            "feed.xml",
            "search/index.bin",
            "sitemap.xml"
        ],
        "robots.txt did not change, so it was not rewritten"
    );
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert_eq!(rss.matches("<title>Cupping basics</title>").count(), 1);
    let sitemap = String::from_utf8(stored(&site, "sitemap.xml").await).unwrap();
    assert!(sitemap.contains(&format!("{BASE_URL}/tags/cupping")));

    std::fs::remove_file(site.dir.0.join("content/posts/cupping-basics.md")).unwrap();
    let report = report_of(
        feeds
            .handle(s3_event(
                "s3-object-removed.json",
                &["posts/cupping-basics.md"],
            ))
            .await
            .unwrap(),
    );
    assert_eq!(report.posts["cupping-basics"], "removed");
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert!(!rss.contains("Cupping basics"));
}

#[tokio::test]
async fn the_schedule_publishes_posts_whose_date_has_arrived() {
    let site = EmbeddedSite::start().await;
    site.write_post(
        "summer-hours",
        "+++\ntitle = \"Summer Hours\"\ndate = 2025-06-01T08:00:00Z\ntags = [\"Clinic News\"]\n+++\nOpen late.\n",
    );
    feeds_at(&site, january_2025).rebuild().await.unwrap();
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert!(!rss.contains("Summer Hours"), "not yet due");
    let sitemap = String::from_utf8(stored(&site, "sitemap.xml").await).unwrap();
    assert!(!sitemap.contains("summer-hours"));

    // An hour's tick before the date changes nothing.
    let quiet = report_of(
        feeds_at(&site, january_2025)
            .handle(load("eventbridge-scheduled.json"))
            .await
            .unwrap(),
    );
    assert_eq!(quiet.written, Vec::<String>::new());

    let due = report_of(
        feeds_at(&site, july_2025)
            .handle(load("eventbridge-scheduled.json"))
            .await
            .unwrap(),
    );
    let mut written = due.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "atom.xml",
            "feed.json",
            "feed.xml",
            "search/index.bin",
            "sitemap.xml"
        ],
        "the post that came due is searchable too"
    );
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert!(rss.contains("<title>Summer Hours</title>"));
    let sitemap = String::from_utf8(stored(&site, "sitemap.xml").await).unwrap();
    assert!(sitemap.contains(&format!("{BASE_URL}/posts/summer-hours")));
    assert!(sitemap.contains(&format!("{BASE_URL}/tags/clinic-news")));
}

#[tokio::test]
async fn a_manual_rebuild_reindexes_the_bucket_and_regenerates_everything() {
    let site = EmbeddedSite::start().await;
    // A post the index never heard of (no event arrived for it).
    site.write_post(
        "missed-event",
        "+++\ntitle = \"Missed event\"\ndate = 2024-11-01\n+++\nHi.\n",
    );
    let report = report_of(
        feeds_at(&site, january_2025)
            .handle(serde_json::json!({"rebuild": "all"}))
            .await
            .unwrap(),
    );
    assert_eq!(report.posts["missed-event"], "indexed");
    assert_eq!(report.posts["draft-winter-hours"], "draft");
    assert!(report.written.contains(&"feed.xml".to_owned()));
    let rss = String::from_utf8(stored(&site, "feed.xml").await).unwrap();
    assert!(rss.contains("<title>Missed event</title>"));
}

fn report_of(value: Value) -> Report {
    serde_json::from_value(value).expect("the handler answers with a report")
}
