//! Benchmark (ignored by default): the hourly reconcile pass on the AWS adapters against
//! moto, at N posts: wall time and HTTP requests by kind (seen by the fault proxy, which
//! forwards everything untouched), with nothing drifted and with 9 drifted posts.
//!
//!   FEEDS_BENCH_SIZES=100,100000 cargo test -p lambdapress-tests --test feeds -- --ignored --nocapture feeds_reconcile_bench
//!
//! Seeding goes straight to moto with concurrent requests; only the measured passes go
//! through the proxy. Figures are in BENCHMARKS.md ("feeds").

use futures::{StreamExt, TryStreamExt};
use lambdapress::adapters::{DynamoPostIndex, S3Content};
use lambdapress::domain::{Post, Slug};
use lambdapress::feeds::Feeds;
use lambdapress::indexer::reconcile;
use lambdapress::ports::{ContentKey, ContentStore};
use lambdapress_tests::fault_proxy::{FaultProxy, Seen};
use lambdapress_tests::fixtures::load;
use lambdapress_tests::moto;
use lambdapress_tests::sample::sample_content_dir;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

const CONCURRENCY: usize = 48;

fn source(n: usize, edit: &str) -> String {
    format!(
        "+++\ntitle = \"Post {n}{edit}\"\ndate = 2024-01-01T00:00:00Z\nsummary = \"Summary {n}\"\ntags = [\"Tag {}\"]\n+++\nBody of post {n}.\n",
        n % 50
    )
}

fn slug(n: usize) -> Slug {
    Slug::parse(&format!("post-{n:06}")).unwrap()
}

/// Requests by kind: DynamoDB by operation, S3 by method (a listing by its query).
fn by_kind(seen: &[Seen]) -> (BTreeMap<String, usize>, usize) {
    let mut kinds = BTreeMap::new();
    let mut bytes = 0;
    for s in seen {
        let kind = match &s.operation {
            Some(op) => op.clone(),
            None if s.path.contains("list-type=2") => "ListObjectsV2".into(),
            None => format!("S3 {}", s.method),
        };
        *kinds.entry(kind).or_insert(0) += 1;
        bytes += s.request_bytes + s.response_bytes;
    }
    (kinds, bytes)
}

fn row(size: usize, what: &str, started: Instant, proxy: &FaultProxy) {
    let elapsed = started.elapsed();
    let (kinds, bytes) = by_kind(&proxy.seen());
    let total: usize = kinds.values().sum();
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "| {size:>7} | {what:<34} | {:>9.0} | {total:>6} | {:>8.1} | {} |",
        elapsed.as_secs_f64() * 1000.0,
        bytes as f64 / 1024.0,
        kinds.join(", ")
    );
    proxy.forget();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn reconcile_pass_at_n_posts() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let sizes: Vec<usize> = std::env::var("FEEDS_BENCH_SIZES")
        .unwrap_or_else(|_| "100,10000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let proxy = FaultProxy::start(&endpoint).await;
    println!(
        "| posts   | pass                               | time (ms) | requests | KiB | by kind |"
    );
    println!(
        "|--------:|------------------------------------|----------:|---------:|----:|---------|"
    );
    for size in sizes {
        // Seeding: straight to moto, concurrently.
        let (direct, s3, bucket) = moto::s3_content(&endpoint).await;
        let (dynamodb, table) = moto::fresh_table(&endpoint).await;
        let direct_index = DynamoPostIndex::new(dynamodb, table.clone());
        let seeding = Instant::now();
        let settings = std::fs::read(sample_content_dir().join("site.toml")).unwrap();
        direct
            .put(
                &ContentKey::site_settings(),
                settings,
                "text/plain",
                "no-cache",
            )
            .await
            .unwrap();
        futures::stream::iter(0..size)
            .map(|n| {
                let direct = &direct;
                async move {
                    let bytes = source(n, "").into_bytes();
                    direct
                        .put(
                            &ContentKey::post(&slug(n)),
                            bytes,
                            "text/markdown",
                            "no-cache",
                        )
                        .await
                }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await
            .unwrap();
        let versions = direct.list_post_versions().await.unwrap();
        assert_eq!(versions.len(), size);
        // In the adapter's layout by BatchWriteItem: moto copies the whole table on each
        // transaction, so `upsert_version` for every post would take hours at 100,000.
        let entries: Vec<_> = versions
            .into_iter()
            .map(|(slug, etag)| {
                let n: usize = slug.as_str()[5..].parse().unwrap();
                let meta = Post::parse(slug, &source(n, "")).unwrap().meta();
                (meta, etag.unwrap_or_default())
            })
            .collect();
        futures::stream::iter(entries.chunks(500))
            .map(|chunk| direct_index.load_new(chunk))
            .buffer_unordered(8)
            .try_collect::<Vec<()>>()
            .await
            .unwrap();
        eprintln!(
            "seeded {size} posts in {:.0} s",
            seeding.elapsed().as_secs_f64()
        );

        // Measured: the same bucket and table through the proxy.
        // moto's transactions slow down with the table's size: a long operation timeout.
        let config = lambdapress::aws::config_loader()
            .endpoint_url(&proxy.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "bench",
            ))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(std::time::Duration::from_secs(900))
                    .build(),
            )
            .load()
            .await;
        let content = Arc::new(S3Content::new(
            lambdapress::aws::s3_client(&config),
            bucket.clone(),
        ));
        let index = Arc::new(DynamoPostIndex::new(
            lambdapress::aws::dynamodb_client(&config),
            table,
        ));
        proxy.forget();
        let started = Instant::now();
        let changed = reconcile(content.as_ref(), index.as_ref()).await.unwrap();
        assert!(changed.is_empty(), "{changed:?}");
        row(size, "reconcile, nothing drifted", started, &proxy);

        // 3 edits, 3 creates and 3 deletes whose S3 events were lost. moto's transactions
        // copy its whole state, so past FEEDS_BENCH_DRIFT_MAX posts this is left out.
        let drift_max: usize = std::env::var("FEEDS_BENCH_DRIFT_MAX")
            .map(|v| v.parse().unwrap())
            .unwrap_or(10_000);
        let drift = if size <= drift_max { 3 } else { 0 };
        for n in 0..drift {
            let edited = source(n, " (edited)").into_bytes();
            direct
                .put(
                    &ContentKey::post(&slug(n)),
                    edited,
                    "text/markdown",
                    "no-cache",
                )
                .await
                .unwrap();
            let created = source(size + n, "").into_bytes();
            direct
                .put(
                    &ContentKey::post(&slug(size + n)),
                    created,
                    "text/markdown",
                    "no-cache",
                )
                .await
                .unwrap();
            direct
                .delete(&ContentKey::post(&slug(size - 1 - n)))
                .await
                .unwrap();
        }
        if drift > 0 {
            proxy.forget();
            let started = Instant::now();
            let changed = reconcile(content.as_ref(), index.as_ref()).await.unwrap();
            assert_eq!(changed.len(), 9, "{changed:?}");
            row(size, "reconcile, 9 drifted", started, &proxy);
        }

        let feeds = Feeds::new(content.clone(), index.clone());
        proxy.forget();
        let started = Instant::now();
        feeds
            .handle(load("eventbridge-scheduled.json"))
            .await
            .unwrap();
        row(size, "hourly run, first (writes feeds)", started, &proxy);
        let started = Instant::now();
        feeds
            .handle(load("eventbridge-scheduled.json"))
            .await
            .unwrap();
        row(size, "hourly run, nothing to do", started, &proxy);
        drop(s3);
    }
}
