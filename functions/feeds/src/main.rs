//! The feeds function: S3 events for `posts/`, DynamoDB stream batches of comment
//! changes, the hourly schedule and `{"rebuild": "all"}` keep the post index, the feeds
//! and the sitemap current. Wiring only; the handler is `lambdapress::feeds::Feeds`.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, DynamoSubscribers, S3Content};
use lambdapress::aws::{
    dynamodb_client, init_lambda_logging, load_sdk_config, optional_env, required_env, s3_client,
    sqs_client,
};
use lambdapress::feeds::{Feeds, FeedsOptions};
use lambdapress::newsletter::dynamodb::DynamoNewsletters;
use lambdapress::newsletter::sqs::SqsQueue;
use lambdapress::newsletter::Planner;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_lambda_logging();
    let bucket = required_env("CONTENT_BUCKET")?;
    let table = required_env("TABLE_NAME")?;
    let config = load_sdk_config().await;
    let dynamodb = dynamodb_client(&config);
    let content = Arc::new(S3Content::new(s3_client(&config), bucket));
    let mut feeds = Feeds::new(
        content.clone(),
        Arc::new(DynamoPostIndex::new(dynamodb.clone(), table.clone())),
    )
    .with_comments(Arc::new(DynamoCommentStore::new(
        dynamodb.clone(),
        table.clone(),
    )))
    .with_options(FeedsOptions {
        base_url: optional_env("SITE_URL"),
        ..FeedsOptions::default()
    });
    if let Some(queue_url) = optional_env("NEWSLETTER_QUEUE_URL") {
        feeds = feeds.with_newsletter(Arc::new(Planner {
            content,
            subscribers: Arc::new(DynamoSubscribers::new(dynamodb.clone(), table.clone())),
            store: Arc::new(DynamoNewsletters::new(dynamodb, table)),
            queue: Arc::new(SqsQueue::new(sqs_client(&config), queue_url)),
        }));
    }
    let feeds = Arc::new(feeds);
    // A rebuild out of time re-queues its continuation here; the queue invokes us again.
    let rebuild_queue = optional_env("REBUILD_QUEUE_URL")
        .map(|url| Arc::new(SqsQueue::new(sqs_client(&config), url)));
    run(service_fn(move |event: LambdaEvent<Value>| {
        let (feeds, rebuild_queue) = (feeds.clone(), rebuild_queue.clone());
        async move {
            let left = event
                .context
                .deadline()
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            let mut out = feeds
                .handle_until(event.payload, Instant::now() + left)
                .await?;
            if let Some(next) = out.get_mut("continue_with").map(Value::take) {
                let Some(queue) = &rebuild_queue else {
                    return Err(Error::from(
                        "a rebuild ran out of time and REBUILD_QUEUE_URL is unset",
                    ));
                };
                // Failing here fails the invocation: the chunk is redone, never skipped.
                queue.send(next.to_string()).await?;
                out["continue_with"] = next;
            }
            Ok::<Value, Error>(out)
        }
    }))
    .await
}
