//! The comment function: visitors' comments and the owner's moderation links over API
//! Gateway. Wiring only; the handler is `lambdapress::comments::CommentFunction`.

use lambda_http::{run, service_fn, Error, Request};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content, SesMailer};
use lambdapress::aws::{
    dynamodb_client, init_lambda_logging, load_sdk_config, optional_env, required_env, s3_client,
};
use lambdapress::comments::{CommentFunction, CommentOptions};
use lambdapress::http::origin_lock::OriginLock;
use lambdapress::site::{Site, SiteOptions};
use std::convert::Infallible;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_lambda_logging();
    let bucket = required_env("CONTENT_BUCKET")?;
    let table = required_env("TABLE_NAME")?;
    let sender = required_env("SENDER_EMAIL")?;
    let config = load_sdk_config().await;
    // Fetched once from Secrets Manager (SECRET_ARN), held for the process.
    let secret = lambdapress::aws::secrets::secret_from_env_arn(&config).await?;
    let dynamodb = dynamodb_client(&config);
    let comments = Arc::new(DynamoCommentStore::new(dynamodb.clone(), table.clone()));
    let site = Arc::new(Site::new(
        Arc::new(S3Content::new(s3_client(&config), bucket)),
        Arc::new(DynamoPostIndex::new(dynamodb, table)),
        comments.clone(),
        SiteOptions {
            base_url: optional_env("SITE_URL"),
            ..SiteOptions::default()
        },
    ));
    site.warm_up().await;
    let function = Arc::new(CommentFunction::new(
        site,
        comments,
        Arc::new(
            SesMailer::new(aws_sdk_sesv2::Client::new(&config), sender)
                .with_configuration_set(optional_env("SES_CONFIGURATION_SET")),
        ),
        secret,
        CommentOptions {
            owner_email: optional_env("OWNER_EMAIL"),
        },
    ));
    // Behind CloudFront only requests with its secret header are served (template.yaml).
    let lock = OriginLock::from_env();
    run(service_fn(move |mut req: Request| {
        let function = function.clone();
        let admitted = lock.admit(&mut req);
        async move {
            Ok::<_, Infallible>(match admitted {
                None => function.serve(&req).await,
                Some(refused) => lambdapress::http::security::secure(&req, None, refused),
            })
        }
    }))
    .await
}
