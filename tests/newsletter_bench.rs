//! Benchmark (ignored by default): plan and send one newsletter to N confirmed
//! subscribers on moto (DynamoDB, S3, SES v2), counting store and SES calls.
//!
//!   NEWSLETTER_BENCH_N=10000 cargo test -p lambdapress-tests --test newsletter_bench -- --ignored --nocapture

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
};
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
}

#[derive(Default)]
struct Collect(Mutex<Vec<Batch>>);

#[async_trait]
impl BatchQueue for Collect {
    async fn enqueue(&self, b: &Batch) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(b.clone());
        Ok(())
    }
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
    s3.put_object()
        .bucket(&bucket)
        .key("site.toml")
        .body(settings.into())
        .send()
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let date = (now - Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let source =
        std::fs::read_to_string(sample_content_dir().join("posts/what-are-muscle-knots.md"))
            .unwrap()
            .replace("date = 2024-03-12T09:00:00Z", &format!("date = {date}"));
    s3.put_object()
        .bucket(&bucket)
        .key("posts/bench.md")
        .body(source.clone().into_bytes().into())
        .send()
        .await
        .unwrap();
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
    futures::stream::iter(0..n)
        .map(|i| {
            let raw = raw.clone();
            async move {
                let email = SubscriberEmail::parse(&format!("reader{i}@example.com")).unwrap();
                let at = now - Duration::days(10);
                let signup = Signup {
                    email: email.clone(),
                    source: "/".into(),
                    client_hash: "h".into(),
                    at,
                };
                raw.sign_up(&signup, Duration::hours(1)).await.unwrap();
                raw.confirm(&email, at).await.unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
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
    let queue = Arc::new(Collect::default());
    let content = Arc::new(content);
    let planner = Planner {
        content: content.clone(),
        subscribers: subscribers.clone(),
        store: ledger.clone(),
        queue: queue.clone(),
    };
    let post = Post::parse(Slug::parse("bench").unwrap(), &source).unwrap();
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    planner.post_published(&post, now).await.unwrap();
    let planning = t.elapsed();
    let batches = std::mem::take(&mut *queue.0.lock().unwrap());
    let plan_queries = calls.queries.load(Ordering::Relaxed);
    let plan_writes = calls.writes.swap(0, Ordering::Relaxed);

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
    let t = Instant::now();
    // Two senders at once, as the event source's MaximumConcurrency allows.
    let sent: u64 = futures::stream::iter(batches.iter())
        .map(|b| {
            let sender = sender.clone();
            async move { sender.deliver(b).await.unwrap().sent }
        })
        .buffer_unordered(2)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    let sending = t.elapsed();
    let counts = ledger.counts(&post.slug).await.unwrap();
    assert_eq!((sent, counts.sent), (n as u64, n as u64));
    let writes = calls.writes.load(Ordering::Relaxed);
    let reads = calls.reads.load(Ordering::Relaxed);
    println!(
        "N={n}: planning {:.2}s ({} batches, {plan_queries} queries, {plan_writes} writes); sending {:.1}s ({:.0} mails/s); \
         SES calls {}; DynamoDB per recipient: {:.2} writes, {:.2} reads; peak RSS {} KiB before planning, {} KiB after sending",
        planning.as_secs_f64(),
        batches.len(),
        sending.as_secs_f64(),
        n as f64 / sending.as_secs_f64(),
        ses_calls.load(Ordering::Relaxed),
        writes as f64 / n as f64,
        reads as f64 / n as f64,
        rss_before,
        peak_rss_kib()
    );
}
