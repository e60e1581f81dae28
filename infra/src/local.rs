//! The local site: every function's routes in one process, with the embedded adapters
//! (a content folder, a SQLite file), re-indexing posts and regenerating the feeds and
//! sitemap as their files change.

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use lambdapress::adapters::sqlite::SqliteDb;
use lambdapress::adapters::{
    FsContent, OutboxMailer, SqliteCommentStore, SqlitePostIndex, SqliteSubscribers,
};
use lambdapress::comments::{CommentFunction, CommentOptions, ThreadListener};
use lambdapress::domain::{Secret, Slug};
use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::http::client_addr::PeerAddr;
use lambdapress::http::HttpFunction;
use lambdapress::images::handler::{Images, Outcome};
use lambdapress::indexer::{reindex_all, IndexOutcome};
use lambdapress::newsletter::sqlite::SqliteNewsletters;
use lambdapress::newsletter::{LocalQueue, Planner, Sender};
use lambdapress::ports::{Mail, MailError, Mailer, MediaKey};
use lambdapress::site::routes::{function_for, Function};
use lambdapress::site::{Site, SiteOptions};
use lambdapress::subscribe::{site_chrome, Subscribe, SubscribeOptions};
use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;

/// Where the local site keeps its content and data.
pub struct LocalConfig {
    pub addr: SocketAddr,
    pub content_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl LocalConfig {
    /// From `LAMBDAPRESS_ADDR`, `LAMBDAPRESS_CONTENT_DIR`, `LAMBDAPRESS_DATA_DIR`, with
    /// defaults of 127.0.0.1:3000, the sample content, and `.lambdapress/` here.
    pub fn from_env() -> anyhow::Result<LocalConfig> {
        let addr = std::env::var("LAMBDAPRESS_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
        let addr = addr.parse().with_context(|| {
            format!("LAMBDAPRESS_ADDR={addr} is not an address like 127.0.0.1:3000")
        })?;
        let content_dir = std::env::var_os("LAMBDAPRESS_CONTENT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-content"));
        let data_dir = std::env::var_os("LAMBDAPRESS_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".lambdapress"));
        Ok(LocalConfig {
            addr,
            content_dir,
            data_dir,
        })
    }
}

/// The embedded adapters: content folder (+ generated overlay), one SQLite file for
/// records, and an outbox folder for mail.
pub struct LocalStores {
    pub content: Arc<FsContent>,
    pub index: Arc<SqlitePostIndex>,
    pub comments: Arc<SqliteCommentStore>,
    pub mailer: Arc<OutboxMailer>,
    pub database: PathBuf,
    /// Subscribers and rate counters, in the same SQLite file.
    pub subscribers: Arc<SqliteSubscribers>,
    /// Signs links and hashes client addresses; kept in the data folder across restarts.
    pub secret: Secret,
    /// The newsletter ledger, in the same SQLite file.
    pub newsletters: Arc<SqliteNewsletters>,
}

impl LocalStores {
    /// The one SQLite file every embedded store shares.
    pub fn database_path(config: &LocalConfig) -> PathBuf {
        config.data_dir.join("lambdapress.sqlite")
    }

    pub fn open(config: &LocalConfig) -> anyhow::Result<LocalStores> {
        let content = Arc::new(FsContent::new(
            &config.content_dir,
            config.data_dir.join("generated"),
        ));
        let database = Self::database_path(config);
        let db = SqliteDb::open(&database, "")?;
        let index = Arc::new(SqlitePostIndex::on(&db)?);
        let comments = Arc::new(SqliteCommentStore::on(&db)?);
        let mailer = Arc::new(OutboxMailer::new(
            config.data_dir.join("outbox"),
            "Local Site <site@localhost>",
        ));
        let secret = local_secret(&config.data_dir)?;
        let subscribers = Arc::new(SqliteSubscribers::on(&db)?);
        let newsletters = Arc::new(SqliteNewsletters::on(&db)?);
        Ok(LocalStores {
            newsletters,
            content,
            index,
            comments,
            mailer,
            database,
            subscribers,
            secret,
        })
    }
}

/// `LAMBDAPRESS_SECRET` when set, else a random secret made once in `<data>/secret`.
fn local_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    if let Ok(secret) = Secret::from_env() {
        return Ok(secret);
    }
    let path = data_dir.join("secret");
    if let Ok(existing) = std::fs::read(&path) {
        return Secret::new(existing).with_context(|| {
            format!(
                "{} is too short; delete it to make a new one",
                path.display()
            )
        });
    }
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    let hexed = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(&path, &hexed)?;
    Ok(Secret::new(hexed.into_bytes())?)
}

/// Every function of `template.yaml`, answering the routes API Gateway sends it.
pub struct Functions {
    pub site: Arc<Site>,
    pub subscribe: Arc<Subscribe>,
    pub comment: Arc<CommentFunction>,
    /// Not routed: its events come from the content folder watcher here, and a handler
    /// that approves a comment calls `feeds.comments_changed(..)` in process.
    pub feeds: Arc<Feeds>,
}

impl Functions {
    /// Async: the subscribe function reads the site's title once, as its Lambda does.
    pub async fn new(stores: &LocalStores, base_url: &str) -> anyhow::Result<Functions> {
        let site = Arc::new(Site::new(
            stores.content.clone(),
            stores.index.clone(),
            stores.comments.clone(),
            SiteOptions {
                base_url: Some(base_url.to_owned()),
                settings_ttl: Duration::ZERO,
                view_ttl: local_view_ttl(),
                show_settings_errors: true,
                ..SiteOptions::default()
            },
        ));
        let subscribe = Arc::new(local_subscribe(stores, base_url).await);
        let feeds = Arc::new(local_feeds(stores, base_url)?);
        let comment = Arc::new(
            CommentFunction::new(
                site.clone(),
                stores.comments.clone(),
                Arc::new(PrintingMailer(stores.mailer.clone())),
                stores.secret.clone(),
                CommentOptions {
                    owner_email: std::env::var("OWNER_EMAIL").ok().filter(|e| !e.is_empty()),
                },
            )
            .with_listener(Arc::new(FeedsListener(feeds.clone()))),
        );
        Ok(Functions {
            site,
            subscribe,
            comment,
            feeds,
        })
    }
}

/// Which function answers a request: API Gateway's part, for `serve_connections`.
pub trait Router: Send + Sync + 'static {
    fn for_request(&self, req: &lambda_http::Request) -> &dyn HttpFunction;
}

