//! Benchmark (ignored by default): plan and send one newsletter to N confirmed
//! subscribers on moto (DynamoDB, S3, SES v2), counting store and SES calls.
//!
//!   NEWSLETTER_BENCH_N=10000 cargo test -p lambdapress-tests --test subscribers -- --ignored --nocapture newsletter_bench

use async_trait::async_trait;
use futures::StreamExt;
use lambdapress::adapters::{DynamoSubscribers, SesMailer};
use lambdapress::domain::{Post, Secret, Slug, SubscriberEmail};
use lambdapress::newsletter::dynamodb::DynamoNewsletters;
use lambdapress::newsletter::{
    Batch, BatchQueue, Counts, Delivery, NewsletterRecord, NewsletterStore, Planner, Sender,
};
use lambdapress::ports::{
    ConfirmOutcome, Signup, SignupOutcome, StoreError, Subscriber, SubscriberStore,
    SubscriptionStatus,
};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::moto;
use lambdapress_tests::sample::sample_content_dir;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::{Duration, OffsetDateTime};

#[derive(Default)]
struct Calls {
    reads: AtomicU64,
    writes: AtomicU64,
    queries: AtomicU64,
}

struct CountedSubscribers(DynamoSubscribers, Arc<Calls>);

#[async_trait]
impl SubscriberStore for CountedSubscribers {
    async fn sign_up(&self, s: &Signup, r: Duration) -> Result<SignupOutcome, StoreError> {
        self.0.sign_up(s, r).await
    }
    async fn confirmation_not_sent(
        &self,
        e: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.0.confirmation_not_sent(e, at).await
    }
    async fn confirmation_sent(
        &self,
        e: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.0.confirmation_sent(e, at).await
    }
    async fn confirm(
        &self,
        e: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<ConfirmOutcome, StoreError> {
        self.0.confirm(e, at).await
    }
    async fn unsubscribe(
        &self,
        e: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.0.unsubscribe(e, at).await
    }
    async fn get(&self, e: &SubscriberEmail) -> Result<Option<Subscriber>, StoreError> {
        self.1.reads.fetch_add(1, Ordering::Relaxed);
        self.0.get(e).await
    }
    async fn confirmed(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.0.confirmed().await
    }
    async fn erase(&self, e: &SubscriberEmail) -> Result<bool, StoreError> {
        self.0.erase(e).await
    }
    async fn confirmed_page(
        &self,
        c: Option<&str>,
        l: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        self.1.queries.fetch_add(1, Ordering::Relaxed);
        self.0.confirmed_page(c, l).await
    }
    async fn status_page(
        &self,
        st: SubscriptionStatus,
        c: Option<&str>,
        l: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        self.1.queries.fetch_add(1, Ordering::Relaxed);
        self.0.status_page(st, c, l).await
    }
    async fn suppress(
        &self,
        e: &SubscriberEmail,
        st: SubscriptionStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.suppress(e, st, at).await
    }
    async fn import(&self, s: &Subscriber) -> Result<bool, StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.import(s).await
    }
}

struct CountedLedger(DynamoNewsletters, Arc<Calls>);

#[async_trait]
impl NewsletterStore for CountedLedger {
    async fn create(
        &self,
        s: &Slug,
        at: OffsetDateTime,
    ) -> Result<Option<NewsletterRecord>, StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.create(s, at).await
    }
    async fn get(&self, s: &Slug) -> Result<Option<NewsletterRecord>, StoreError> {
        self.0.get(s).await
    }
    async fn planned(&self, s: &Slug, n: u64) -> Result<(), StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.planned(s, n).await
    }
    async fn claim(&self, s: &Slug, k: &str) -> Result<bool, StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.claim(s, k).await
    }
    async fn settle(
        &self,
        s: &Slug,
        k: &str,
        d: &Delivery,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.settle(s, k, d, at).await
    }
    async fn release(&self, s: &Slug, k: &str) -> Result<(), StoreError> {
        self.1.writes.fetch_add(1, Ordering::Relaxed);
        self.0.release(s, k).await
    }
    async fn counts(&self, s: &Slug) -> Result<Counts, StoreError> {
        self.0.counts(s).await
    }
    async fn list(&self) -> Result<Vec<NewsletterRecord>, StoreError> {
        self.0.list().await
    }
}

