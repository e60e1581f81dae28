//! The site's URL space: every path a visitor can ask for, parsed into a `Route`.

use crate::domain::archive::YearMonth;
use crate::domain::Slug;
use crate::ports::{ContentKey, MediaKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/` (page 1) and `/page/<n>` (n ≥ 2).
    Home {
        page: u32,
    },
    /// `/posts/<slug>`.
    Post(Slug),
    /// `/tags/<tag>` and `/tags/<tag>/page/<n>`.
    Tag {
        tag: Slug,
        page: u32,
    },
    /// `/tags`: every tag with its number of posts.
    TagIndex,
    /// `/archive`: every month with its number of posts.
    Archive,
    /// `/archive/<yyyy>/<mm>` and `/archive/<yyyy>/<mm>/page/<n>`: one month's posts.
    Month {
        month: YearMonth,
        page: u32,
    },
    /// `/<slug>`: a page from `pages/<slug>.md` (About, Services…).
    Page(Slug),
    /// `/search` (`?q=` and `&page=` are read by the handler).
    Search,
    /// `/static/style.css`.
    Stylesheet,
    /// `/theme/site.css`: the stylesheet `[theme]` in site.toml makes.
    ThemeStylesheet,
    /// `/theme/custom.css`: the owner's own `theme/custom.css` from the bucket.
    CustomStylesheet,
    /// Generated objects served from the content bucket as they are: feeds, sitemap,
    /// robots.txt.
    Stored(ContentKey),
    /// `/media/<folders>/<name>`: an upload, served by the allow-list's type.
    Media(MediaKey),
    /// A path with one canonical spelling elsewhere (`/page/1` → `/`, trailing slash).
    Redirect(String),
    NotFound,
}

/// `/posts/<slug>`, the slug percent-encoded: every link to a post is built here.
pub fn post_path(slug: &Slug) -> String {
    format!("/posts/{}", slug.href_segment())
}

/// `/tags/<slug>`, percent-encoded.
pub fn tag_path(slug: &Slug) -> String {
    format!("/tags/{}", slug.href_segment())
}

/// `/<slug>` (a page), percent-encoded.
pub fn page_path(slug: &Slug) -> String {
    format!("/{}", slug.href_segment())
}

/// Pages beyond this are refused before any storage read.
pub const MAX_PAGE: u32 = 10_000;

const STORED_AT_ROOT: &[&str] = &[
    "feed.xml",
    "atom.xml",
    "feed.json",
    "sitemap.xml",
    "robots.txt",
];

fn page_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.starts_with('0') || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n))
}

impl Route {
    /// Parses the raw (still percent-encoded) path. Anything that is not exactly one of
    /// the site's shapes is `NotFound`: an encoded `/` or `..` never becomes a key. Each
    /// slug segment is percent-decoded on its own (`%C3%B3` and `%c3%b3` alike, or raw
    /// UTF-8 as it may arrive) and then must be a `Slug`; bytes that are not UTF-8 once
    /// decoded are `NotFound`.
    pub fn parse(path: &str) -> Route {
        // A media path may be longer: a name of up to 1024 bytes, percent-encoded.
        let limit = if path.starts_with("/media/") {
            1 + 3 * MediaKey::MAX_KEY
        } else {
            512
        };
        if path.len() > limit {
            return Route::NotFound;
        }
        if path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            return match Route::parse(if trimmed.is_empty() { "/" } else { trimmed }) {
                Route::NotFound => Route::NotFound,
                _ if trimmed.is_empty() => Route::Redirect("/".into()),
                // As it came, but a raw UTF-8 or space never goes into a `Location`.
                _ => Route::Redirect(
                    percent_encoding::utf8_percent_encode(trimmed, LOCATION_ESCAPES).to_string(),
                ),
            };
        }
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        match segments.as_slice() {
            [""] => Route::Home { page: 1 },
            ["page", "1"] => Route::Redirect("/".into()),
            ["page", n] => page_number(n).map_or(Route::NotFound, |page| Route::Home { page }),
            ["posts", slug] => Slug::from_href_segment(slug).map_or(Route::NotFound, Route::Post),
            ["posts", slug, "comments.xml"] => match Slug::from_href_segment(slug) {
                Ok(slug) => Route::Stored(ContentKey::post_comments_feed(&slug)),
                Err(_) => Route::NotFound,
            },
            ["tags", tag] => Slug::from_href_segment(tag)
                .map_or(Route::NotFound, |tag| Route::Tag { tag, page: 1 }),
            ["tags", tag, "page", "1"] => Slug::from_href_segment(tag)
                .map_or(Route::NotFound, |t| Route::Redirect(tag_path(&t))),
            ["tags", tag, "page", n] => match (Slug::from_href_segment(tag), page_number(n)) {
                (Ok(tag), Some(page)) => Route::Tag { tag, page },
                _ => Route::NotFound,
            },
            ["tags"] => Route::TagIndex,
            ["archive"] => Route::Archive,
            ["search"] => Route::Search,
            ["archive", y, m] => YearMonth::parse(y, m)
                .map_or(Route::NotFound, |month| Route::Month { month, page: 1 }),
            ["archive", y, m, "page", "1"] if YearMonth::parse(y, m).is_some() => {
                Route::Redirect(format!("/archive/{y}/{m}"))
            }
            ["archive", y, m, "page", n] => match (YearMonth::parse(y, m), page_number(n)) {
                (Some(month), Some(page)) => Route::Month { month, page },
                _ => Route::NotFound,
            },
            ["static", "style.css"] => Route::Stylesheet,
            ["theme", "site.css"] => Route::ThemeStylesheet,
            ["theme", "custom.css"] => Route::CustomStylesheet,
            ["comments", "feed.xml"] => stored("comments/feed.xml"),
            // Any depth (imported uploads keep WordPress's `media/uploads/YYYY/MM/name`).
            ["media", _, ..] => MediaKey::from_url_path(path).map_or(Route::NotFound, Route::Media),
            [name] if STORED_AT_ROOT.contains(name) => stored(name),
            [name] => match Slug::from_href_segment(name) {
                Ok(slug) if !crate::domain::Page::is_reserved(slug.as_str()) => Route::Page(slug),
                _ => Route::NotFound,
            },
            _ => Route::NotFound,
        }
    }
}

/// What a redirect to a path as it came escapes: controls, space, non-ASCII bytes and
/// the characters HTML or a header would misread (a `%` already there stays).
const LOCATION_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'\\');

fn stored(key: &str) -> Route {
    ContentKey::generated(key).map_or(Route::NotFound, Route::Stored)
}

/// A function of `template.yaml` that answers HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Function {
    Site,
    Subscribe,
    Comment,
}

impl Function {
    /// Its logical id in `template.yaml`.
    pub fn resource(self) -> &'static str {
        match self {
            Function::Site => "SiteFunction",
            Function::Subscribe => "SubscribeFunction",
            Function::Comment => "CommentFunction",
        }
    }
}

/// One HTTP API route: a method (`ANY` for every method) and a path whose `{name}`
/// segments match any one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

const fn route(method: &'static str, path: &'static str, function: Function) -> ApiRoute {
    ApiRoute {
        method,
        path,
        function,
    }
}

/// Every route of the HTTP API, declared once: `template.yaml` has exactly these events
/// (a test checks both ways) and the local runner dispatches by them. A request no route
/// matches goes to the site function (the `$default` route), which parses it with
/// `Route::parse`. To add a page, add its route here and its event to `template.yaml`.
pub const API_ROUTES: &[ApiRoute] = &[
    route("GET", "/", Function::Site),
    route("GET", "/page/{n}", Function::Site),
    route("GET", "/posts/{slug}", Function::Site),
    route("GET", "/tags/{tag}", Function::Site),
    route("GET", "/tags", Function::Site),
    route("GET", "/archive", Function::Site),
    route("GET", "/archive/{year}/{month}", Function::Site),
    route("GET", "/search", Function::Site),
    route("GET", "/static/{file}", Function::Site),
    route("GET", "/theme/{file}", Function::Site),
    route("GET", "/feed.xml", Function::Site),
    route("GET", "/atom.xml", Function::Site),
    route("GET", "/feed.json", Function::Site),
    route("GET", "/comments/feed.xml", Function::Site),
    route("GET", "/sitemap.xml", Function::Site),
    route("GET", "/robots.txt", Function::Site),
    route("ANY", "/subscribe", Function::Subscribe),
    route("ANY", "/subscribe/thanks", Function::Subscribe),
    route("ANY", "/subscribe/confirm", Function::Subscribe),
    route("ANY", "/subscribe/confirmed", Function::Subscribe),
    route("ANY", "/unsubscribe", Function::Subscribe),
    route("POST", "/posts/{slug}/comments", Function::Comment),
    route("GET", "/comments/moderate", Function::Comment),
    route("POST", "/comments/moderate", Function::Comment),
    // A page's contact form: in the comment function, which has the mailer (the site
    // function links no mail).
    route("POST", "/{page}/message", Function::Comment),
];

impl ApiRoute {
    /// Whether this route takes the request, as API Gateway matches it (no allocation).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if self.method != "ANY" && self.method != method {
            return false;
        }
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                    if g.is_empty() {
                        return false;
                    }
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

/// The function API Gateway invokes for this request: the first route that matches,
/// else the site function (`$default`).
pub fn function_for(method: &str, path: &str) -> Function {
    API_ROUTES
        .iter()
        .find(|r| r.matches(method, path))
        .map_or(Function::Site, |r| r.function)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HTTP API events of `template.yaml`: (function, method, path).
    fn template_routes() -> std::collections::BTreeSet<(String, String, String)> {
        let template = include_str!("../../../template.yaml");
        let mut routes = std::collections::BTreeSet::new();
        let (mut function, mut method) = (String::new(), None::<String>);
        for line in template.lines() {
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                if !name.starts_with(' ') {
                    function = name.to_owned();
                }
            }
            let trimmed = line.trim();
            if let Some(m) = trimmed.strip_prefix("Method: ") {
                method = Some(m.trim().to_owned());
            } else if let Some(p) = trimmed.strip_prefix("Path: ") {
                if let Some(m) = method.take() {
                    routes.insert((function.clone(), m, p.trim().to_owned()));
                }
            }
        }
        routes
    }

    #[test]
    fn every_route_is_in_template_yaml_and_back() {
        let ours: std::collections::BTreeSet<_> = API_ROUTES
            .iter()
            .map(|r| {
                (
                    r.function.resource().to_owned(),
                    r.method.to_owned(),
                    r.path.to_owned(),
                )
            })
            .collect();
        let template = template_routes();
        assert!(!template.is_empty());
        let missing: Vec<_> = ours.difference(&template).collect();
        let extra: Vec<_> = template.difference(&ours).collect();
        assert!(
            missing.is_empty(),
            "in API_ROUTES, not template.yaml: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "in template.yaml, not API_ROUTES: {extra:?}"
        );
    }

    #[test]
    fn requests_go_to_the_function_api_gateway_would_invoke() {
        assert_eq!(function_for("GET", "/posts/a"), Function::Site);
        assert_eq!(function_for("POST", "/posts/a/comments"), Function::Comment);
        assert_eq!(function_for("GET", "/posts/a/comments"), Function::Site);
        assert_eq!(function_for("POST", "/posts//comments"), Function::Site);
        assert_eq!(function_for("GET", "/comments/moderate"), Function::Comment);
        assert_eq!(function_for("DELETE", "/subscribe"), Function::Subscribe);
        assert_eq!(function_for("GET", "/subscribe/x"), Function::Site);
        assert_eq!(function_for("GET", "/anything/else"), Function::Site);
        assert_eq!(function_for("POST", "/contact/message"), Function::Comment);
        assert_eq!(function_for("GET", "/contact/message"), Function::Site);
        assert_eq!(function_for("POST", "/subscribe"), Function::Subscribe);
    }

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    #[test]
    fn site_paths_parse() {
        assert_eq!(Route::parse("/"), Route::Home { page: 1 });
        assert_eq!(Route::parse("/page/3"), Route::Home { page: 3 });
        assert_eq!(
            Route::parse("/posts/what-are-muscle-knots"),
            Route::Post(slug("what-are-muscle-knots"))
        );
        assert_eq!(
            Route::parse("/tags/acupuncture/page/2"),
            Route::Tag {
                tag: slug("acupuncture"),
                page: 2
            }
        );
        assert_eq!(Route::parse("/static/style.css"), Route::Stylesheet);
        assert_eq!(Route::parse("/theme/site.css"), Route::ThemeStylesheet);
        assert_eq!(Route::parse("/tags"), Route::TagIndex);
        assert_eq!(Route::parse("/archive"), Route::Archive);
        assert_eq!(Route::parse("/search"), Route::Search);
        assert_eq!(Route::parse("/search/"), Route::Redirect("/search".into()));
        assert_eq!(Route::parse("/search/x"), Route::NotFound);
        let march = YearMonth::parse("2024", "03").unwrap();
        assert_eq!(
            Route::parse("/archive/2024/03"),
            Route::Month {
                month: march,
                page: 1
            }
        );
        assert_eq!(
            Route::parse("/archive/2024/03/page/2"),
            Route::Month {
                month: march,
                page: 2
            }
        );
        assert_eq!(
            Route::parse("/archive/2024/03/page/1"),
            Route::Redirect("/archive/2024/03".into())
        );
        for bad in [
            "/archive/2024/3",
            "/archive/2024/13",
            "/archive/24/03",
            "/archive/2024",
        ] {
            assert_eq!(Route::parse(bad), Route::NotFound, "{bad}");
        }
        assert_eq!(Route::parse("/theme/custom.css"), Route::CustomStylesheet);
        assert_eq!(Route::parse("/theme/other.css"), Route::NotFound);
        assert_eq!(Route::parse("/about"), Route::Page(slug("about")));
        assert_eq!(Route::parse("/posts"), Route::NotFound);
        assert!(matches!(Route::parse("/feed.xml"), Route::Stored(k) if k.as_str() == "feed.xml"));
        assert!(
            matches!(Route::parse("/posts/a/comments.xml"), Route::Stored(k) if k.as_str() == "posts/a/comments.xml")
        );
    }

    #[test]
    fn media_paths_of_any_depth_and_utf8_names_are_media() {
        let media = |name: &str| Route::Media(MediaKey::parse(name).unwrap());
        assert_eq!(Route::parse("/media/a.png"), media("a.png"));
        assert_eq!(
            Route::parse("/media/uploads/2024/05/back-tension.svg"),
            media("uploads/2024/05/back-tension.svg")
        );
        assert_eq!(
            Route::parse("/media/cl%C3%ADnica/a%C3%B1o%20nuevo.jpg"),
            media("clínica/año nuevo.jpg")
        );
        assert_eq!(
            Route::parse("/media/a/b/c/d/e/f/g/h.pdf"),
            media("a/b/c/d/e/f/g/h.pdf")
        );
        let long = format!("/media/{}", "%C3%A9".repeat(127));
        assert_eq!(Route::parse(&long), media(&"é".repeat(127)));
        assert_eq!(
            Route::parse("/media/a.png/"),
            Route::Redirect("/media/a.png".into())
        );
        for bad in [
            "/media",
            "/media/a/b/c/d/e/f/g/h/i.pdf",
            "/media/a%2F..%2F..%2Fsite.toml",
            "/media/uploads/../../site.toml",
            "/media/.git/config",
            "/media/a%00.png",
            "/media/%C3.png",
            "/media//a.png",
        ] {
            assert_eq!(Route::parse(bad), Route::NotFound, "{bad}");
        }
        assert_eq!(
            Route::parse(&format!("/media/{}", "a/".repeat(600))),
            Route::NotFound
        );
    }

    #[test]
    fn utf8_slugs_are_read_percent_encoded_in_either_case_or_raw() {
        let como = slug("cómo-dormir");
        for path in [
            "/posts/c%C3%B3mo-dormir",
            "/posts/c%c3%b3mo-dormir",
            "/posts/cómo-dormir",
        ] {
            assert_eq!(Route::parse(path), Route::Post(como.clone()), "{path}");
        }
        assert_eq!(post_path(&como), "/posts/c%C3%B3mo-dormir");
        assert_eq!(tag_path(&slug("niños")), "/tags/ni%C3%B1os");
        assert_eq!(page_path(&slug("quiénes-somos")), "/qui%C3%A9nes-somos");
        assert_eq!(Route::parse(&post_path(&como)), Route::Post(como.clone()));
        assert_eq!(
            Route::parse("/tags/ni%C3%B1os/page/2"),
            Route::Tag {
                tag: slug("niños"),
                page: 2
            }
        );
        assert_eq!(
            Route::parse("/qui%C3%A9nes-somos"),
            Route::Page(slug("quiénes-somos"))
        );
        assert!(
            matches!(Route::parse("/posts/c%C3%B3mo-dormir/comments.xml"), Route::Stored(k) if k.as_str() == "posts/cómo-dormir/comments.xml")
        );
        // Redirects name the canonical, encoded path.
        assert_eq!(
            Route::parse("/tags/niños/page/1"),
            Route::Redirect("/tags/ni%C3%B1os".into())
        );
        assert_eq!(
            Route::parse("/posts/cómo-dormir/"),
            Route::Redirect("/posts/c%C3%B3mo-dormir".into())
        );
        assert_eq!(
            Route::parse("/posts/c%c3%b3mo-dormir/"),
            Route::Redirect("/posts/c%c3%b3mo-dormir".into())
        );
        for bad in [
            "/posts/%C3",
            "/posts/%FF",
            "/posts/c%C3%B3mo%2Fdormir",
            "/posts/c%C3%B3mo%2fdormir",
            "/posts/C%C3%B3mo",
            "/posts/co%CC%81mo",
            "/posts/%25",
            "/posts/a%2E%2E",
            "/tags/%E2%82/page/1",
            "/tags/%E2%82/page/2",
            "/%C3%28",
            "/posts/%C3/comments.xml",
            "/p%C3%B3sts/a",
        ] {
            assert_eq!(Route::parse(bad), Route::NotFound, "{bad}");
        }
        // The longest slug, encoded, is a route; one byte more is not.
        let longest = format!("/tags/{}/page/2", "%C3%B1".repeat(50));
        assert!(matches!(Route::parse(&longest), Route::Tag { page: 2, .. }));
        assert_eq!(
            Route::parse(&format!("/posts/{}a", "%C3%B1".repeat(50))),
            Route::NotFound
        );
    }

    #[test]
    fn canonical_spellings_redirect() {
        assert_eq!(Route::parse("/page/1"), Route::Redirect("/".into()));
        assert_eq!(
            Route::parse("/posts/a/"),
            Route::Redirect("/posts/a".into())
        );
        assert_eq!(
            Route::parse("/tags/a/page/1"),
            Route::Redirect("/tags/a".into())
        );
    }

    #[test]
    fn malicious_or_malformed_paths_are_not_found() {
        for path in [
            "/posts/..",
            "/posts/../site.toml",
            "/posts/a%2Fb",
            "/posts/a%2e%2e",
            "/posts/A",
            "/page/0",
            "/page/01",
            "/page/99999",
            "/page/-1",
            "/tags/x y",
            "/media/..",
            "/media/.env",
            "/site.toml",
            "/posts/a/b",
            "/static/other.css",
            "/posts//",
            "//evil.example/",
        ] {
            assert_eq!(Route::parse(path), Route::NotFound, "{path}");
        }
        assert_eq!(
            Route::parse(&format!("/posts/{}", "a".repeat(101))),
            Route::NotFound
        );
    }
}