impl Router for Functions {
    /// The function API Gateway would invoke for this request (the routes of
    /// `template.yaml`).
    fn for_request(&self, req: &lambda_http::Request) -> &dyn HttpFunction {
        let path = lambdapress::http::request_path(req);
        match function_for(req.method().as_str(), path) {
            Function::Subscribe => self.subscribe.as_ref(),
            Function::Comment => self.comment.as_ref(),
            Function::Site => self.site.as_ref(),
        }
    }
}

/// The local site's view window: `LAMBDAPRESS_VIEW_TTL_MS`, default one second, so an
/// edit shows on the next reload after a second while repeated views cost no file read.
fn local_view_ttl() -> Duration {
    std::env::var("LAMBDAPRESS_VIEW_TTL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis)
}

/// The outbox mailer, also printing each message's links to the log so a developer
/// can click the confirm link straight from the terminal.
pub struct PrintingMailer(pub Arc<OutboxMailer>);

#[async_trait::async_trait]
impl Mailer for PrintingMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let id = self.0.send(mail).await?;
        println!(
            "lambdapress: mail to {}: {} (in {})",
            mail.to,
            mail.subject,
            self.0.dir().display()
        );
        for link in mail
            .text
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        {
            println!("  {link}");
        }
        Ok(id)
    }
}

/// The feeds function on the local stores. The comment feeds read the same SQLite file
/// the comment handler writes.
pub fn local_feeds(stores: &LocalStores, base_url: &str) -> anyhow::Result<Feeds> {
    Ok(Feeds::new(stores.content.clone(), stores.index.clone())
        .with_comments(stores.comments.clone())
        .with_newsletter(Arc::new(local_planner(stores, base_url)))
        .with_options(FeedsOptions {
            base_url: Some(base_url.to_owned()),
            ..FeedsOptions::default()
        }))
}

