//! `lambdapress switch-check <export.xml> [--site URL] [--concurrency N]`: asks the new
//! site for every old address of the export, follows its redirects, and checks each ends
//! in 200 on the right content; then that every image of every post and page is served, and that no
//! page still links to the old site's own files or addresses.

use super::markdown::Converter;
use super::media::{get_once, http_client, HttpClient};
use super::post::decode_entities;
use super::run::plan;
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

const TIMEOUT: Duration = Duration::from_secs(20);
const MAX_PAGE: usize = 8 * 1024 * 1024;
const MAX_HOPS: usize = 5;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    /// `url`, `image` or `links`.
    pub kind: &'static str,
    pub what: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok).count()
    }

    fn count(&self, kind: &str) -> (usize, usize) {
        let of: Vec<&Check> = self.checks.iter().filter(|c| c.kind == kind).collect();
        (of.iter().filter(|c| c.ok).count(), of.len())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(
                f,
                "{} {:<6} {} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.kind,
                c.what,
                c.detail
            )?;
        }
        let (urls_ok, urls) = self.count("url");
        let (images_ok, images) = self.count("image");
        let (pages_ok, pages) = self.count("links");
        writeln!(
            f,
            "switch-check: {} — {urls_ok}/{urls} old addresses resolve, {images_ok}/{images} images served, {pages_ok}/{pages} pages free of old-site links",
            if self.failures() == 0 {
                "all passed".to_owned()
            } else {
                format!("{} FAILED", self.failures())
            }
        )
    }
}

/// How many requests `switch-check` keeps in flight unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Runs every check of the export at `export` against the site at `site`
/// (`http://127.0.0.1:3000`, or the deployed one), [`DEFAULT_CONCURRENCY`] requests at a time.
pub async fn switch_check(export: &Path, site: &str) -> anyhow::Result<Report> {
    switch_check_with(export, site, DEFAULT_CONCURRENCY).await
}

/// [`switch_check`] with at most `concurrency` requests in flight (1 to 64). The report is
/// the same whatever the number: checks keep the export's order, and each address is
/// fetched once (a page many old addresses lead to is asked for and read once).
pub async fn switch_check_with(
    export: &Path,
    site: &str,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let concurrency = concurrency.clamp(1, 64);
    let site = site.trim_end_matches('/').to_owned();
    let plan = plan(export, &Converter::new())?;
    let fetcher = Fetcher::new(http_client()?);
    let mut report = Report::default();
    // New path → title, for the content check.
    let titles: BTreeMap<String, String> = plan
        .titles
        .iter()
        .filter_map(|(id, title)| Some((plan.old_urls.path_of(id)?.to_owned(), title.clone())))
        .collect();
    let redirects = plan.redirects.entries();
    let followed: Vec<_> = stream::iter(
        redirects
            .iter()
            .map(|(old, target)| follow(&fetcher, &site, old, target, &titles)),
    )
    .buffered(concurrency)
    .collect()
    .await;
    // Pages reached, by final path: their HTML (checked once each below).
    let mut pages: BTreeMap<String, Arc<str>> = BTreeMap::new();
    for ((old, _), (ok, detail, landed)) in redirects.iter().zip(followed) {
        if let Some((path, html)) = landed {
            if titles.contains_key(&path) {
                pages.entry(path).or_insert(html);
            }
        }
        report.checks.push(Check {
            ok,
            kind: "url",
            what: (*old).to_owned(),
            detail,
        });
    }
    // Posts and pages no old address led to (e.g. a page at its own old address).
    let unreached: Vec<&String> = titles.keys().filter(|p| !pages.contains_key(*p)).collect();
    let fetched: Vec<_> = stream::iter(
        unreached
            .iter()
            .map(|path| fetcher.get(format!("{site}{path}"))),
    )
    .buffered(concurrency)
    .collect()
    .await;
    for (path, answer) in unreached.into_iter().zip(fetched) {
        if let Ok(answer) = answer.as_ref() {
            if answer.status.is_success() {
                pages.insert(path.clone(), answer.body.clone());
            }
        }
    }
    // Each page's old-site links and its images not seen on an earlier page, in page order.
    let old_hosts = plan.links.hosts().to_vec();
    let mut images_seen = BTreeSet::new();
    let mut images = Vec::new();
    let mut links = Vec::new();
    for (path, html) in &pages {
        let mut old_links = Vec::new();
        for (attr, value) in attributes(html) {
            let value = decode_entities(value);
            if refers_to_old_site(&value, &old_hosts, &plan.redirects) {
                old_links.push(value.clone());
            }
            if attr == "src" && images_seen.insert(value.clone()) {
                if let Some(url) = on_site(&value, &site, &old_hosts) {
                    images.push((links.len(), path.as_str(), value, url));
                }
            }
        }
        links.push(Check {
            ok: old_links.is_empty(),
            kind: "links",
            what: path.clone(),
            detail: if old_links.is_empty() {
                "no link to the old site".into()
            } else {
                format!("links to the old site: {}", old_links.join(" "))
            },
        });
    }
    let served: Vec<_> = stream::iter(images.iter().map(|(_, _, _, url)| {
        let fetcher = &fetcher;
        async move { get_image(&fetcher.client, url).await }
    }))
    .buffered(concurrency)
    .collect()
    .await;
    let mut images = images.into_iter().zip(served).peekable();
    for (page, check) in links.into_iter().enumerate() {
        while let Some(((_, path, value, _), answer)) = images.next_if(|((at, ..), _)| *at == page)
        {
            let (ok, detail) = match answer {
                Ok((status, _, _)) if status.is_success() => (true, format!("{status}")),
                Ok((status, _, _)) => (false, format!("{status} (on {path})")),
                Err(e) => (false, format!("{e} (on {path})")),
            };
            report.checks.push(Check {
                ok,
                kind: "image",
                what: value,
                detail,
            });
        }
        report.checks.push(check);
    }
    Ok(report)
}

