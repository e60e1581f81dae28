//! Copies every upload the import found (attachments' originals, and originals of size
//! variants used in content) into `media/uploads/YYYY/MM/name`: from the old site over
//! HTTP (a few requests at a time, with timeouts and retries) or from a copy of
//! `wp-content/uploads`. A file that cannot be had is listed, never fatal.

use super::links::MediaFile;
use super::run::Progress;
use futures::StreamExt;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lambdapress::ports::{ContentStore, Fetched};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the uploads are read from.
#[derive(Debug, Clone)]
pub enum MediaSource {
    /// Downloaded from the URLs in the export (the default).
    Download(DownloadOptions),
    /// A copy of `wp-content/uploads` (`--uploads DIR`).
    Dir(PathBuf),
    /// Not copied (links are still rewritten).
    Skip,
}

#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per request, connecting to the last byte.
    pub timeout: Duration,
    /// Attempts after the first, for timeouts, connection errors and 5xx answers.
    pub retries: u32,
    /// Larger files are refused.
    pub max_bytes: usize,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            concurrency: 4,
            timeout: Duration::from_secs(30),
            retries: 2,
            max_bytes: 200 * 1024 * 1024,
        }
    }
}

/// What copying the media did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaReport {
    /// Files written by this run (or, in a dry run, that would be fetched).
    pub copied: usize,
    /// Files already in the store.
    pub present: usize,
    pub bytes: u64,
    /// Files that could not be had: their upload path and why.
    pub missing: Vec<(String, String)>,
}

enum One {
    Copied(u64),
    Present,
    Missing(String, String),
}

pub type HttpClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<bytes::Bytes>,
>;

/// An HTTP(S) client (rustls, the system's roots), for the import and `switch-check`.
pub fn http_client() -> anyhow::Result<HttpClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| anyhow::anyhow!("no TLS root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// Copies `files` into the store; `dry_run` only finds out which are missing there.
pub async fn copy_media(
    files: &[MediaFile],
    source: &MediaSource,
    content: &dyn ContentStore,
    dry_run: bool,
    progress: &dyn Progress,
) -> anyhow::Result<MediaReport> {
    let mut report = MediaReport::default();
    if matches!(source, MediaSource::Skip) || files.is_empty() {
        return Ok(report);
    }
    let (client, options) = match source {
        MediaSource::Download(o) => (Some(http_client()?), o.clone()),
        _ => (None, DownloadOptions::default()),
    };
    let concurrency = options.concurrency.clamp(1, 32);
    progress.media(0, files.len());
    let mut results = futures::stream::iter(files.iter().map(|file| {
        let client = client.as_ref();
        let options = &options;
        async move {
            match content.get(file.key.key(), None).await {
                Ok(Fetched::Found(_)) => return Ok(One::Present),
                Ok(_) => {}
                Err(e) => return Err(anyhow::anyhow!("{}: {e}", file.key)),
            }
            if dry_run {
                return Ok(One::Copied(0));
            }
            let fetched = match (source, client) {
                (MediaSource::Dir(dir), _) => read_copy(dir, &file.upload).await,
                (_, Some(client)) => download(client, &file.url, options).await,
                _ => Err("no source".to_owned()),
            };
            match fetched {
                Ok(bytes) => {
                    let len = bytes.len() as u64;
                    content
                        .put(
                            file.key.key(),
                            bytes,
                            content_type(file.key.name()),
                            "public, max-age=86400",
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.key))?;
                    Ok(One::Copied(len))
                }
                Err(why) => Ok(One::Missing(file.upload.clone(), why)),
            }
        }
    }))
    .buffer_unordered(concurrency);
    let mut done = 0;
    while let Some(result) = results.next().await {
        match result? {
            One::Copied(n) => {
                report.copied += 1;
                report.bytes += n;
            }
            One::Present => report.present += 1,
            One::Missing(upload, why) => report.missing.push((upload, why)),
        }
        done += 1;
        progress.media(done, files.len());
    }
    report.missing.sort();
    Ok(report)
}

/// `DIR/<upload>`, refusing any path that would leave `DIR`.
async fn read_copy(dir: &Path, upload: &str) -> Result<Vec<u8>, String> {
    let mut path = dir.to_path_buf();
    for seg in upload.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        if seg == "." || seg == ".." || seg.contains('\\') {
            return Err("not a path inside the uploads folder".into());
        }
        path.push(seg.as_ref());
    }
    tokio::fs::read(&path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// One GET with retries; redirects (a CDN, http → https) are followed up to 5 times.
async fn download(
    client: &HttpClient,
    url: &str,
    options: &DownloadOptions,
) -> Result<Vec<u8>, String> {
    let mut last = String::new();
    for attempt in 0..=options.retries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
        }
        match tokio::time::timeout(options.timeout, get_following(client, url, options)).await {
            Ok(Ok(bytes)) => return Ok(bytes),
            Ok(Err((why, retry))) => {
                last = why;
                if !retry {
                    break;
                }
            }
            Err(_) => last = format!("no answer within {:?}", options.timeout),
        }
    }
    Err(last)
}

/// The body of `url`, or why not and whether trying again may help.
async fn get_following(
    client: &HttpClient,
    url: &str,
    options: &DownloadOptions,
) -> Result<Vec<u8>, (String, bool)> {
    let mut url = url.to_owned();
    for _ in 0..5 {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| (format!("`{url}` is not a URL: {e}"), false))?;
        let request = http::Request::get(uri.clone())
            .header("user-agent", "lambdapress-import")
            .body(Empty::new())
            .map_err(|e| (e.to_string(), false))?;
        let response = client
            .request(request)
            .await
            .map_err(|e| (format!("{url}: {e}"), true))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| (format!("{url}: {status} without Location"), false))?;
            url = resolve(&uri, location);
            continue;
        }
        if !status.is_success() {
            return Err((format!("{url}: HTTP {status}"), status.is_server_error()));
        }
        let body = Limited::new(response.into_body(), options.max_bytes)
            .collect()
            .await
            .map_err(|e| (format!("{url}: {e}"), true))?;
        return Ok(body.to_bytes().to_vec());
    }
    Err((format!("{url}: too many redirects"), false))
}

/// One GET, redirects not followed: status, `Location`, body (at most `max_bytes`).
pub async fn get_once(
    client: &HttpClient,
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<(http::StatusCode, Option<String>, Vec<u8>), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let request = http::Request::get(uri.clone())
        .header("user-agent", "lambdapress-switch-check")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let fetch = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(|l| resolve(&uri, l));
        let body = Limited::new(response.into_body(), max_bytes)
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok((status, location, body.to_bytes().to_vec()))
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| format!("{url}: no answer within {timeout:?}"))?
}

/// `location` made absolute against the URL it answered.
pub fn resolve(base: &http::Uri, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        format!(
            "{}://{}{}",
            base.scheme_str().unwrap_or("http"),
            base.authority().map(|a| a.as_str()).unwrap_or(""),
            location
        )
    }
}

fn content_type(key: &str) -> &'static str {
    match key
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        // Never `image/svg+xml` from an import: an SVG can carry script.
        _ => "application/octet-stream",
    }
}
