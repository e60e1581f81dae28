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
        let page = body_text(&response);
        let start = page
            .find(r#"<nav class="site-menu wrap" aria-label="Main">"#)
            .unwrap_or_else(|| panic!("{path} has no menu"));
        // The menu's own links (the footer and the booking button link pages too).
        let html = &page[start..start + page[start..].find("</nav>").unwrap()];
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
    assert_eq!(response.status(), 200, "/archive is the site's own route");
    assert!(!body_text(&response).contains("Shadow"));
    write_page(&site, "sitemap", "+++\ntitle = \"Shadow\"\n+++\nx\n");
    let response = get(&site, "/sitemap").await;
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

/// Replaces the sample's `[theme]` and `[business]` (everything from the theme's comment
/// on) with `extra`.
fn settings_with(site: &EmbeddedSite, extra: &str) {
    let path = site.dir.0.join("content/site.toml");
    let settings = std::fs::read_to_string(&path).unwrap();
    let base = settings
        .split("\n# The clinic's look")
        .next()
        .unwrap()
        .trim_end();
    // The marker stays, so the next call replaces this section again.
    std::fs::write(
        &path,
        format!("{base}\n\n# The clinic's look (test)\n{extra}\n"),
    )
    .unwrap();
}

fn set_theme(site: &EmbeddedSite, theme: &str) {
    settings_with(site, &format!("[theme]\n{theme}"));
}

#[tokio::test]
async fn the_sample_theme_shows_its_logo_favicon_footer_and_hashed_stylesheet() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, "/about").await);
    for part in [
        r#"<img class="site-logo" src="/media/clinic-logo.svg" alt="Cindy Albon Acupuncture logo"> Cindy Albon Acupuncture</a>"#,
        r#"<link rel="icon" href="/media/clinic-logo.svg">"#,
        r#"<div class="footer-text"><p>© Cindy Albon Acupuncture · <a href="/privacy">Privacy policy</a>"#,
    ] {
        assert!(html.contains(part), "the themed page lacks {part:?}");
    }
    let start = html
        .find(r#"<link rel="stylesheet" href="/theme/site.css?v="#)
        .expect("theme stylesheet linked")
        + r#"<link rel="stylesheet" href=""#.len();
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let css = get(&site, href).await;
    assert_eq!(css.status(), 200);
    assert_eq!(
        header(&css, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        header(&css, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let text = body_text(&css);
    for var in ["--accent: #2e6b5e;", "--paper: #fbfaf7;", "--ink: #1d2b28;"] {
        assert!(text.contains(var), "{var} missing from {text}");
    }
    // Any other version (an instance ahead or behind) is never cached for a year.
    let other = get(&site, "/theme/site.css?v=000000000000").await;
    assert_eq!(other.status(), 200);
    assert_ne!(
        header(&other, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    // The theme's colours change: so does the stylesheet's URL.
    set_theme(&site, "accent = \"#0b5394\"\nbackground = \"#ffffff\"");
    let html = body_text(&get(&site, "/about").await);
    assert!(
        !html.contains(href),
        "the old stylesheet URL outlived the change"
    );
    assert!(!html.contains("site-logo") && !html.contains("rel=\"icon\""));
    assert!(!html.contains("footer-text"));

    // A theme that styles nothing links no stylesheet, and its URL is not found.
    set_theme(&site, "");
    let html = body_text(&get(&site, "/about").await);
    assert!(!html.contains("/theme/site.css"), "{html}");
    assert_eq!(get(&site, "/theme/site.css").await.status(), 404);
}

#[tokio::test]
async fn share_cards_use_the_default_image_and_large_cards_when_there_is_one() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, "/services").await);
    assert!(html.contains(
        r#"<meta property="og:image" content="https://clinic.example/media/clinic-share.png">"#
    ));
    assert!(html.contains(r#"<meta name="twitter:card" content="summary_large_image">"#));
    // A post's own lead image wins over the default.
    let html = body_text(&get(&site, "/posts/what-are-muscle-knots").await);
    assert!(html.contains(
        r#"<meta property="og:image" content="https://clinic.example/media/back-tension.svg">"#
    ));
    set_theme(&site, "");
    let html = body_text(&get(&site, "/services").await);
    assert!(!html.contains("og:image"), "{html}");
    assert!(html.contains(r#"<meta name="twitter:card" content="summary">"#));
}

#[tokio::test]
async fn the_footer_text_is_sanitized_markdown() {
    let site = EmbeddedSite::start().await;
    set_theme(
        &site,
        "footer = \"Call *us* <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\"",
    );
    let html = body_text(&get(&site, "/about").await);
    let start = html
        .find(r#"<div class="footer-text">"#)
        .expect("footer text");
    let footer = &html[start..start + html[start..].find("</div>").unwrap()];
    assert!(footer.contains("<em>us</em>"), "{footer}");
    assert!(footer.contains("&lt;script&gt;"), "{footer}");
    for bad in ["<script", "<img", "href=\"javascript"] {
        assert!(!footer.contains(bad), "{bad} in {footer}");
    }
}

#[tokio::test]
async fn a_theme_below_wcag_aa_is_refused_with_the_setting_and_its_ratio() {
    use lambdapress::domain::SiteSettings;
    let site = EmbeddedSite::start().await;
    set_theme(&site, "accent = \"#7fb3b5\"\nbackground = \"#fdfcf9\"");
    let source = std::fs::read_to_string(site.dir.0.join("content/site.toml")).unwrap();
    let e = SiteSettings::parse(&source).unwrap_err().to_string();
    assert!(
        e.contains("theme.accent: `#7fb3b5` on theme.background `#fdfcf9` has a contrast of 2.26:1; WCAG AA needs at least 4.5:1"),
        "{e}"
    );
    // At load: the site does not serve pages in colours nobody checked.
    let response = get(&site, "/about").await;
    assert_eq!(response.status(), 503);
    assert!(!body_text(&response).contains("#7fb3b5"));
    for (theme, field) in [
        ("background = \"#fff\"\ntext = \"#aaa\"", "theme.text"),
        ("accent = \"teal\"", "theme.accent"),
        (
            "[theme.logo]\nsrc = \"/media/logo.html\"\nalt = \"x\"",
            "theme.logo.src",
        ),
        ("favicon = \"https://evil.example/x.ico\"", "theme.favicon"),
        ("font = \"papyrus\"", "font"),
    ] {
        set_theme(&site, theme);
        let source = std::fs::read_to_string(site.dir.0.join("content/site.toml")).unwrap();
        let e = SiteSettings::parse(&source).unwrap_err().to_string();
        assert!(e.contains(field), "{theme}: {e}");
    }
}

#[tokio::test]
async fn opening_hours_show_in_the_footer_the_contact_page_and_json_ld() {
    let site = EmbeddedSite::start().await;
    let html = body_text(&get(&site, "/services").await);
    assert!(html.contains(
        "<p class=\"hours\">Opening hours: Monday – Friday 9:00 – 18:00 · Saturday 10:00 – 14:00</p>"
    ), "{html}");
    assert!(html
        .contains(r#"<p class="booking"><a class="button" href="/contact">Book a visit</a></p>"#));
    assert!(
        !html.contains("business-card"),
        "only pages that ask show the card"
    );

    let html = body_text(&get(&site, "/contact").await);
    for part in [
        r#"<section class="business-card" aria-labelledby="business-heading">"#,
        r#"<tr><th scope="row">Monday – Friday</th><td>9:00 – 18:00</td></tr>"#,
        r#"<tr><th scope="row">Saturday</th><td>10:00 – 14:00</td></tr>"#,
        r#"<a href="https://www.openstreetmap.org/search?query=2016%20Hillhurst%20Ave%2C%20Los%20Angeles" rel="noopener">Open in a map</a>"#,
    ] {
        assert!(html.contains(part), "the contact page lacks {part:?}");
    }
    let start = html.find(r#"<script type="application/ld+json">"#).unwrap() + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let business = ld["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@id"] == "https://clinic.example/#business")
        .unwrap()
        .clone();
    assert_eq!(business["@type"], "MedicalClinic");
    assert_eq!(
        business["openingHoursSpecification"][0],
        serde_json::json!({
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": ["https://schema.org/Monday", "https://schema.org/Tuesday",
                          "https://schema.org/Wednesday", "https://schema.org/Thursday",
                          "https://schema.org/Friday"],
            "opens": "09:00",
            "closes": "18:00"
        })
    );
    assert_eq!(
        business["openingHoursSpecification"][1]["dayOfWeek"][0],
        "https://schema.org/Saturday"
    );
    assert!(business["hasMap"]
        .as_str()
        .unwrap()
        .starts_with("https://www.openstreetmap.org/"));

    // Bad business settings are refused whole: the site does not guess.
    settings_with(&site, "[business]\ntype = \"Spaceport\"");
    assert_eq!(get(&site, "/contact").await.status(), 503);
    settings_with(&site, "[business]\nbooking_url = \"javascript:alert(1)\"");
    assert_eq!(get(&site, "/contact").await.status(), 503);
}

fn notice_ending_in(seconds: i64) -> String {
    let ends = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
    let ends = ends
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!("[business.notice]\ntext = \"Closed for the holidays <b>\"\nends = {ends}")
}

#[tokio::test]
async fn the_notice_shows_until_its_end_and_its_end_bounds_http_caching() {
    let site = EmbeddedSite::start().await;
    settings_with(&site, &notice_ending_in(2 * 3600));
    let response = get(&site, "/about").await;
    let html = body_text(&response);
    assert!(html.contains(
        r#"<aside class="notice" aria-label="Notice"><p class="wrap">Closed for the holidays &#60;b&#62;</p></aside>"#
    ), "{html}");
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=60, stale-while-revalidate=600")
    );
    // Ending within a cache's freshness: every use revalidates, so nobody keeps it past
    // the end.
    settings_with(&site, &notice_ending_in(5 * 60));
    let response = get(&site, "/posts/what-are-muscle-knots").await;
    assert!(body_text(&response).contains("class=\"notice\""));
    assert_eq!(header(&response, "cache-control"), Some("public, no-cache"));
    let listing = get(&site, "/").await;
    assert_eq!(header(&listing, "cache-control"), Some("public, no-cache"));
    // Ended: gone.
    settings_with(&site, &notice_ending_in(-1));
    let response = get(&site, "/about").await;
    assert!(!body_text(&response).contains("class=\"notice\""));
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=60, stale-while-revalidate=600")
    );
}

#[tokio::test]
async fn a_view_cached_while_the_notice_showed_is_not_served_after_its_end() {
    use lambdapress::site::{Site, SiteOptions};
    let site = EmbeddedSite::start().await;
    settings_with(&site, &notice_ending_in(2));
    // A warm instance that trusts its views for a minute.
    let warm = Site::new(
        site.content.clone(),
        site.index.clone(),
        site.comments.clone(),
        SiteOptions {
            base_url: Some("https://clinic.example".into()),
            view_ttl: std::time::Duration::from_secs(60),
            ..SiteOptions::default()
        },
    );
    let first = warm.handle(&http_api("GET", "/about", &[])).await;
    assert!(body_text(&first).contains("class=\"notice\""));
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let after = warm.handle(&http_api("GET", "/about", &[])).await;
    assert_eq!(after.status(), 200);
    assert!(
        !body_text(&after).contains("class=\"notice\""),
        "the view cache served the notice after its end"
    );
}

#[tokio::test]
async fn tags_and_the_monthly_archive_list_what_is_published_with_counts() {
    let site = EmbeddedSite::start().await;
    // Before the feeds function has run: empty, not an error.
    let html = body_text(&get(&site, "/tags").await);
    assert!(html.contains("No posts yet."), "{html}");
    let feeds = lambdapress::feeds::Feeds::new(site.content.clone(), site.index.clone());
    feeds.regenerate().await.unwrap();

    let response = get(&site, "/tags").await;
    assert_eq!(response.status(), 200);
    let html = body_text(&response);
    for item in [
        r#"<li><a href="/tags/acupuncture" rel="tag">Acupuncture</a> <span class="count">(4 posts)</span></li>"#,
        r#"<li><a href="/tags/first-visit" rel="tag">First Visit</a> <span class="count">(1 post)</span></li>"#,
        r#"<li><a href="/tags/muscle-pain" rel="tag">Muscle Pain</a> <span class="count">(2 posts)</span></li>"#,
    ] {
        assert!(html.contains(item), "/tags lacks {item}");
    }
    assert!(!html.contains("Clinic News"), "a draft's tag is listed");
    let a = html.find("Acupuncture</a>").unwrap();
    let w = html.find("Wellness</a>").unwrap();
    assert!(a < w, "tags are in alphabetical order");

    let html = body_text(&get(&site, "/archive").await);
    let months: Vec<&str> = ["August 2024", "May 2024", "March 2024", "January 2024"]
        .into_iter()
        .collect();
    let mut at = 0;
    for month in months {
        let found = html[at..]
            .find(&format!(">{month}</a>"))
            .unwrap_or_else(|| panic!("{month} missing or out of order"));
        at += found;
    }
    assert!(html.contains(
        r#"<a href="/archive/2024/03">March 2024</a> <span class="count">(1 post)</span>"#
    ));
    assert!(
        !html.contains("December 2024"),
        "the draft's month is listed"
    );

    let response = get(&site, "/archive/2024/03").await;
    assert_eq!(response.status(), 200);
    let html = body_text(&response);
    assert!(
        html.contains("<h1 class=\"list-heading\">Posts from March 2024</h1>"),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/posts/what-are-muscle-knots">"#));
    assert_eq!(html.matches("class=\"post-card\"").count(), 1);
    assert!(
        html.contains(r#"<link rel="canonical" href="https://clinic.example/archive/2024/03">"#)
    );
    // A month without posts, a malformed month, a page past the end: not found.
    for path in [
        "/archive/2024/02",
        "/archive/2024/3",
        "/archive/2024/13",
        "/archive/2024/03/page/2",
    ] {
        assert_eq!(get(&site, path).await.status(), 404, "{path}");
    }
    assert_eq!(get(&site, "/archive/2024/03/page/1").await.status(), 301);
}