/// An image as a browser gets it: one redirect followed (the deployed site answers
/// `/media/*` with a `302` to a short-lived S3 URL), then the final answer.
async fn get_image(
    client: &HttpClient,
    url: &str,
) -> Result<(http::StatusCode, Option<String>, Vec<u8>), String> {
    const MAX_IMAGE: usize = 64 * 1024 * 1024;
    match get_once(client, url, TIMEOUT, MAX_IMAGE).await? {
        (status, Some(location), _) if status.is_redirection() => {
            get_once(client, &location, TIMEOUT, MAX_IMAGE).await
        }
        answer => Ok(answer),
    }
}

/// One answer of the site: its status, where it redirects, and its body (kept for 200s).
struct Answer {
    status: http::StatusCode,
    location: Option<String>,
    body: Arc<str>,
}

type Fetched = Arc<Result<Answer, String>>;

/// Fetches site addresses through one keep-alive client, each URL once: a second ask (or
/// one while the first is in flight) gets the first answer.
struct Fetcher {
    client: HttpClient,
    answers: Mutex<HashMap<String, Arc<OnceCell<Fetched>>>>,
}

impl Fetcher {
    fn new(client: HttpClient) -> Self {
        Fetcher {
            client,
            answers: Mutex::new(HashMap::new()),
        }
    }

    async fn get(&self, url: String) -> Fetched {
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            answers.entry(url.clone()).or_default().clone()
        };
        cell.get_or_init(|| async {
            Arc::new(get_once(&self.client, &url, TIMEOUT, MAX_PAGE).await.map(
                |(status, location, body)| Answer {
                    status,
                    location,
                    body: if status.is_success() {
                        String::from_utf8_lossy(&body).into()
                    } else {
                        Arc::from("")
                    },
                },
            ))
        })
        .await
        .clone()
    }
}

/// Requests `old` on `site`, following redirects on the site; whether it ends in 200
/// where it should (with the right title for a post or page), why, and the page.
async fn follow(
    fetcher: &Fetcher,
    site: &str,
    old: &str,
    target: &str,
    titles: &BTreeMap<String, String>,
) -> (bool, String, Option<(String, Arc<str>)>) {
    let mut url = format!("{site}{old}");
    let mut hops = Vec::new();
    for _ in 0..=MAX_HOPS {
        let fetched = fetcher.get(url.clone()).await;
        let answer = match fetched.as_ref() {
            Ok(answer) => answer,
            Err(e) => return (false, e.clone(), None),
        };
        let status = answer.status;
        if status.is_redirection() {
            let Some(next) = answer.location.clone() else {
                return (false, format!("{status} without Location"), None);
            };
            if !next.starts_with(site) {
                // Off the site (an external target): fine if that is where it should go.
                let ok = next == target;
                return (ok, format!("→ {next} (leaves the site)"), None);
            }
            hops.push(status.as_u16().to_string());
            url = next;
            continue;
        }
        let path = url[site.len()..].to_owned();
        let path = if path.is_empty() { "/".into() } else { path };
        if !status.is_success() {
            return (false, format!("→ {path}: {status}"), None);
        }
        let want = lambdapress::redirects::normalize_url_path(target);
        if lambdapress::redirects::normalize_url_path(&path) != want {
            return (
                false,
                format!("→ {path}: 200, but it should end at {target}"),
                None,
            );
        }
        let html = answer.body.clone();
        if let Some(title) = titles.get(target) {
            if !decode_entities(&html).contains(title.as_str()) {
                return (
                    false,
                    format!("→ {path}: 200, but the page does not show \"{title}\""),
                    None,
                );
            }
        }
        let via = if hops.is_empty() {
            String::new()
        } else {
            format!(" ({})", hops.join(", "))
        };
        return (true, format!("→ {path}: 200{via}"), Some((path, html)));
    }
    (false, format!("more than {MAX_HOPS} redirects"), None)
}