/// The queue as a file of JSON lines (SQS's stand-in): the planner keeps nothing.
struct Spool(Mutex<std::io::BufWriter<std::fs::File>>, AtomicU64);

#[async_trait]
impl BatchQueue for Spool {
    async fn enqueue(&self, b: &Batch) -> Result<(), StoreError> {
        use std::io::Write;
        let line = serde_json::to_string(b).unwrap();
        writeln!(self.0.lock().unwrap(), "{line}").unwrap();
        self.1.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Resets the process's peak RSS (VmHWM), so each phase's own peak can be read.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore]
async fn plan_and_send_to_n_subscribers_on_moto() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let n: usize = std::env::var("NEWSLETTER_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let (content, s3, bucket) = moto::s3_content(&endpoint).await;
    let settings = std::fs::read(sample_content_dir().join("site.toml")).unwrap();
    Bucket::new(s3.clone(), bucket.clone())
        .put("site.toml", settings)
        .await;
    let now = OffsetDateTime::now_utc();
    let date = (now - Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let source =
        std::fs::read_to_string(sample_content_dir().join("posts/what-are-muscle-knots.md"))
            .unwrap()
            .replace("date = 2024-03-12T09:00:00Z", &format!("date = {date}"));
    Bucket::new(s3.clone(), bucket.clone())
        .put("posts/bench.md", source.clone().into_bytes())
        .await;
    let (client, table) = moto::fresh_table(&endpoint).await;
    let config = moto::sdk_config(&endpoint).await;
    let ses = lambdapress::aws::sesv2_client(&config);
    let domain = format!("{}.example", moto::unique_name("bench"));
    ses.create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .unwrap();

    let raw = DynamoSubscribers::new(client.clone(), table.clone());
    let t = Instant::now();
    // Seeded with BatchWriteItem (25 a call) in the layout the adapter's `import`
    // writes: seeding 100,000 one write at a time would take longer than the run.
    let signed_up = lambdapress::domain::time_fmt::sort_key(now - Duration::days(10));
    futures::stream::iter(
        (0..n)
            .collect::<Vec<_>>()
            .chunks(25)
            .map(|c| c.to_vec())
            .collect::<Vec<_>>(),
    )
    .map(|chunk| {
        let (client, table, signed_up) = (client.clone(), table.clone(), signed_up.clone());
        async move {
            use aws_sdk_dynamodb::types::{AttributeValue as V, PutRequest, WriteRequest};
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    let key = format!("reader{i}@example.com");
                    let item = [
                        ("pk", format!("SUBSCRIBER#{key}")),
                        ("sk", "SUBSCRIBER".into()),
                        ("gsi1pk", "SUBSCRIBERS#confirmed".into()),
                        ("gsi1sk", format!("{signed_up}#{key}")),
                        ("email", key.clone()),
                        ("status", "confirmed".into()),
                        ("signed_up_at", signed_up.clone()),
                        ("confirmed_at", signed_up.clone()),
                        ("source", "/".into()),
                        ("client_hash", "h".into()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), V::S(v)))
                    .collect();
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                        .build()
                })
                .collect();
            while !requests.is_empty() {
                let out = client
                    .batch_write_item()
                    .request_items(&table, requests)
                    .send()
                    .await
                    .unwrap();
                requests = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&table))
                    .unwrap_or_default();
            }
        }
    })
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    let probe = SubscriberEmail::parse("reader0@example.com").unwrap();
    assert_eq!(
        raw.get(&probe).await.unwrap().map(|s| s.status),
        Some(SubscriptionStatus::Confirmed),
        "the seeded items decode as the adapter's own"
    );
    eprintln!(
        "seeded {n} confirmed subscribers in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    let calls = Arc::new(Calls::default());
    let subscribers = Arc::new(CountedSubscribers(raw, calls.clone()));
    let ledger = Arc::new(CountedLedger(
        DynamoNewsletters::new(client, table),
        calls.clone(),
    ));
    let spool_path = std::env::temp_dir().join(format!("{}.jsonl", moto::unique_name("batches")));
    let queue = Arc::new(Spool(
        Mutex::new(std::io::BufWriter::new(
            std::fs::File::create(&spool_path).unwrap(),
        )),
        AtomicU64::new(0),
    ));
    let content = Arc::new(content);
    let planner = Planner {
        content: content.clone(),
        subscribers: subscribers.clone(),
        store: ledger.clone(),
        queue: queue.clone(),
    };
    let post = Post::parse(Slug::parse("bench").unwrap(), &source).unwrap();
    reset_peak_rss();
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    planner.post_published(&post, now).await.unwrap();
    let planning = t.elapsed();
    let plan_rss = peak_rss_kib();
    {
        use std::io::Write;
        queue.0.lock().unwrap().flush().unwrap();
    }
    let batch_count = queue.1.load(Ordering::Relaxed);
    let plan_queries = calls.queries.load(Ordering::Relaxed);
    let plan_writes = calls.writes.swap(0, Ordering::Relaxed);
    eprintln!(
        "planned {n} in {:.2}s ({batch_count} batches, {plan_queries} queries)",
        planning.as_secs_f64()
    );

    let ses_calls = Arc::new(AtomicU64::new(0));
    struct CountedSes(SesMailer, Arc<AtomicU64>);
    #[async_trait]
    impl lambdapress::ports::Mailer for CountedSes {
        async fn send(
            &self,
            m: &lambdapress::ports::Mail,
        ) -> Result<String, lambdapress::ports::MailError> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.send(m).await
        }
    }
    let sender = Arc::new(Sender {
        content,
        subscribers,
        store: ledger.clone(),
        mailer: Arc::new(CountedSes(
            SesMailer::new(ses, format!("Clinic <news@{domain}>")),
            ses_calls.clone(),
        )),
        secret: Secret::new(b"a benchmark secret of at least thirty-two bytes".to_vec()).unwrap(),
        base_url: Some("https://clinic.example".into()),
        pace: std::time::Duration::ZERO,
        throttle_retries: 3,
        clock: OffsetDateTime::now_utc,
    });
    reset_peak_rss();
    let send_rss_before = peak_rss_kib();
    let t = Instant::now();
    // Two senders at once, as the event source's MaximumConcurrency allows; batches
    // are read from the spool a line at a time.
    let lines = {
        use std::io::BufRead;
        std::io::BufReader::new(std::fs::File::open(&spool_path).unwrap()).lines()
    };
    let sent: u64 = futures::stream::iter(lines)
        .map(|line| {
            let sender = sender.clone();
            async move {
                let batch: Batch = serde_json::from_str(&line.unwrap()).unwrap();
                // A batch whose store call failed is redelivered, as SQS does; the
                // ledger skips the mails it sent before failing.
                let mut sent = 0;
                for attempt in 0.. {
                    match sender.deliver(&batch).await {
                        Ok(report) => {
                            sent += report.sent;
                            break;
                        }
                        Err(e) if attempt < 5 => {
                            eprintln!("batch redelivered after: {e}");
                        }
                        Err(e) => panic!("batch failed 6 times: {e}"),
                    }
                }
                sent
            }
        })
        .buffer_unordered(2)
        .fold(0u64, |sum, sent| async move { sum + sent })
        .await;
    let sending = t.elapsed();
    let counts = ledger.counts(&post.slug).await.unwrap();
    assert_eq!(
        counts.sent, n as u64,
        "every recipient sent once ({sent} reported by final deliveries)"
    );
    let writes = calls.writes.load(Ordering::Relaxed);
    let reads = calls.reads.load(Ordering::Relaxed);
    let _ = std::fs::remove_file(&spool_path);
    println!(
        "N={n}: planning {:.2}s ({batch_count} batches, {plan_queries} queries, {plan_writes} writes, peak RSS {rss_before} -> {plan_rss} KiB); \
         sending {:.1}s ({:.0} mails/s, {} in flight per sender, peak RSS {send_rss_before} -> {} KiB); \
         SES calls {}; DynamoDB per recipient: {:.2} writes, {:.2} reads",
        planning.as_secs_f64(),
        sending.as_secs_f64(),
        n as f64 / sending.as_secs_f64(),
        lambdapress::newsletter::SENDS_IN_FLIGHT,
        peak_rss_kib(),
        ses_calls.load(Ordering::Relaxed),
        writes as f64 / n as f64,
        reads as f64 / n as f64,
    );
}
