//! Contract suites of the subscriber store and the rate counter, and the concurrent
//! signup run every subscriber adapter must survive.

use crate::fixtures::http_api_from;
use crate::mail::RecordingMailer;
use lambdapress::domain::{Secret, SubscriberEmail};
use lambdapress::http::HttpFunction;
use lambdapress::ports::{
    ConfirmOutcome, RateCounter, Signup, SignupOutcome, SubscriberStore, SubscriptionStatus,
};
use lambdapress::subscribe::{Subscribe, SubscribeOptions};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

fn signup(address: &str, source: &str, at: OffsetDateTime) -> Signup {
    Signup {
        email: email(address),
        source: source.into(),
        client_hash: "5f0c1e".into(),
        at,
    }
}

/// Signup, resend spacing, confirm, unsubscribe, fresh opt-in, export and erasure.
pub async fn subscriber_store(store: &dyn SubscriberStore) {
    let hour = Duration::hours(1);
    let t0 = datetime!(2024-03-12 09:00 UTC);
    let ann = email("Ann.Lee@Example.com");

    assert_eq!(store.get(&ann).await.unwrap(), None);
    assert_eq!(
        store
            .sign_up(&signup("Ann.Lee@Example.com", "/posts/a", t0), hour)
            .await
            .unwrap(),
        SignupOutcome::Created
    );
    // The handler reports each mail it sent: the claim then holds for the hour.
    store.confirmation_sent(&ann, t0).await.unwrap();
    let pending = store.get(&ann).await.unwrap().expect("a pending record");
    assert_eq!(pending.status, SubscriptionStatus::Pending);
    assert_eq!(
        pending.email.as_str(),
        "Ann.Lee@Example.com",
        "mail goes where it was typed"
    );
    assert_eq!(pending.signed_up_at, t0);
    assert_eq!(pending.confirmation_sent_at, Some(t0));
    assert_eq!(pending.confirmed_at, None);
    assert_eq!(pending.source, "/posts/a");
    assert_eq!(pending.client_hash, "5f0c1e");

    // Another case of the same address is the same subscriber; mails are spaced an hour.
    let later = |mins| t0 + Duration::minutes(mins);
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.COM", "/posts/b", later(10)), hour)
            .await
            .unwrap(),
        SignupOutcome::Unchanged
    );
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.com", "/posts/b", later(60)), hour)
            .await
            .unwrap(),
        SignupOutcome::ResendConfirmation
    );
    store.confirmation_sent(&ann, later(60)).await.unwrap();
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.com", "/posts/b", later(61)), hour)
            .await
            .unwrap(),
        SignupOutcome::Unchanged
    );
    let resent = store.get(&ann).await.unwrap().unwrap();
    assert_eq!(resent.confirmation_sent_at, Some(later(60)));
    assert_eq!(resent.signed_up_at, t0, "the evidence is the first signup");
    assert_eq!(resent.source, "/posts/a");
    assert!(store.confirmed().await.unwrap().is_empty());

    // A failed mail releases its claim, and only its own: the retry sends at once.
    store.confirmation_not_sent(&ann, later(59)).await.unwrap();
    assert_eq!(
        store.get(&ann).await.unwrap().unwrap().confirmation_sent_at,
        Some(later(60)),
        "another request's claim stands"
    );
    store.confirmation_not_sent(&ann, later(60)).await.unwrap();
    assert_eq!(
        store.get(&ann).await.unwrap().unwrap().confirmation_sent_at,
        None
    );
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.com", "/posts/b", later(62)), hour)
            .await
            .unwrap(),
        SignupOutcome::ResendConfirmation
    );

    // A claim whose mail was never reported (a fault after the write) lapses after
    // CLAIM_LEASE, so the retry sends it; a reported one holds the hour.
    {
        use lambdapress::ports::subscribers::CLAIM_LEASE;
        let dora = SubscriberEmail::parse("dora@example.com").unwrap();
        let at = |d: Duration| signup("dora@example.com", "/", t0 + d);
        assert_eq!(
            store.sign_up(&at(Duration::ZERO), hour).await.unwrap(),
            SignupOutcome::Created
        );
        assert_eq!(
            store
                .sign_up(&at(CLAIM_LEASE - Duration::seconds(1)), hour)
                .await
                .unwrap(),
            SignupOutcome::Unchanged,
            "an unreported claim holds for its lease"
        );
        assert_eq!(
            store.sign_up(&at(CLAIM_LEASE), hour).await.unwrap(),
            SignupOutcome::ResendConfirmation,
            "then it lapses"
        );
        store.confirmation_sent(&dora, t0).await.unwrap();
        assert_eq!(
            store.sign_up(&at(CLAIM_LEASE * 2), hour).await.unwrap(),
            SignupOutcome::ResendConfirmation,
            "reporting an older claim does not report the newer one"
        );
        store
            .confirmation_sent(&dora, t0 + CLAIM_LEASE * 2)
            .await
            .unwrap();
        assert_eq!(
            store.sign_up(&at(CLAIM_LEASE * 4), hour).await.unwrap(),
            SignupOutcome::Unchanged,
            "a reported claim holds the hour"
        );
        assert!(store.erase(&dora).await.unwrap());
        assert_eq!(
            store.sign_up(&at(CLAIM_LEASE * 5), hour).await.unwrap(),
            SignupOutcome::Created
        );
        assert!(store.erase(&dora).await.unwrap());
    }

    // Confirming stamps the time once; twice is harmless.
    assert_eq!(
        store.confirm(&ann, later(90)).await.unwrap(),
        ConfirmOutcome::Confirmed
    );
    assert_eq!(
        store.confirm(&ann, later(95)).await.unwrap(),
        ConfirmOutcome::AlreadyConfirmed
    );
    let confirmed = store.get(&ann).await.unwrap().unwrap();
    assert_eq!(confirmed.status, SubscriptionStatus::Confirmed);
    assert_eq!(confirmed.confirmed_at, Some(later(90)));
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.com", "/", later(600)), hour)
            .await
            .unwrap(),
        SignupOutcome::Unchanged,
        "a confirmed address gets no mail"
    );

    // Export lists confirmed subscribers, oldest signup first.
    let bob = email("bob@example.org");
    store
        .sign_up(&signup("bob@example.org", "/", t0 - hour), hour)
        .await
        .unwrap();
    store
        .sign_up(&signup("carol@example.net", "/", later(1)), hour)
        .await
        .unwrap();
    store.confirm(&bob, later(100)).await.unwrap();
    let listed: Vec<String> = store
        .confirmed()
        .await
        .unwrap()
        .iter()
        .map(|s| s.email.key().to_owned())
        .collect();
    assert_eq!(listed, ["bob@example.org", "ann.lee@example.com"]);

    // Unsubscribed records are kept; a late confirm link does not revive them.
    assert!(store.unsubscribe(&ann, later(120)).await.unwrap());
    assert!(!store.unsubscribe(&ann, later(121)).await.unwrap());
    let gone = store.get(&ann).await.unwrap().expect("kept as evidence");
    assert_eq!(gone.status, SubscriptionStatus::Unsubscribed);
    assert_eq!(gone.unsubscribed_at, Some(later(120)));
    assert_eq!(
        store.confirm(&ann, later(122)).await.unwrap(),
        ConfirmOutcome::Unsubscribed
    );
    assert_eq!(store.confirmed().await.unwrap().len(), 1);

    // A new signup after unsubscribing is a fresh opt-in with fresh evidence.
    assert_eq!(
        store
            .sign_up(&signup("ann.lee@example.com", "/posts/c", later(130)), hour)
            .await
            .unwrap(),
        SignupOutcome::Created
    );
    let fresh = store.get(&ann).await.unwrap().unwrap();
    assert_eq!(fresh.status, SubscriptionStatus::Pending);
    assert_eq!(fresh.signed_up_at, later(130));
    assert_eq!(fresh.confirmed_at, None);
    assert_eq!(fresh.unsubscribed_at, None);
    assert_eq!(fresh.source, "/posts/c");

    // Unknown addresses change nothing; erasure removes the record completely.
    let nobody = email("nobody@example.com");
    assert_eq!(
        store.confirm(&nobody, t0).await.unwrap(),
        ConfirmOutcome::Missing
    );
    assert!(!store.unsubscribe(&nobody, t0).await.unwrap());
    assert_eq!(store.get(&nobody).await.unwrap(), None);
    assert!(store.erase(&ann).await.unwrap());
    assert_eq!(store.get(&ann).await.unwrap(), None);
    assert!(!store.erase(&ann).await.unwrap());
    assert_eq!(
        store.confirm(&ann, t0).await.unwrap(),
        ConfirmOutcome::Missing
    );
}