/// `href`, `src` and `srcset` candidates of an HTML page.
fn attributes(html: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    for (needle, attr) in [
        (" href=\"", "href"),
        (" src=\"", "src"),
        (" srcset=\"", "srcset"),
    ] {
        let mut rest = html;
        while let Some(at) = rest.find(needle) {
            let tail = &rest[at + needle.len()..];
            let end = tail.find('"').unwrap_or(tail.len());
            if attr == "srcset" {
                for candidate in tail[..end].split(',') {
                    if let Some(url) = candidate.split_whitespace().next() {
                        out.push(("src", url));
                    }
                }
            } else {
                out.push((attr, &tail[..end]));
            }
            rest = &tail[end..];
        }
    }
    out
}

/// A link that still depends on the WordPress site: its files (`/wp-content/`,
/// `/wp-includes/`), or one of its old addresses, on its host or root-relative.
fn refers_to_old_site(
    url: &str,
    hosts: &[String],
    redirects: &lambdapress::redirects::Redirects,
) -> bool {
    let path = if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        let Some(host) = super::links::host_of(url) else {
            return false;
        };
        if !hosts.contains(&host) {
            return false;
        }
        let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
        match rest.find(['/', '?']) {
            Some(at) => &rest[at..],
            None => return false,
        }
    };
    let path = path.split('#').next().unwrap_or(path);
    if path.starts_with("/wp-content/") || path.starts_with("/wp-includes/") {
        return true;
    }
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    redirects.target(p, q).is_some() && p != "/"
}

/// The URL to fetch an image from: site-relative and old-host paths on `site`; other
/// hosts as they are; `data:` and the like not at all.
fn on_site(src: &str, site: &str, hosts: &[String]) -> Option<String> {
    if src.starts_with('/') && !src.starts_with("//") {
        return Some(format!("{site}{src}"));
    }
    let host = super::links::host_of(src)?;
    if hosts.contains(&host) {
        let rest = src.split_once("://")?.1;
        return Some(format!("{site}{}", &rest[rest.find('/')?..]));
    }
    Some(src.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server answering `/media/a.png` with a 302 to `/signed/a.png?sig=1`, that with
    /// 200, `/media/loop.png` with a 302 to itself, and anything else with 404.
    async fn server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]);
                    let path = request.split(' ').nth(1).unwrap_or("").to_owned();
                    let answer = match path.as_str() {
                        "/media/a.png" => "HTTP/1.1 302 Found\r\nLocation: /signed/a.png?sig=1\r\ncontent-length: 0\r\n\r\n".to_owned(),
                        "/signed/a.png?sig=1" => "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nPNG".to_owned(),
                        "/media/loop.png" => "HTTP/1.1 302 Found\r\nLocation: /media/loop.png\r\ncontent-length: 0\r\n\r\n".to_owned(),
                        _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned(),
                    };
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        base
    }

    #[tokio::test]
    async fn an_image_behind_one_redirect_is_served() {
        let base = server().await;
        let client = http_client().unwrap();
        let (status, _, body) = get_image(&client, &format!("{base}/media/a.png"))
            .await
            .unwrap();
        assert_eq!((status.as_u16(), body.as_slice()), (200, &b"PNG"[..]));
        // Only one hop: a redirect that leads to another is not an image.
        let (status, ..) = get_image(&client, &format!("{base}/media/loop.png"))
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 302);
        let (status, ..) = get_image(&client, &format!("{base}/media/gone.png"))
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 404);
    }
}
