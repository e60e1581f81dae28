//! Links to the old site rewritten to the new one: uploads (size variants included) to
//! their copy under `/media/uploads/`, posts, pages and archives to where the redirects
//! send them; any other link is left exactly as it is.

use lambdapress::ports::MediaKey;
use lambdapress::redirects::Redirects;
use std::collections::BTreeMap;
use std::sync::Mutex;

const UPLOADS: &str = "/wp-content/uploads/";

/// The media key of an upload's path under `wp-content/uploads/`: the same folders and
/// file name below `media/uploads/`, each segment percent-decoded (WordPress writes UTF-8
/// names encoded, `a%C3%B1o%20nuevo.jpg`) and kept as it is, spaces and accents included,
/// so `/media/uploads/2024/05/a%C3%B1o%20nuevo.jpg` serves the old URL's image. `None` for
/// a name `MediaKey` refuses (hidden, `..`, an encoded `/`, control characters, too long).
pub fn media_key(upload: &str) -> Option<MediaKey> {
    let mut name = String::from("uploads");
    for seg in upload.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        if decoded.contains('/') {
            return None;
        }
        name.push('/');
        name.push_str(&decoded);
    }
    if name == "uploads" {
        return None;
    }
    MediaKey::parse(&name)
}

/// `2024/03/back-tension-300x200.jpg` → `2024/03/back-tension.jpg`, if it has a size.
pub fn without_size(upload: &str) -> Option<String> {
    let (dir_stem, ext) = upload.rsplit_once('.')?;
    let (base, size) = dir_stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(w) && digits(h) && !base.is_empty()).then(|| format!("{base}.{ext}"))
}

/// One file to copy: where it is on the old site, its path under `uploads/`, and its
/// media key (`media/uploads/YYYY/MM/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub url: String,
    pub upload: String,
    pub key: MediaKey,
}

/// Rewrites links found in posts, pages, comments and menus.
#[derive(Debug, Default)]
pub struct Links {
    /// The old site's hosts (`example.com`, `www.example.com`), lowercase.
    hosts: Vec<String>,
    /// Where each old path now lives (the import's redirects).
    redirects: Redirects,
    /// Original uploads by path under `uploads/` (attachments, and originals found by
    /// their size variants in content).
    media: Mutex<BTreeMap<String, MediaFile>>,
    /// Origin the old uploads are fetched from (`https://example.com`).
    origin: String,
    /// New post and page paths: an old link whose path is one of them (a page kept at
    /// `/about/`) goes there.
    live: std::collections::HashSet<String>,
}

