//! Pages (`pages/<slug>.md` at `/<slug>`) and the `[[menu]]` header, through real API
//! Gateway events over the sample content on the embedded adapters.

use lambdapress::http::Body;
use lambdapress_tests::fixtures::{body_text, header, http_api};
use lambdapress_tests::sample::EmbeddedSite;

async fn get(site: &EmbeddedSite, path: &str) -> lambdapress::http::Response<Body> {
    site.site.handle(&http_api("GET", path, &[])).await
}

fn write_page(site: &EmbeddedSite, slug: &str, source: &str) {
    let dir = site.dir.0.join("content/pages");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{slug}.md")), source).unwrap();
}

#[tokio::test]
async fn a_page_is_served_at_its_slug_without_date_comments_or_subscribe_box() {
    let site = EmbeddedSite::start().await;
    let response = get(&site, "/about").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = body_text(&response);
    for part in [
        "<title>About Cindy – Cindy Albon Acupuncture</title>",
        "<h1>About Cindy</h1>",
        r#"<h2 id="how-she-works">How she works</h2>"#,
        r#"<link rel="canonical" href="https://clinic.example/about">"#,
        r#"<meta name="description" content="Cindy Albon is a licensed acupuncturist"#,
    ] {
        assert!(html.contains(part), "the page lacks {part:?}");
    }
    for absent in [
        "<time",
        "min read",
        r#"id="comments""#,
        "subscribe-form",
        "comment-form",
    ] {
        assert!(!html.contains(absent), "a page shows {absent:?}");
    }
    assert!(header(&response, "etag").is_some());
}