/// The newsletter on the local stores: batches are delivered in process (no queue) to
/// the outbox, each mail printed as it is written.
pub fn local_planner(stores: &LocalStores, base_url: &str) -> Planner {
    let sender = Sender {
        content: stores.content.clone(),
        subscribers: stores.subscribers.clone(),
        store: stores.newsletters.clone(),
        mailer: Arc::new(PrintingMailer(stores.mailer.clone())),
        secret: stores.secret.clone(),
        base_url: Some(base_url.to_owned()),
        pace: Duration::ZERO,
        throttle_retries: 3,
        clock: time::OffsetDateTime::now_utc,
    };
    Planner {
        content: stores.content.clone(),
        subscribers: stores.subscribers.clone(),
        store: stores.newsletters.clone(),
        queue: Arc::new(LocalQueue {
            sender: Arc::new(sender),
            redeliveries: 3,
        }),
    }
}

/// Regenerates a post's comment feeds (and the site's) when its thread changes, as the
/// DynamoDB stream makes the feeds function do in AWS.
pub struct FeedsListener(pub Arc<Feeds>);

#[async_trait::async_trait]
impl ThreadListener for FeedsListener {
    async fn thread_changed(&self, post: &Slug) {
        let posts = std::collections::BTreeSet::from([post.clone()]);
        if let Err(e) = self.0.comments_changed(&posts).await {
            eprintln!("lambdapress: regenerating the comment feeds of {post} failed: {e}");
        }
    }
}

/// The subscribe function on the local stores.
pub async fn local_subscribe(stores: &LocalStores, base_url: &str) -> Subscribe {
    Subscribe::new(
        stores.subscribers.clone(),
        stores.subscribers.clone(),
        Arc::new(PrintingMailer(stores.mailer.clone())),
        stores.secret.clone(),
        SubscribeOptions {
            base_url: Some(base_url.to_owned()),
            // Read once when the local site starts (as the Lambda does at init).
            chrome: site_chrome(stores.content.as_ref(), Some(base_url)).await,
            ..SubscribeOptions::default()
        },
    )
}

/// The local site, bound to its address and ready to accept connections.
pub struct LocalSite {
    listener: TcpListener,
    functions: Arc<Functions>,
    /// Whether a visitor's address comes from `X-Forwarded-For` (see
    /// [`LocalSite::trusting_forwarded_for`]); off unless asked for.
    trust_forwarded_for: bool,
    /// `http://<address>`: what canonical URLs and links on the local site start with.
    pub base_url: String,
}

impl LocalSite {
    /// Opens the embedded stores, indexes the content folder through the same code path
    /// as the S3-event indexer, generates the feeds, binds the address, and starts
    /// watching `posts/` and `pages/`, and `media/` for the images' variants.
    pub async fn bind(config: &LocalConfig) -> anyhow::Result<LocalSite> {
        let stores = LocalStores::open(config)?;
        report(&reindex_all(stores.content.as_ref(), stores.index.as_ref()).await?);
        let listener = TcpListener::bind(config.addr).await.with_context(|| {
            format!(
                "cannot listen on {} (set LAMBDAPRESS_ADDR to use another address)",
                config.addr
            )
        })?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let functions = Arc::new(Functions::new(&stores, &base_url).await?);
        match functions.feeds.regenerate().await {
            Ok(report) => report_feeds(&report),
            Err(e) => eprintln!("lambdapress: generating the feeds failed: {e}"),
        }
        tokio::spawn(watch_posts(stores.content.clone(), functions.feeds.clone()));
        tokio::spawn(watch_media(stores.content.clone()));
        Ok(LocalSite {
            listener,
            functions,
            base_url,
            trust_forwarded_for: false,
        })
    }

    /// Takes each visitor's address from the last `X-Forwarded-For` entry instead of
    /// the TCP peer, as behind a trusted reverse proxy (or a load generator that stands
    /// in for many visitors: `infra/bench-comments.sh`). Any client can forge the header,
    /// so it is off unless `LAMBDAPRESS_TRUST_FORWARDED_FOR=1`; the Lambdas never read it.
    pub fn trusting_forwarded_for(mut self, trust: bool) -> LocalSite {
        self.trust_forwarded_for = trust;
        self
    }

    /// Serves connections until the process ends.
    pub async fn run(self) -> anyhow::Result<()> {
        serve_connections(self.listener, self.functions, self.trust_forwarded_for).await
    }
}

