//! Comment write path benchmarks on the embedded store (a SQLite file in WAL mode, as
//! the local site has): a whole comment POST through `CommentFunction::handle` (a new
//! visitor each time, every comment held), and the store calls one POST makes.
//! `cargo bench -p lambdapress --no-default-features --features embedded,comments --bench comment_post`;
//! figures go in BENCHMARKS.md.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::comments::{CommentFunction, CommentOptions};
use lambdapress::domain::{Comment, Secret, Slug};
use lambdapress::http::client_addr::PeerAddr;
use lambdapress::http::{Body, HttpFunction};
use lambdapress::indexer::reindex_all;
use lambdapress::ports::{CommentStore, Mail, MailError, Mailer};
use lambdapress::site::{Site, SiteOptions};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const N: u32 = 2000;

/// The sample site sets no owner email, so nothing is mailed; this only satisfies the type.
struct NoMail;

#[async_trait::async_trait]
impl Mailer for NoMail {
    async fn send(&self, _mail: &Mail) -> Result<String, MailError> {
        Ok(String::new())
    }
}

fn report(name: &str, started: Instant, n: u32) {
    let per = started.elapsed().as_secs_f64() / f64::from(n);
    println!(
        "{name:<52} {:>8.1} µs each  ({:>6.0}/s, {n} runs)",
        per * 1e6,
        1.0 / per
    );
}

fn visitor(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + n))
}

fn main() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/sample-content");
    let scratch =
        std::env::temp_dir().join(format!("lambdapress-comment-bench-{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let content = Arc::new(FsContent::new(&sample, scratch.join("generated")));
    let index = Arc::new(SqlitePostIndex::in_memory().unwrap());
    runtime
        .block_on(reindex_all(content.as_ref(), index.as_ref()))
        .unwrap();
    let store = Arc::new(SqliteCommentStore::open(&scratch.join("comments.sqlite")).unwrap());
    let site = Arc::new(Site::new(
        content,
        index,
        store.clone(),
        SiteOptions {
            base_url: Some("https://clinic.example".into()),
            settings_ttl: Duration::from_secs(60),
            ..SiteOptions::default()
        },
    ));
    let secret = Secret::new(*b"comment-bench-secret-0123456789abcdef").unwrap();
    let function = CommentFunction::new(
        site,
        store.clone(),
        Arc::new(NoMail),
        secret,
        CommentOptions { owner_email: None },
    );
    let post = |n: u32| {
        let body = format!(
            "name=Bench+Visitor&email=v{n}%40example.com&body=Comment+{n}%3A+the+needles+did+help."
        );
        let mut request = lambda_http::Request::new(Body::from(body));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = "/posts/what-are-muscle-knots/comments".parse().unwrap();
        request.headers_mut().insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        request.extensions_mut().insert(PeerAddr(visitor(n)));
        request
    };
    for n in 0..100 {
        let status = runtime.block_on(function.handle(&post(n))).status();
        assert_eq!(status, 303, "a held comment is a redirect");
    }
    let started = Instant::now();
    for n in 100..100 + N {
        let response = runtime.block_on(function.handle(&post(n)));
        assert_eq!(response.status(), 303);
    }
    report("comment POST, CommentFunction::handle (held)", started, N);

    // The store calls of one POST, alone.
    let slug = Slug::parse("what-are-muscle-knots").unwrap();
    let template: Comment = runtime
        .block_on(store.pending(1))
        .unwrap()
        .pop()
        .expect("the POSTs above stored comments");
    assert_eq!(template.post, slug);
    let now = OffsetDateTime::now_utc();
    let window = time::Duration::seconds(15);
    let started = Instant::now();
    for n in 0..N {
        let key = format!("bench-{n}");
        runtime.block_on(store.throttle(&key, now, window)).unwrap();
    }
    report("store: throttle (one window taken)", started, N);
    let started = Instant::now();
    for n in 0..N {
        let fingerprint = format!("bench-{n}");
        runtime.block_on(store.is_repeat(&fingerprint)).unwrap();
    }
    report("store: is_repeat", started, N);
    let started = Instant::now();
    for _ in 0..N {
        let mut c = template.clone();
        c.id = lambdapress::domain::CommentId::generate();
        c.fingerprint = c.id.to_string();
        runtime.block_on(store.insert(&c)).unwrap();
    }
    report("store: insert (one transaction)", started, N);
    let started = Instant::now();
    for _ in 0..N {
        runtime.block_on(store.expire_spam(now, 25)).unwrap();
    }
    report("store: expire_spam (nothing to expire)", started, N);
    let _ = std::fs::remove_dir_all(scratch);
}
