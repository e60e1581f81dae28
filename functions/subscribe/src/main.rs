//! The subscribe function: signup, confirm and one-click unsubscribe over API Gateway.
//! Wiring only; the handler is `lambdapress::subscribe::Subscribe`.

use lambda_http::{run, service_fn, Error, Request};
use lambdapress::adapters::{DynamoSubscribers, S3Content, SesMailer};
use lambdapress::aws::{
    dynamodb_client, init_lambda_logging, load_sdk_config, optional_env, required_env, s3_client,
    sesv2_client,
};
use lambdapress::http::origin_lock::OriginLock;
use lambdapress::http::HttpFunction;
use lambdapress::subscribe::{site_chrome, Subscribe, SubscribeOptions};
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
    let store = Arc::new(DynamoSubscribers::new(dynamodb_client(&config), table));
    // The title for pages and mail subjects, read once; the site's settings own it.
    let site_url = optional_env("SITE_URL");
    // The settings at init: the pages' and the mail's language, title and look.
    let chrome = site_chrome(
        &S3Content::new(s3_client(&config), bucket),
        site_url.as_deref(),
    )
    .await;
    let subscribe = Arc::new(Subscribe::new(
        store.clone(),
        store,
        Arc::new(
            SesMailer::new(sesv2_client(&config), sender)
                .with_configuration_set(optional_env("SES_CONFIGURATION_SET")),
        ),
        secret,
        SubscribeOptions {
            base_url: site_url,
            chrome,
            ..SubscribeOptions::default()
        },
    ));
    // Behind CloudFront only requests with its secret header are served (template.yaml).
    let lock = OriginLock::from_env();
    run(service_fn(move |mut req: Request| {
        let subscribe = subscribe.clone();
        let admitted = lock.admit(&mut req);
        async move {
            Ok::<_, Infallible>(match admitted {
                None => subscribe.handle(&req).await,
                Some(refused) => lambdapress::http::security::secure(&req, None, refused),
            })
        }
    }))
    .await
}
