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
    // 200 signups at once: with the SDK's standard retries, as the functions have them
    // (moto's threaded server answers a few concurrent writes with HTTP 500).
    let (_, table) = moto::fresh_table(&endpoint).await;
    let config = moto::sdk_config(&endpoint)
        .await
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::standard())
        .build();
    let store = lambdapress::adapters::DynamoSubscribers::new(
        lambdapress::aws::dynamodb_client(&config),
        table,
    );
    contract::concurrent_signups(Arc::new(store)).await;
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

/// The owner's export and erasure, on whichever store the CLI points at.
async fn export_and_erase(store: &dyn lambdapress::ports::SubscriberStore) {
    use lambdapress::ports::Signup;
    use lambdapress_infra::subscribers::{erase, export_csv};
    let t0 = time::macros::datetime!(2024-03-12 09:00 UTC);
    for (n, address) in ["Ann@Example.com", "bob@example.org", "carol@example.net"]
        .iter()
        .enumerate()
    {
        let signup = Signup {
            email: contract::email(address),
            source: "/posts/what-are-muscle-knots".into(),
            client_hash: "ab12".into(),
            at: t0 + time::Duration::minutes(n as i64),
        };
        store
            .sign_up(&signup, time::Duration::hours(1))
            .await
            .unwrap();
    }
    for address in ["ann@example.com", "bob@example.org"] {
        store
            .confirm(&contract::email(address), t0 + time::Duration::hours(1))
            .await
            .unwrap();
    }
    assert_eq!(
        export_csv(store).await.unwrap(),
        "email,confirmed_at,signed_up_at,source,status,left_at\r\n\
         Ann@Example.com,2024-03-12T10:00:00Z,2024-03-12T09:00:00Z,/posts/what-are-muscle-knots,confirmed,\r\n\
         bob@example.org,2024-03-12T10:00:00Z,2024-03-12T09:01:00Z,/posts/what-are-muscle-knots,confirmed,\r\n",
        "confirmed subscribers only, oldest first"
    );
    assert!(erase(store, &contract::email("ANN@example.com"))
        .await
        .unwrap());
    assert_eq!(
        store
            .get(&contract::email("ann@example.com"))
            .await
            .unwrap(),
        None
    );
    assert!(!export_csv(store).await.unwrap().contains("Ann@"));
    assert!(!erase(store, &contract::email("ann@example.com"))
        .await
        .unwrap());
}

#[tokio::test]
async fn the_owner_exports_confirmed_subscribers_and_erases_one_locally() {
    export_and_erase(&SqliteSubscribers::in_memory().unwrap()).await;
}

#[tokio::test]
async fn the_owner_exports_confirmed_subscribers_and_erases_one_on_dynamodb() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    export_and_erase(&moto::dynamo_subscribers(&endpoint).await).await;
}
