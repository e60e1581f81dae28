//! The subscriber store, rate counter and mailer adapters: the embedded ones always,
//! the AWS ones against moto's server.

use lambdapress::adapters::{SesMailer, SqliteSubscribers};
use lambdapress::ports::{Mail, Mailer};
use lambdapress_tests::sample::ScratchDir;
use lambdapress_tests::{moto, subscribers_contract as contract};
use std::sync::Arc;

#[tokio::test]
async fn sqlite_subscriber_store_meets_the_contract() {
    contract::subscriber_store(&SqliteSubscribers::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_subscriber_store_persists_beside_the_post_index() {
    let dir = ScratchDir::new();
    let path = dir.0.join("lambdapress.sqlite");
    let _index = lambdapress::adapters::SqlitePostIndex::open(&path).unwrap();
    contract::subscriber_store(&SqliteSubscribers::open(&path).unwrap()).await;
    assert!(path.exists());
}

#[tokio::test]
async fn sqlite_rate_counter_meets_the_contract() {
    contract::rate_counter(&SqliteSubscribers::in_memory().unwrap()).await;
}

#[tokio::test]
async fn dynamodb_subscriber_store_meets_the_contract() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    contract::subscriber_store(&moto::dynamo_subscribers(&endpoint).await).await;
}

#[tokio::test]
async fn dynamodb_rate_counter_meets_the_contract() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    contract::rate_counter(&moto::dynamo_subscribers(&endpoint).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_signups_leave_one_sqlite_record_per_address() {
    let dir = ScratchDir::new();
    let store = SqliteSubscribers::open(&dir.0.join("lambdapress.sqlite")).unwrap();
    contract::concurrent_signups(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_signups_leave_one_dynamodb_item_per_address() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    contract::concurrent_signups(Arc::new(moto::dynamo_subscribers(&endpoint).await)).await;
}

#[tokio::test]
async fn ses_mailer_sends_through_sesv2() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let config = moto::sdk_config(&endpoint).await;
    let client = lambdapress::aws::sesv2_client(&config);
    // SES only sends from a verified identity; moto checks that too.
    let domain = format!("{}.example", moto::unique_name("sender"));
    client
        .create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .expect("moto creates the identity");
    let mailer = SesMailer::new(client, format!("Clinic <news@{domain}>"));
    let subject = moto::unique_name("Confirm your subscription");
    let mail = Mail {
        to: "ann@example.com".into(),
        subject: subject.clone(),
        text: "Open https://clinic.example/subscribe/confirm?token=abc".into(),
        html: None,
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://clinic.example/unsubscribe?token=def>".into(),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    };
    let id = mailer.send(&mail).await.expect("SES accepts the message");
    assert!(!id.is_empty());

    // moto keeps what it sent (headers aside); its state dump shows the message.
    let dump = moto::state_dump(&endpoint).await;
    let sent = dump["ses"]["Message"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["id"] == id.as_str()))
        .unwrap_or_else(|| panic!("moto recorded no message {id}"));
    assert_eq!(sent["subject"], subject.as_str());
    assert_eq!(sent["source"], format!("Clinic <news@{domain}>").as_str());
    assert_eq!(sent["destinations"]["ToAddresses"][0], "ann@example.com");
    assert!(sent["body"]
        .as_str()
        .unwrap()
        .contains("/subscribe/confirm?token=abc"));

    let unverified = SesMailer::new(
        lambdapress::aws::sesv2_client(&config),
        "someone@not-verified.example",
    );
    assert!(
        unverified.send(&mail).await.is_err(),
        "an unverified sender is refused"
    );
}
