//! The newsletter sender: SQS batches of recipients, each mailed once through SES v2 at
//! the account's send rate; and SES's bounce and complaint events (SNS), which mark the
//! subscriber. Wiring only; the handlers are `lambdapress::newsletter::{sqs, mail_events}`.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lambdapress::adapters::{DynamoSubscribers, S3Content, SesMailer};
use lambdapress::aws::{
    dynamodb_client, init_lambda_logging, load_sdk_config, optional_env, required_env, s3_client,
    sesv2_client,
};
use lambdapress::newsletter::dynamodb::DynamoNewsletters;
use lambdapress::newsletter::mail_events::{handle_sns_event, is_sns_event};
use lambdapress::newsletter::sqs::{handle_sqs_event, send_pace};
use lambdapress::newsletter::Sender;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_lambda_logging();
    let bucket = required_env("CONTENT_BUCKET")?;
    let table = required_env("TABLE_NAME")?;
    let from = required_env("SENDER_EMAIL")?;
    // The event source's MaximumConcurrency: that many senders share the SES rate.
    let concurrency = optional_env("SENDER_CONCURRENCY")
        .and_then(|c| c.parse().ok())
        .unwrap_or(2);
    let config = load_sdk_config().await;
    let dynamodb = dynamodb_client(&config);
    let ses = sesv2_client(&config);
    let pace = send_pace(&ses, concurrency).await;
    let sender = Arc::new(Sender {
        content: Arc::new(S3Content::new(s3_client(&config), bucket)),
        subscribers: Arc::new(DynamoSubscribers::new(dynamodb.clone(), table.clone())),
        store: Arc::new(DynamoNewsletters::new(dynamodb, table)),
        mailer: Arc::new(SesMailer::new(ses, from)),
        // Fetched once from Secrets Manager (SECRET_ARN), held for the process.
        secret: lambdapress::aws::secrets::secret_from_env_arn(&config).await?,
        base_url: optional_env("SITE_URL"),
        pace,
        throttle_retries: 3,
        clock: time::OffsetDateTime::now_utc,
    });
    run(service_fn(move |event: LambdaEvent<Value>| {
        let sender = sender.clone();
        async move {
            if is_sns_event(&event.payload) {
                let now = time::OffsetDateTime::now_utc();
                let report =
                    handle_sns_event(sender.subscribers.as_ref(), &event.payload, now).await?;
                return Ok::<_, Error>(serde_json::to_value(report)?);
            }
            Ok::<_, Error>(handle_sqs_event(&sender, event.payload).await)
        }
    }))
    .await
}
