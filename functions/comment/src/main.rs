//! The comment function: visitors' comments and the owner's moderation links over API
//! Gateway. Wiring only; the handler is `lambdapress::comments::CommentFunction`.

use lambda_http::{run, service_fn, Error, Request};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content, SesMailer};
use lambdapress::aws::{dynamodb_client, load_sdk_config, required_env, s3_client};
use lambdapress::comments::{CommentFunction, CommentOptions};
use lambdapress::domain::Secret;
use lambdapress::site::{Site, SiteOptions};
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .without_time()
        .with_target(false)
        .init();
    let bucket = required_env("CONTENT_BUCKET")?;
    let table = required_env("TABLE_NAME")?;
    let sender = required_env("SENDER_EMAIL")?;
    let secret = Secret::from_env()?;
    let config = load_sdk_config().await;
    let dynamodb = dynamodb_client(&config);
    let comments = Arc::new(DynamoCommentStore::new(dynamodb.clone(), table.clone()));
    let site = Arc::new(Site::new(
        Arc::new(S3Content::new(s3_client(&config), bucket)),
        Arc::new(DynamoPostIndex::new(dynamodb, table)),
        comments.clone(),
        SiteOptions {
            base_url: std::env::var("SITE_URL").ok().filter(|u| !u.is_empty()),
            ..SiteOptions::default()
        },
    ));
    let function = Arc::new(CommentFunction::new(
        site,
        comments,
        Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config), sender)),
        secret,
        CommentOptions {
            owner_email: std::env::var("OWNER_EMAIL").ok().filter(|e| !e.is_empty()),
        },
    ));
    run(service_fn(move |req: Request| {
        let function = function.clone();
        async move { Ok::<_, Infallible>(function.serve(&req).await) }
    }))
    .await
}
