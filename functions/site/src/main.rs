//! The site function: article pages, listings and feeds over API Gateway.
//! Wiring only; the handler is `lambdapress::site::Site`.

use lambda_http::{run, service_fn, Error, Request};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content};
use lambdapress::aws::{
    dynamodb_client, init_lambda_logging, load_sdk_config, optional_env, required_env, s3_client,
};
use lambdapress::http::origin_lock::OriginLock;
use lambdapress::site::{Site, SiteOptions};
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_lambda_logging();
    let bucket = required_env("CONTENT_BUCKET")?;
    let table = required_env("TABLE_NAME")?;
    let config = load_sdk_config().await;
    let dynamodb = dynamodb_client(&config);
    let site = Arc::new(Site::new(
        Arc::new(S3Content::new(s3_client(&config), bucket)),
        Arc::new(DynamoPostIndex::new(dynamodb.clone(), table.clone())),
        Arc::new(DynamoCommentStore::new(dynamodb, table)),
        SiteOptions {
            base_url: optional_env("SITE_URL"),
            ..SiteOptions::default()
        },
    ));
    site.warm_up().await;
    // Behind CloudFront only requests with its secret header are served (template.yaml).
    let lock = OriginLock::from_env();
    run(service_fn(move |mut req: Request| {
        let site = site.clone();
        let admitted = lock.admit(&mut req);
        async move {
            Ok::<_, Infallible>(match admitted {
                None => site.handle(&req).await,
                Some(refused) => lambdapress::http::security::secure(&req, None, refused),
            })
        }
    }))
    .await
}
