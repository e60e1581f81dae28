//! The images function: S3 events for `media/` make (and remove) the responsive
//! variants of uploaded images and keep the variants index. Wiring only; the handler is
//! `lambdapress::images::handler::Images`.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use lambdapress::adapters::S3Content;
use lambdapress::aws::{init_lambda_logging, load_sdk_config, required_env, s3_client};
use lambdapress::images::handler::Images;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_lambda_logging();
    let bucket = required_env("CONTENT_BUCKET")?;
    let config = load_sdk_config().await;
    let images = Arc::new(Images::new(Arc::new(S3Content::new(
        s3_client(&config),
        bucket,
    ))));
    run(service_fn(move |event: LambdaEvent<Value>| {
        let images = images.clone();
        async move { Ok::<Value, Error>(images.handle(event.payload).await?) }
    }))
    .await
}