#[tokio::test]
async fn every_page_has_the_menu_with_the_current_page_marked() {
    let site = EmbeddedSite::start().await;
    for path in [
        "/",
        "/posts/what-are-muscle-knots",
        "/services",
        "/tags/acupuncture",
    ] {
        let response = get(&site, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = body_text(&response);
        assert!(
            html.contains(r#"<nav class="site-menu wrap" aria-label="Main">"#),
            "{path} has no menu"
        );
        for link in [
            r#"<a href="/about""#,
            r#"<a href="/services""#,
            r#"<a href="/contact""#,
            r#"<a href="/privacy""#,
        ] {
            assert_eq!(
                html.matches(link).count(),
                2,
                "{path}: {link} (wide + narrow)"
            );
        }
        assert!(html.contains("<details class=\"menu-narrow\">\n      <summary>Menu</summary>"));
    }
    let html = body_text(&get(&site, "/services").await);
    assert_eq!(
        html.matches(r#"<a href="/services" aria-current="page">Services</a>"#)
            .count(),
        2
    );
    assert!(!html.contains(r#"<a href="/about" aria-current"#));
}

#[tokio::test]
async fn a_sub_menu_is_a_nested_list_under_its_entry_in_both_menus() {
    let site = EmbeddedSite::start().await;
    let path = site.dir.0.join("content/site.toml");
    let settings = std::fs::read_to_string(&path).unwrap();
    let services = "label = \"Services\"\npage = \"services\"\n";
    let nested = format!(
        "{services}\n[[menu.children]]\nlabel = \"Fees & <times>\"\npage = \"contact\"\n\n[[menu.children]]\nlabel = \"Book\"\nurl = \"https://book.example/x\"\n"
    );
    std::fs::write(&path, settings.replace(services, &nested)).unwrap();

    let html = body_text(&get(&site, "/contact").await);
    let submenu = r#"<a href="/services">Services</a>
<ul class="submenu" aria-label="Services">
  <li><a href="/contact" aria-current="page">Fees &#38; &#60;times&#62;</a></li>
  <li><a href="https://book.example/x">Book</a></li>
</ul></li>"#;
    assert_eq!(html.matches(submenu).count(), 2, "wide + narrow:\n{html}");
    // Entries without children get no empty list.
    assert_eq!(html.matches("class=\"submenu\"").count(), 2);
    // The top-level Contact entry is marked too (the same page).
    assert_eq!(
        html.matches(r#"<a href="/contact" aria-current="page">Contact</a>"#)
            .count(),
        2
    );

    // A second level is refused by the settings parser (`check` says where).
    let deeper =
        format!("{nested}\n[[menu.children.children]]\nlabel = \"Deep\"\npage = \"about\"\n");
    let e =
        lambdapress::domain::SiteSettings::parse(&settings.replace(services, &deeper)).unwrap_err();
    assert!(e.to_string().contains("one level"), "{e}");
}

#[tokio::test]
async fn a_page_may_keep_the_subscribe_box_and_drafts_are_hidden() {
    let site = EmbeddedSite::start().await;
    write_page(
        &site,
        "newsletter",
        "+++\ntitle = \"Newsletter\"\nsubscribe = true\n+++\nMonthly notes.\n",
    );
    let html = body_text(&get(&site, "/newsletter").await);
    assert!(
        html.contains("subscribe-form"),
        "subscribe = true keeps the box"
    );

    write_page(
        &site,
        "soon",
        "+++\ntitle = \"Soon\"\ndraft = true\n+++\nx\n",
    );
    assert_eq!(get(&site, "/soon").await.status(), 404);
}

#[tokio::test]
async fn missing_broken_and_reserved_pages_are_not_found() {
    let site = EmbeddedSite::start().await;
    assert_eq!(get(&site, "/no-such-page").await.status(), 404);
    write_page(&site, "broken", "no front matter\n");
    assert_eq!(get(&site, "/broken").await.status(), 404);
    // A reserved name never reaches the page store, even if the file exists.
    write_page(&site, "archive", "+++\ntitle = \"Shadow\"\n+++\nx\n");
    let response = get(&site, "/archive").await;
    assert_eq!(response.status(), 404);
    assert!(!body_text(&response).contains("Shadow"));
    for path in ["/About", "/a%2Fb", "/..", "/site", "/posts"] {
        assert_eq!(get(&site, path).await.status(), 404, "{path}");
    }
    assert_eq!(get(&site, "/about/").await.status(), 301);
}

#[tokio::test]
async fn the_sample_pages_and_menu_pass_check_parsing() {
    use lambdapress::domain::{Page, SiteSettings, Slug};
    use lambdapress::ports::{ContentKey, ContentStore, Fetched};
    let site = EmbeddedSite::start().await;
    let slugs = site.content.list_page_slugs().await.unwrap();
    let names: Vec<&str> = slugs.iter().map(Slug::as_str).collect();
    assert_eq!(names, ["about", "contact", "privacy", "services"]);
    for slug in &slugs {
        let Fetched::Found(o) = site
            .content
            .get(&ContentKey::page(slug), None)
            .await
            .unwrap()
        else {
            panic!("{slug} listed but not readable");
        };
        let page = Page::parse(slug.clone(), &String::from_utf8_lossy(&o.bytes)).unwrap();
        assert!(page.menu.is_some());
    }
    let Fetched::Found(o) = site
        .content
        .get(&ContentKey::site_settings(), None)
        .await
        .unwrap()
    else {
        panic!("no site.toml");
    };
    let settings = SiteSettings::parse(&String::from_utf8_lossy(&o.bytes)).unwrap();
    let labels: Vec<&str> = settings.menu.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["Home", "About", "Services", "Contact", "Privacy"]);
}

#[tokio::test]
async fn an_edited_page_is_served_fresh_after_the_cached_view() {
    let site = EmbeddedSite::start().await;
    let first = body_text(&get(&site, "/privacy").await);
    assert!(first.contains("<h1>Privacy policy</h1>"));
    write_page(
        &site,
        "privacy",
        "+++\ntitle = \"Privacy, revised\"\n+++\nNew text.\n",
    );
    let second = body_text(&get(&site, "/privacy").await);
    assert!(
        second.contains("<h1>Privacy, revised</h1>"),
        "the cached view outlived the edit"
    );
    std::fs::remove_file(site.dir.0.join("content/pages/privacy.md")).unwrap();
    assert_eq!(get(&site, "/privacy").await.status(), 404);
}