impl Links {
    /// `site` is the export's `base_site_url` (or `<link>`); `attachments` their URLs.
    pub fn new<'a>(
        site: &'a str,
        extra_hosts: impl IntoIterator<Item = &'a str>,
        redirects: Redirects,
    ) -> Links {
        let mut hosts = Vec::new();
        for url in std::iter::once(site).chain(extra_hosts) {
            if let Some(host) = host_of(url) {
                let bare = host.strip_prefix("www.").unwrap_or(&host).to_owned();
                for h in [bare.clone(), format!("www.{bare}")] {
                    if !hosts.contains(&h) {
                        hosts.push(h);
                    }
                }
            }
        }
        Links {
            hosts,
            redirects,
            media: Mutex::new(BTreeMap::new()),
            origin: site.trim().trim_end_matches('/').to_owned(),
            live: Default::default(),
        }
    }

    /// Adds the new site's post and page paths (normalized).
    pub fn with_live_paths<'a>(mut self, paths: impl IntoIterator<Item = &'a str>) -> Links {
        self.live.extend(
            paths
                .into_iter()
                .map(lambdapress::redirects::normalize_url_path),
        );
        self
    }

    /// The old site's hosts.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Records an attachment's original (its `wp:attachment_url`, on the site's host or
    /// a CDN's): its new path.
    pub fn attachment(&self, url: &str) -> Option<String> {
        let url = url.trim();
        let path = url.split(['?', '#']).next()?;
        let upload = &path[path.find(UPLOADS)? + UPLOADS.len()..];
        self.media_for(upload, Some(url))
    }

    fn media_for(&self, upload: &str, url: Option<&str>) -> Option<String> {
        let key = media_key(upload)?;
        let mut media = self.media.lock().unwrap_or_else(|p| p.into_inner());
        let entry = media.entry(upload.to_owned()).or_insert_with(|| MediaFile {
            url: url
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}{UPLOADS}{upload}", self.origin)),
            upload: upload.to_owned(),
            key,
        });
        Some(entry.key.href())
    }

    /// Every upload to copy, sorted by path.
    pub fn media(&self) -> Vec<MediaFile> {
        let media = self.media.lock().unwrap_or_else(|p| p.into_inner());
        media.values().cloned().collect()
    }

    /// `Some(host-less path)` when `url` points at the old site (absolute, scheme-less
    /// `//host/…`, or a root-relative upload).
    fn split_old<'u>(&self, url: &'u str) -> Option<(&'u str, &'u str)> {
        if url.starts_with('/') && !url.starts_with("//") {
            return Some(("", url));
        }
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("//"))?;
        let at = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let host = rest[..at].to_ascii_lowercase();
        if !self.hosts.contains(&host) {
            return None;
        }
        let path = &rest[at..];
        Some((
            &url[..url.len() - path.len()],
            if path.is_empty() { "/" } else { path },
        ))
    }

    /// The new address of one link, or `None` to leave it as it is.
    pub fn new_url(&self, url: &str) -> Option<String> {
        let raw = url.trim();
        let (origin, path) = self.split_old(raw)?;
        let (path_query, fragment) = match path.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (path, None),
        };
        let path_query = path_query.replace("&amp;", "&");
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_query.as_str(), None),
        };
        let new = if let Some(upload) = path.strip_prefix(UPLOADS) {
            let known = {
                let media = self.media.lock().unwrap_or_else(|p| p.into_inner());
                media.contains_key(upload)
            };
            match without_size(upload) {
                Some(original) if !known => self.media_for(&original, None)?,
                _ => self.media_for(upload, None)?,
            }
        } else if let Some(to) = self.redirects.target(path, query) {
            to.to_owned()
        } else if query.is_none()
            && self
                .live
                .contains(&lambdapress::redirects::normalize(path, None))
        {
            lambdapress::redirects::normalize(path, None)
        } else if origin.is_empty() {
            return None; // A root-relative link no redirect knows: already on this site.
        } else if path == "/" && query.is_none() {
            "/".to_owned()
        } else {
            return None;
        };
        Some(match fragment {
            Some(f) if !new.contains('#') => format!("{new}#{f}"),
            _ => new,
        })
    }

    /// Whether `url` still points at the old host.
    pub fn is_old_host(&self, url: &str) -> bool {
        matches!(self.split_old(url.trim()), Some((origin, _)) if !origin.is_empty())
    }

    /// `href`, `src` and `srcset` values of HTML rewritten; the rest byte for byte.
    pub fn rewrite_html(&self, html: &str) -> String {
        self.rewrite(html, false)
    }

    /// The same, new addresses made absolute on the site's own origin (comments keep
    /// only absolute links; after the switch the origin is the new site's).
    pub fn rewrite_html_absolute(&self, html: &str) -> String {
        self.rewrite(html, true)
    }

    fn rewrite(&self, html: &str, absolute: bool) -> String {
        if !html.contains("href") && !html.contains("src") {
            return html.to_owned();
        }
        let mut out = String::with_capacity(html.len());
        let bytes = html.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let Some(name) = attribute_at(bytes, i) else {
                i += 1;
                continue;
            };
            let mut j = i + name.len();
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] != b'=' {
                i += 1;
                continue;
            }
            j += 1;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let Some(&quote) = bytes.get(j).filter(|q| **q == b'"' || **q == b'\'') else {
                i += 1;
                continue;
            };
            let start = j + 1;
            let Some(len) = html[start..].find(quote as char) else {
                break;
            };
            let value = &html[start..start + len];
            let rewritten = if name == "srcset" {
                self.rewrite_srcset(value)
            } else {
                self.new_url(value)
            };
            if let Some(mut new) = rewritten {
                if absolute && new.starts_with('/') && !self.origin.is_empty() {
                    new = format!("{}{new}", self.origin);
                }
                out.push_str(&html[copied..start]);
                out.push_str(&new.replace('&', "&amp;"));
                copied = start + len;
            }
            i = start + len + 1;
        }
        out.push_str(&html[copied..]);
        out
    }

    fn rewrite_srcset(&self, value: &str) -> Option<String> {
        let mut changed = false;
        let candidates: Vec<String> = value
            .split(',')
            .map(|candidate| {
                let candidate = candidate.trim();
                let (url, descriptor) = candidate.split_once(' ').unwrap_or((candidate, ""));
                match self.new_url(url) {
                    Some(new) => {
                        changed = true;
                        format!("{new} {}", descriptor.trim()).trim_end().to_owned()
                    }
                    None => candidate.to_owned(),
                }
            })
            .collect();
        changed.then(|| candidates.join(", "))
    }

    /// Links in Markdown (`](url)` and `<url>`) still pointing at the old host.
    pub fn old_host_links(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for host in &self.hosts {
            for scheme in ["https://", "http://"] {
                let needle = format!("{scheme}{host}");
                let mut rest = text;
                while let Some(at) = rest.find(&needle) {
                    let tail = &rest[at..];
                    let end = tail
                        .find(|c: char| {
                            c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ']')
                        })
                        .unwrap_or(tail.len());
                    let link = &tail[..end];
                    let boundary = link[needle.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| matches!(c, '/' | '?' | '#' | ':'));
                    if boundary && !found.iter().any(|f| f == link) {
                        found.push(link.to_owned());
                    }
                    rest = &tail[end.max(1)..];
                }
            }
        }
        // Sorted, so a report reads the same whatever order the hosts were given in.
        found.sort();
        found
    }
}

