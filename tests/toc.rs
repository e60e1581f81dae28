//! The table of contents on an article page, through API Gateway events: shown when the
//! front matter asks or the post has `toc_headings` sections, linking to the headings.

use lambdapress_tests::fixtures::{body_text, http_api};
use lambdapress_tests::sample::EmbeddedSite;

const ARTICLE: &str = "/posts/what-are-muscle-knots";

async fn article(site: &EmbeddedSite) -> String {
    let response = site.site.handle(&http_api("GET", ARTICLE, &[])).await;
    assert_eq!(response.status(), 200);
    body_text(&response)
}

fn set_front(site: &EmbeddedSite, line: &str) {
    let path = site.dir.0.join("content/posts/what-are-muscle-knots.md");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        source.replacen(
            "comments = true\n",
            &format!("comments = true\n{line}\n"),
            1,
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn a_post_with_fewer_sections_than_the_setting_has_no_contents_until_it_asks() {
    let site = EmbeddedSite::start().await;
    let html = article(&site).await;
    assert!(!html.contains("aria-label=\"Contents\""), "3 sections < 4");
    set_front(&site, "toc = true");
    let html = article(&site).await;
    let start = html
        .find("<nav class=\"toc\" aria-label=\"Contents\">")
        .expect("a contents list");
    let end = start + html[start..].find("</nav>").unwrap();
    let toc = &html[start..end];
    for id in ["dehydration", "weight-training", "your-mattress"] {
        assert!(toc.contains(&format!("<a href=\"#{id}\">")), "{toc}");
        assert!(
            html.contains(&format!("<h2 id=\"{id}\">")),
            "the anchor {id} exists"
        );
    }
    assert!(
        start < html.find("<div class=\"post-body\">").unwrap(),
        "above the body"
    );
}

#[tokio::test]
async fn the_site_setting_turns_it_on_by_count_and_front_matter_can_refuse() {
    let site = EmbeddedSite::start().await;
    let path = site.dir.0.join("content/site.toml");
    let settings = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("toc_headings = 3\n{settings}")).unwrap();
    assert!(article(&site).await.contains("aria-label=\"Contents\""));
    set_front(&site, "toc = false");
    assert!(!article(&site).await.contains("aria-label=\"Contents\""));
}
