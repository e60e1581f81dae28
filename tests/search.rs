//! Site search on the embedded adapters: the index the feeds function writes after an
//! event, then `/search` through API Gateway events (ranking, stemming, escaping, 400s,
//! paging), then an edit and a delete followed through to the results; and once on S3
//! and DynamoDB (moto), where an edit re-reads only the edited post.

use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content};
use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::indexer::reindex_all;
use lambdapress::ports::{ContentStore, Fetched};
use lambdapress::search::{index_key, SearchIndex};
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, header, http_api, s3_event};
use lambdapress_tests::moto;
use lambdapress_tests::sample::{sample_content_dir, EmbeddedSite, BASE_URL};
use lambdapress_tests::store_hooks::CountedReads;
use std::collections::BTreeMap;
use std::sync::Arc;

fn feeds(site: &EmbeddedSite) -> Feeds {
    Feeds::new(site.content.clone(), site.index.clone()).with_options(FeedsOptions {
        base_url: Some(BASE_URL.into()),
        ..FeedsOptions::default()
    })
}

async fn event(feeds: &Feeds, name: &str, keys: &[&str]) -> Report {
    serde_json::from_value(feeds.handle(s3_event(name, keys)).await.unwrap()).unwrap()
}

async fn search(site: &EmbeddedSite, query: &str) -> (u16, String) {
    let response = site
        .site
        .handle(&http_api("GET", &format!("/search{query}"), &[]))
        .await;
    (response.status().as_u16(), body_text(&response))
}

/// The result links of a results page, in order.
fn result_links(html: &str) -> Vec<String> {
    let Some(list) = html.split("<ol class=\"post-list search-results\">").nth(1) else {
        return Vec::new();
    };
    let list = list.split("</ol>").next().unwrap();
    list.split("<h2><a href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

async fn stored_index(site: &EmbeddedSite) -> SearchIndex {
    match site.content.get(&index_key(), None).await.unwrap() {
        Fetched::Found(object) => SearchIndex::parse(object.bytes).unwrap(),
        other => panic!("no search index: {other:?}"),
    }
}

/// The sample site after a rebuild: every published post and page indexed.
async fn indexed() -> (EmbeddedSite, Feeds) {
    let site = EmbeddedSite::start().await;
    let feeds = feeds(&site);
    let report = feeds.rebuild().await.unwrap();
    assert!(
        report.written.contains(&"search/index.bin".to_owned()),
        "{report:?}"
    );
    (site, feeds)
}

#[tokio::test]
async fn a_search_ranks_title_hits_first_and_finds_stems_in_posts_and_pages() {
    let (site, _feeds) = indexed().await;
    let (status, html) = search(&site, "?q=knots").await;
    assert_eq!(status, 200);
    let links = result_links(&html);
    assert_eq!(
        links.first().map(String::as_str),
        Some("/posts/what-are-muscle-knots"),
        "the post with the word in its title first: {links:?}"
    );
    // "knot" (singular) finds the same posts: both are the stem "knot".
    let (_, singular) = search(&site, "?q=Knot").await;
    assert_eq!(result_links(&singular), links);
    assert!(html.contains("<time datetime=\"2024-03-12T09:00:00Z\">March 12, 2024</time>"));
    assert!(
        html.contains("Muscle knots are small, damaged fibers"),
        "the summary"
    );
    assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
    assert!(
        html.contains("<form class=\"site-search wrap\" role=\"search\""),
        "the layout's header"
    );
    assert!(html.contains("<footer class=\"site-footer\">"));

    // A page's words (About: "NCCAOM" is in its body only), linked at `/<slug>`.
    let (_, about) = search(&site, "?q=nccaom").await;
    assert_eq!(result_links(&about), ["/about"]);
    // Terms are ANDed.
    let (_, both) = search(&site, "?q=knots+dehydration").await;
    assert_eq!(result_links(&both), ["/posts/what-are-muscle-knots"]);
    let (status, none) = search(&site, "?q=knots+zeppelin").await;
    assert_eq!(status, 200);
    assert!(result_links(&none).is_empty());
    assert!(none.contains("Nothing matches “knots zeppelin”"), "{none}");
    // A draft is never in the index.
    let (_, draft) = search(&site, "?q=winter+holiday").await;
    assert!(result_links(&draft).is_empty(), "{draft}");
}

#[tokio::test]
async fn the_query_is_shown_back_escaped_and_bad_input_is_a_400_beside_the_field() {
    let (site, _feeds) = indexed().await;
    let (status, html) = search(&site, "?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27").await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;\""),
        "{html}"
    );

    let long = "knot".repeat(51);
    let (status, html) = search(&site, &format!("?q={long}")).await;
    assert_eq!(status, 400);
    assert!(html.contains("Your search is too long. Please use at most 200 characters."));
    assert!(html.contains("aria-invalid=\"true\""));
    let many = vec!["knot"; 13].join("+");
    let (status, html) = search(&site, &format!("?q={many}")).await;
    assert_eq!(status, 400);
    assert!(html.contains("too many words"), "{html}");
    for bad in ["0", "-1", "x", "10001", "99999999999"] {
        let (status, html) = search(&site, &format!("?q=knots&page={bad}")).await;
        assert_eq!(status, 400, "page={bad}");
        assert!(html.contains("The page number must be a whole number from 1 to 10000."));
    }
    let response = site
        .site
        .handle(&http_api("GET", &format!("/search?q={long}"), &[]))
        .await;
    assert_eq!(header(&response, "cache-control"), Some("no-store"));

    // No query, or only spaces: the form alone.
    for empty in ["", "?q=", "?q=+++"] {
        let (status, html) = search(&site, empty).await;
        assert_eq!(status, 200, "{empty:?}");
        assert!(html.contains("id=\"search-q\""));
        assert!(!html.contains("Nothing matches"), "{empty:?}");
        assert!(result_links(&html).is_empty());
    }
}