/// `href`, `src` or `srcset` starting at `i`, after a space or tag boundary.
fn attribute_at(bytes: &[u8], i: usize) -> Option<&'static str> {
    if i == 0 || !matches!(bytes[i - 1], b' ' | b'\n' | b'\t' | b'\r' | b'"' | b'\'') {
        return None;
    }
    for name in ["srcset", "href", "src"] {
        let end = i + name.len();
        if end <= bytes.len() && bytes[i..end].eq_ignore_ascii_case(name.as_bytes()) {
            return Some(name);
        }
    }
    None
}

/// The lowercase host of an absolute URL.
pub fn host_of(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        let mut r = Redirects::new();
        r.insert("/2024/03/knots/", "/posts/knots").unwrap();
        r.insert("/about/", "/about-us").unwrap();
        r.insert("/?p=4", "/posts/knots").unwrap();
        r.insert("/category/massage/", "/tags/massage").unwrap();
        let l = Links::new("https://clinic.example", [], r);
        l.attachment("https://clinic.example/wp-content/uploads/2024/03/back.jpg");
        l
    }

    #[test]
    fn uploads_and_size_variants_go_to_the_original_copy() {
        let l = links();
        assert_eq!(
            l.new_url("https://clinic.example/wp-content/uploads/2024/03/back-300x200.jpg")
                .as_deref(),
            Some("/media/uploads/2024/03/back.jpg")
        );
        assert_eq!(
            l.new_url("//www.clinic.example/wp-content/uploads/2024/03/back.jpg")
                .as_deref(),
            Some("/media/uploads/2024/03/back.jpg")
        );
        assert_eq!(
            l.new_url("/wp-content/uploads/2023/01/My%20Photo.final.PNG")
                .as_deref(),
            Some("/media/uploads/2023/01/My%20Photo.final.PNG")
        );
        assert_eq!(l.media().len(), 2);
    }

    #[test]
    fn old_posts_pages_and_archives_follow_the_redirects_and_others_stay() {
        let l = links();
        let html = r#"<a href="https://clinic.example/2024/03/knots/#why">k</a> <a href='http://clinic.example/?p=4&amp;x'>p</a> <a href="https://clinic.example/about/">a</a> <a href="https://elsewhere.example/about/">e</a> <img src="https://clinic.example/wp-content/uploads/2024/03/back-1024x683.jpg" srcset="https://clinic.example/wp-content/uploads/2024/03/back-300x200.jpg 300w, https://cdn.example/x.jpg 2x"> <a href="https://clinic.example/category/massage/">m</a> <a href="https://clinic.example/unknown/">u</a>"#;
        let out = l.rewrite_html(html);
        assert!(out.contains(r#"href="/posts/knots#why""#), "{out}");
        assert!(
            out.contains(r#"href="https://elsewhere.example/about/""#),
            "{out}"
        );
        assert!(out.contains(r#"href="/about-us""#), "{out}");
        assert!(
            out.contains(r#"src="/media/uploads/2024/03/back.jpg""#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"srcset="/media/uploads/2024/03/back.jpg 300w, https://cdn.example/x.jpg 2x""#
            ),
            "{out}"
        );
        assert!(out.contains(r#"href="/tags/massage""#), "{out}");
        assert!(
            out.contains(r#"href="https://clinic.example/unknown/""#),
            "{out}"
        );
        // `?p=4&x` has no redirect: left as written.
        assert!(out.contains("?p=4&amp;x"), "{out}");
        assert_eq!(
            l.old_host_links(&out),
            vec![
                "http://clinic.example/?p=4&amp;x",
                "https://clinic.example/unknown/"
            ]
        );
    }

    #[test]
    fn media_keys_keep_folders_utf8_and_spaces() {
        let key = |upload: &str| media_key(upload).map(|k| k.key().as_str().to_owned());
        assert_eq!(
            key("2024/03/café au lait.jpeg").as_deref(),
            Some("media/uploads/2024/03/café au lait.jpeg")
        );
        assert_eq!(
            key("2024/05/a%C3%B1o%20nuevo.jpg").as_deref(),
            Some("media/uploads/2024/05/año nuevo.jpg")
        );
        assert_eq!(
            media_key("2024/05/a%C3%B1o%20nuevo.jpg").unwrap().href(),
            "/media/uploads/2024/05/a%C3%B1o%20nuevo.jpg"
        );
        for bad in [
            "../../x",
            "2024/.htaccess",
            "a%2Fb.png",
            "2024/%2e%2e/x",
            "",
            "a%0Ab.png",
        ] {
            assert_eq!(media_key(bad), None, "{bad:?}");
        }
        assert_eq!(
            without_size("2024/03/a-b-640x480.png").as_deref(),
            Some("2024/03/a-b.png")
        );
        assert_eq!(without_size("2024/03/a-b.png"), None);
    }
}