/// Fixed windows: each key and each window counts on its own.
pub async fn rate_counter(counter: &dyn RateCounter) {
    let w0 = datetime!(2024-03-12 09:00 UTC);
    let w1 = w0 + Duration::minutes(10);
    let expires = |w: OffsetDateTime| w + Duration::minutes(10);
    for n in 1..=3 {
        assert_eq!(counter.hit("signup#aa", w0, expires(w0)).await.unwrap(), n);
    }
    assert_eq!(counter.hit("signup#bb", w0, expires(w0)).await.unwrap(), 1);
    assert_eq!(counter.hit("signup#aa", w1, expires(w1)).await.unwrap(), 1);
    assert_eq!(counter.hit("signup#aa", w1, expires(w1)).await.unwrap(), 2);
}

pub fn test_secret() -> Secret {
    Secret::new(*b"test-secret-test-secret-test-sec").unwrap()
}

/// 200 concurrent signups for 150 distinct addresses (50 of them twice, in another
/// case): every request is answered 2xx, one record and one mail each.
pub async fn concurrent_signups<S>(store: Arc<S>)
where
    S: SubscriberStore + RateCounter + 'static,
{
    let mailer = Arc::new(RecordingMailer::default());
    let subscribe = Arc::new(Subscribe::new(
        store.clone(),
        store.clone(),
        mailer.clone(),
        test_secret(),
        SubscribeOptions {
            base_url: Some("https://clinic.example".into()),
            ..SubscribeOptions::default()
        },
    ));
    let mut requests = Vec::new();
    for i in 0..150 {
        requests.push(format!("reader{i}@example.com"));
    }
    for i in 0..50 {
        requests.push(format!("Reader{i}@Example.com"));
    }
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(n, address)| {
            let subscribe = subscribe.clone();
            tokio::spawn(async move {
                // One client address per request: this run is about duplicates, not
                // the rate limit.
                let ip = format!("203.0.{}.{}", n / 250, n % 250 + 1);
                let request = http_api_from(
                    &ip,
                    "POST",
                    "/subscribe",
                    &[("content-type", "application/json")],
                    &serde_json::json!({ "email": address, "source": "/" }).to_string(),
                );
                subscribe.handle(&request).await.status().as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("the request task completes"))
        .collect();
    assert_eq!(statuses.len(), 200);
    assert!(
        statuses.iter().all(|s| *s == 202),
        "every signup is answered 202 Accepted: {statuses:?}"
    );
    assert_eq!(mailer.count(), 150, "one confirmation mail per address");
    // Confirming every address and listing the confirmed shows each exactly once.
    let now = OffsetDateTime::now_utc();
    for i in 0..150 {
        let outcome = store
            .confirm(&email(&format!("reader{i}@example.com")), now)
            .await
            .unwrap();
        assert_eq!(outcome, ConfirmOutcome::Confirmed, "reader{i}");
    }
    assert_eq!(store.confirmed().await.unwrap().len(), 150);
}