#[tokio::test]
async fn results_are_paged_like_the_listings() {
    let site = EmbeddedSite::start().await;
    for n in 0..23 {
        site.write_post(
            &format!("cupping-{n:02}"),
            &format!(
                "+++\ntitle = \"Note {n}\"\ndate = 2023-01-{:02}\n+++\nAbout moxibustion.\n",
                n + 1
            ),
        );
    }
    feeds(&site).rebuild().await.unwrap();
    let (_, first) = search(&site, "?q=moxibustion").await;
    assert!(first.contains("23 results for “moxibustion”"), "{first}");
    let links = result_links(&first);
    assert_eq!(links.len(), 10, "posts_per_page");
    assert_eq!(links[0], "/posts/cupping-22", "newest first on a tie");
    assert!(
        first.contains("href=\"/search?q=moxibustion&#38;page=2\""),
        "{first}"
    );
    let (_, third) = search(&site, "?q=moxibustion&page=3").await;
    assert_eq!(result_links(&third).len(), 3);
    assert!(third.contains("href=\"/search?q=moxibustion&#38;page=2\""));
    assert!(!third.contains("page=4"));
    let (status, _) = search(&site, "?q=moxibustion&page=4").await;
    assert_eq!(status, 404, "past the last page");
}

#[tokio::test]
async fn an_edit_and_a_delete_reach_the_results_and_an_unchanged_index_is_not_rewritten() {
    let (site, feeds) = indexed().await;
    let before = stored_index(&site).await.len();
    site.write_post(
        "cupping-basics",
        "+++\ntitle = \"Cupping basics\"\ndate = 2024-09-01\ntags = [\"Cupping\"]\n+++\n## Glass cups\nSuction lifts the skin.\n",
    );
    let report = event(
        &feeds,
        "s3-object-created.json",
        &["posts/cupping-basics.md"],
    )
    .await;
    assert!(
        report.written.contains(&"search/index.bin".to_owned()),
        "{report:?}"
    );
    let build = report.search.clone().unwrap();
    assert_eq!(build.documents, before + 1);
    assert_eq!(
        build.read, 5,
        "the embedded store lists no ETags: every post is read"
    );
    let (_, html) = search(&site, "?q=suction").await;
    assert_eq!(result_links(&html), ["/posts/cupping-basics"]);
    let (_, html) = search(&site, "?q=glass").await;
    assert_eq!(
        result_links(&html),
        ["/posts/cupping-basics"],
        "a heading's words"
    );

    // Edited: the new words in, the old out.
    site.write_post(
        "cupping-basics",
        "+++\ntitle = \"Cupping basics\"\ndate = 2024-09-01\n+++\nSilicone cups now.\n",
    );
    event(
        &feeds,
        "s3-object-created.json",
        &["posts/cupping-basics.md"],
    )
    .await;
    let (_, html) = search(&site, "?q=silicone").await;
    assert_eq!(result_links(&html), ["/posts/cupping-basics"]);
    let (_, html) = search(&site, "?q=suction").await;
    assert!(result_links(&html).is_empty());

    // Deleted: gone from the results.
    std::fs::remove_file(site.dir.0.join("content/posts/cupping-basics.md")).unwrap();
    let report = event(
        &feeds,
        "s3-object-removed.json",
        &["posts/cupping-basics.md"],
    )
    .await;
    assert_eq!(report.posts["cupping-basics"], "removed");
    let (_, html) = search(&site, "?q=silicone").await;
    assert!(result_links(&html).is_empty(), "{html}");
    assert_eq!(stored_index(&site).await.len(), before);

    // Nothing changed: the index is not rewritten.
    let again = event(
        &feeds,
        "s3-object-created.json",
        &["posts/what-are-muscle-knots.md"],
    )
    .await;
    assert!(
        again.unchanged.contains(&"search/index.bin".to_owned()),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_post_dated_in_the_future_is_not_found_until_its_date() {
    let site = EmbeddedSite::start().await;
    site.write_post(
        "next-century",
        "+++\ntitle = \"Next century\"\ndate = 2099-01-01\n+++\nTeleportation.\n",
    );
    feeds(&site).rebuild().await.unwrap();
    let (_, html) = search(&site, "?q=teleportation").await;
    assert!(result_links(&html).is_empty(), "{html}");
    let index = stored_index(&site).await;
    assert!(index.find("teleport").is_none(), "not even in the index");
}

#[tokio::test]
async fn before_any_index_is_stored_the_page_says_search_is_not_ready() {
    let site = EmbeddedSite::start().await;
    let (status, html) = search(&site, "?q=knots").await;
    assert_eq!(status, 200);
    assert!(html.contains("Search is not ready yet"), "{html}");
}

/// The `posts/*.md` entries of a read count.
fn post_reads(reads: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    reads
        .iter()
        .filter(|(key, _)| key.starts_with("posts/") && key.ends_with(".md"))
        .map(|(key, n)| (key.clone(), *n))
        .collect()
}

#[tokio::test]
async fn on_s3_the_feeds_index_answers_the_site_and_an_edit_re_reads_only_that_post() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, name) = moto::s3_content(&endpoint).await;
    let bucket = Bucket::new(client.clone(), name.clone());
    bucket.put_sample_settings().await;
    let dir = sample_content_dir();
    for folder in ["posts", "pages"] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let key = format!("{folder}/{}", path.file_name().unwrap().to_str().unwrap());
            bucket.put(&key, std::fs::read(&path).unwrap()).await;
        }
    }
    let (table_client, table) = moto::fresh_table(&endpoint).await;
    let index = Arc::new(DynamoPostIndex::new(table_client.clone(), table.clone()));
    reindex_all(&content, index.as_ref()).await.unwrap();
    let counted = Arc::new(CountedReads::counting(content));
    let feeds = Feeds::new(counted.clone(), index.clone()).with_options(FeedsOptions {
        base_url: Some(BASE_URL.into()),
        ..FeedsOptions::default()
    });
    let report = feeds.rebuild().await.unwrap();
    assert!(
        report.written.contains(&"search/index.bin".to_owned()),
        "{report:?}"
    );
    let first = report.search.clone().unwrap();
    assert_eq!(
        (first.read, first.reused),
        (4, 0),
        "a first build reads every post"
    );
    assert!(bucket
        .keys("search/")
        .await
        .contains(&"search/index.bin".to_owned()));

    // The site function, another instance on the same bucket and table.
    let site = Site::new(
        Arc::new(S3Content::new(client, name)),
        Arc::new(DynamoPostIndex::new(table_client.clone(), table.clone())),
        Arc::new(DynamoCommentStore::new(table_client, table)),
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: std::time::Duration::ZERO,
            ..SiteOptions::default()
        },
    );
    let search = |q: &'static str| {
        let site = &site;
        async move {
            let response = site
                .handle(&http_api("GET", &format!("/search?q={q}"), &[]))
                .await;
            assert_eq!(response.status(), 200, "{q}");
            result_links(&body_text(&response))
        }
    };
    let knots = search("knots").await;
    assert_eq!(
        knots.first().map(String::as_str),
        Some("/posts/what-are-muscle-knots"),
        "{knots:?}"
    );
    assert_eq!(search("nccaom").await, ["/about"]);
    assert!(search("moxibustion").await.is_empty());

    // The event for an unchanged post: what the feeds function reads besides search.
    let sleep = "posts/acupuncture-for-better-sleep.md";
    counted.take();
    let unchanged = report_of(&feeds, &[sleep]).await;
    assert!(
        unchanged.unchanged.contains(&"search/index.bin".to_owned()),
        "{unchanged:?}"
    );
    let baseline = post_reads(&counted.take());

    // The same event after an edit: the index reads the edited post once more, and no
    // other post at all (the rest keep their terms by ETag from the bucket's listing).
    let source = std::fs::read_to_string(dir.join(sleep)).unwrap();
    bucket
        .put(sleep, format!("{source}\nMoxibustion warms the points.\n"))
        .await;
    let edited = report_of(&feeds, &[sleep]).await;
    assert!(
        edited.written.contains(&"search/index.bin".to_owned()),
        "{edited:?}"
    );
    let build = edited.search.clone().unwrap();
    assert_eq!((build.read, build.reused), (1, 3), "{build:?}");
    let mut expected = baseline.clone();
    *expected.entry(sleep.to_owned()).or_insert(0) += 1;
    assert_eq!(
        post_reads(&counted.take()),
        expected,
        "baseline {baseline:?}"
    );
    assert_eq!(
        search("moxibustion").await,
        ["/posts/acupuncture-for-better-sleep"]
    );
}

async fn report_of(feeds: &Feeds, keys: &[&str]) -> Report {
    event(feeds, "s3-object-created.json", keys).await
}
