//! The signing keys from Secrets Manager (moto, real SDK): the functions' init step reads
//! the secret named by `SECRET_ARN`, a rotation written as a new version keeps old links
//! and stored hashes, and a missing or malformed secret is an init error, never a panic.

use lambdapress::aws::secrets::{load_secret, secretsmanager_client, store_secret};
use lambdapress::domain::{SecretError, TokenError};
use lambdapress_tests::moto;
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn the_key_ring_is_read_from_secrets_manager_and_survives_a_rotation() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let config = moto::sdk_config(&endpoint).await;
    let client = secretsmanager_client(&config);
    let name = moto::unique_name("site-secret");
    // What the stack generates: a plain 64-character string (key k0).
    let generated = "a".repeat(20) + &"b".repeat(44);
    store_secret(&client, &name, &generated).await.unwrap();
    let first = load_secret(&client, &name).await.unwrap();
    assert_eq!(first.current_key_id(), "k0");

    let now = OffsetDateTime::now_utc();
    let token = first.sign("unsubscribe", "ann@example.com", now + Duration::days(1));
    let hash = first.keyed_hash("client-address", "198.51.100.23");

    // Rotation: a new AWSCURRENT version whose previous key is the old one.
    let rotated = first
        .rotated("k1", "rotated-key-rotated-key-rotated-key-0123")
        .unwrap();
    store_secret(&client, &name, &rotated).await.unwrap();
    let second = load_secret(&client, &name).await.unwrap();
    assert_eq!(second.current_key_id(), "k1");
    assert_eq!(
        second.verify("unsubscribe", &token, now).unwrap(),
        "ann@example.com",
        "a link mailed before the rotation still works"
    );
    assert_eq!(second.keyed_hash("client-address", "198.51.100.23"), hash);
    let new_token = second.sign("unsubscribe", "ann@example.com", now + Duration::days(1));
    assert!(new_token.starts_with("k1."));
    assert_eq!(
        first.verify("unsubscribe", &new_token, now),
        Err(TokenError::UnknownKey)
    );

    // The functions' init reads SECRET_ARN (here the secret's ARN, as the template passes).
    let arn = client
        .describe_secret()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let by_arn = load_secret(&client, &arn).await.unwrap();
    assert_eq!(by_arn.current_key_id(), "k1");
}

#[tokio::test]
async fn a_missing_or_malformed_secret_is_an_init_error() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let config = moto::sdk_config(&endpoint).await;
    let client = secretsmanager_client(&config);
    let missing = load_secret(&client, &moto::unique_name("no-such-secret")).await;
    assert!(
        matches!(missing, Err(SecretError::Unavailable(_))),
        "{missing:?}"
    );
    let name = moto::unique_name("bad-secret");
    store_secret(&client, &name, r#"{"id":"k1","key":"short"}"#)
        .await
        .unwrap();
    assert_eq!(
        load_secret(&client, &name).await.unwrap_err(),
        SecretError::TooShort
    );
}
