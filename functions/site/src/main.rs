//! The site function: article pages, listings and feeds over API Gateway.
//! Wiring only; the handler is `lambdapress::site::Site`.

use lambda_http::{run, service_fn, Error, Request};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content};
use lambdapress::aws::{dynamodb_client, load_sdk_config, required_env, s3_client};
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
    let config = load_sdk_config().await;
    let dynamodb = dynamodb_client(&config);
    let site = Arc::new(Site::new(
        Arc::new(S3Content::new(s3_client(&config), bucket)),
        Arc::new(DynamoPostIndex::new(dynamodb.clone(), table.clone())),
        Arc::new(DynamoCommentStore::new(dynamodb, table)),
        SiteOptions {
            base_url: std::env::var("SITE_URL").ok().filter(|u| !u.is_empty()),
            ..SiteOptions::default()
        },
    ));
    run(service_fn(move |req: Request| {
        let site = site.clone();
        async move { Ok::<_, Infallible>(site.handle(&req).await) }
    }))
    .await
}