/// Serves HTTP on `listener` until the process ends, each request turned into the one a
/// Lambda receives and answered by the function `router` picks: the local site, or
/// one function over other adapters (a test of the site function on S3 and DynamoDB).
/// With `trust_forwarded_for`, see `LocalSite::trusting_forwarded_for`.
pub async fn serve_connections(
    listener: TcpListener,
    router: Arc<dyn Router>,
    trust_forwarded_for: bool,
) -> anyhow::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let router = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let router = router.clone();
                let client = trust_forwarded_for
                    .then(|| forwarded_client(req.headers()))
                    .flatten()
                    .unwrap_or(peer.ip());
                async move { Ok::<_, Infallible>(dispatch(router.as_ref(), req, client).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

pub async fn serve(config: LocalConfig) -> anyhow::Result<()> {
    let trust = std::env::var("LAMBDAPRESS_TRUST_FORWARDED_FOR").is_ok_and(|v| v == "1");
    let site = LocalSite::bind(&config)
        .await?
        .trusting_forwarded_for(trust);
    if trust {
        println!("lambdapress: visitors' addresses come from X-Forwarded-For (LAMBDAPRESS_TRUST_FORWARDED_FOR=1)");
    }
    println!(
        "lambdapress: serving {} on {}",
        config.content_dir.display(),
        site.base_url
    );
    println!(
        "lambdapress: try {}/posts/what-are-muscle-knots",
        site.base_url
    );
    site.run().await
}

/// The address a trusted proxy appended last to `X-Forwarded-For`; `None` when the
/// header is missing or its last entry is not an address.
fn forwarded_client(headers: &http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// Turns a hyper request into the request a Lambda receives, and routes it.
async fn dispatch(
    router: &dyn Router,
    req: hyper::Request<Incoming>,
    client: IpAddr,
) -> hyper::Response<Full<Bytes>> {
    let (mut parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    parts.extensions.insert(PeerAddr(client));
    let body = if body.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::from(body.to_vec())
    };
    let request = lambda_http::Request::from_parts(parts, body);
    let started = std::time::Instant::now();
    let response = router.for_request(&request).handle(&request).await;
    // The handlers already add them; this keeps every answer of the runner covered.
    let response = lambdapress::http::security::secure(&request, None, response);
    // Debug level: off by default, so the hot path formats no log line.
    tracing::debug!(method = %request.method(), path = %request.uri().path(), status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64);
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(t) => Bytes::from(t),
        lambda_http::Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

fn report(outcomes: &[(Slug, IndexOutcome)]) {
    for (slug, outcome) in outcomes {
        match outcome {
            IndexOutcome::Indexed => println!("  indexed  posts/{slug}.md"),
            IndexOutcome::Draft => println!("  draft    posts/{slug}.md (not published)"),
            IndexOutcome::Removed => println!("  removed  posts/{slug}.md"),
            IndexOutcome::Rejected(e) => println!("  REJECTED {e}"),
        }
    }
}

fn report_feeds(report: &Report) {
    for key in &report.written {
        println!("  wrote    /{key}");
    }
}

/// Polls `posts/` and `pages/` once a second and hands what changed to the feeds
/// function's code path (re-index or check, the aliases, then feeds and sitemap), as the
/// S3 events do in AWS. Once a minute it also runs the scheduled publish, so posts dated
/// in the future appear when their time comes.
async fn watch_posts(content: Arc<FsContent>, feeds: Arc<Feeds>) {
    let folders = [content.root().join("posts"), content.root().join("pages")];
    let mut seen = snapshots(&folders).await;
    let mut ticks: u32 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ticks = ticks.wrapping_add(1);
        let now = snapshots(&folders).await;
        let [posts, pages] = [0, 1].map(|i| changed(&seen[i], &now[i]));
        seen = now;
        let result = if !posts.is_empty() || !pages.is_empty() {
            feeds.stored_changed(&posts, &pages).await
        } else if ticks.is_multiple_of(60) {
            feeds.publish_due().await
        } else {
            continue;
        };
        match result {
            Ok(report) => {
                for (slug, outcome) in &report.posts {
                    println!("  {outcome:<8} posts/{slug}.md");
                }
                for (slug, outcome) in &report.pages {
                    println!("  {outcome:<8} pages/{slug}.md");
                }
                report_feeds(&report);
            }
            Err(e) => eprintln!("lambdapress: updating the index and feeds failed: {e}"),
        }
    }
}

/// Makes the responsive variants of `media/`'s images through the images function's
/// handler, as its S3 events do in AWS: every image at start (an unchanged one is found
/// in the index and skipped), then each one added, changed or removed, polled every two
/// seconds. The variants and the index go to the generated folder, never the content.
async fn watch_media(content: Arc<FsContent>) {
    let images = Images::new(content.clone());
    let folder = content.root().join("media");
    let mut seen = MediaSnapshot::new();
    loop {
        let dir = folder.clone();
        let now = tokio::task::spawn_blocking(move || media_snapshot(&dir))
            .await
            .unwrap_or_default();
        let created = now.iter().filter(|(k, stamp)| seen.get(*k) != Some(stamp));
        let removed = seen.keys().filter(|k| !now.contains_key(*k));
        let changes: Vec<(bool, MediaKey)> = created
            .map(|(k, _)| (true, k.clone()))
            .chain(removed.map(|k| (false, k.clone())))
            .collect();
        for (is_new, key) in changes {
            let outcome = if is_new {
                images.created(&key).await
            } else {
                images.removed(&key).await
            };
            match outcome {
                Ok(Outcome::Made(n)) => println!("  variants {n} of {key}"),
                Ok(Outcome::Removed(n)) => println!("  removed  {n} variants of {key}"),
                Ok(Outcome::Refused(why)) => eprintln!("lambdapress: {key}: no variants: {why}"),
                Ok(_) => {}
                Err(e) => eprintln!("lambdapress: variants of {key} failed: {e}"),
            }
        }
        seen = now;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

type MediaSnapshot = HashMap<MediaKey, (SystemTime, u64)>;

/// The images under `media/` (any depth) that get variants, with their stamps.
fn media_snapshot(root: &Path) -> MediaSnapshot {
    let mut found = MediaSnapshot::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.strip_prefix(root).ok().and_then(|rel| {
                let parts: Option<Vec<&str>> =
                    rel.components().map(|c| c.as_os_str().to_str()).collect();
                Some(parts?.join("/"))
            });
            let Some(key) = name.as_deref().and_then(MediaKey::parse) else {
                continue;
            };
            if lambdapress::images::Format::of_original(&key).is_some() {
                if let Ok(modified) = meta.modified() {
                    found.insert(key, (modified, meta.len()));
                }
            }
        }
    }
    found
}

type Snapshot = HashMap<Slug, (SystemTime, u64)>;

/// Each folder's files (reading a folder blocks: done on the blocking pool).
async fn snapshots(folders: &[PathBuf; 2]) -> [Snapshot; 2] {
    let folders = folders.clone();
    tokio::task::spawn_blocking(move || folders.map(|dir| snapshot(&dir)))
        .await
        .unwrap_or_default()
}

/// The slugs added, changed or removed between two snapshots.
fn changed(before: &Snapshot, now: &Snapshot) -> BTreeSet<Slug> {
    now.iter()
        .filter(|(slug, stamp)| before.get(*slug) != Some(stamp))
        .map(|(slug, _)| slug.clone())
        .chain(
            before
                .keys()
                .filter(|slug| !now.contains_key(*slug))
                .cloned(),
        )
        .collect()
}

fn snapshot(dir: &Path) -> Snapshot {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let slug = Slug::parse(name.strip_suffix(".md")?).ok()?;
            let meta = e.metadata().ok()?;
            Some((slug, (meta.modified().ok()?, meta.len())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use http::HeaderMap;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_forwarded_client_is_the_last_address_the_proxy_appended() {
        let ip = |s: &str| Some(s.parse().unwrap());
        assert_eq!(
            forwarded_client(&headers(&["203.0.113.7"])),
            ip("203.0.113.7")
        );
        // A visitor's own (forgeable) entries come first; the proxy's comes last.
        assert_eq!(
            forwarded_client(&headers(&["10.0.0.1, 198.51.100.2", "2001:db8::9"])),
            ip("2001:db8::9")
        );
        assert_eq!(
            forwarded_client(&headers(&["10.0.0.1, 198.51.100.2 "])),
            ip("198.51.100.2")
        );
        assert_eq!(forwarded_client(&headers(&[])), None);
        assert_eq!(forwarded_client(&headers(&["not-an-address"])), None);
        assert_eq!(forwarded_client(&headers(&["198.51.100.2, "])), None);
    }
}
