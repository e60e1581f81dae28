//! AWS wiring shared by every function: one `SdkConfig`, clients built from it, and the
//! table layout the DynamoDB adapters (and `template.yaml`) agree on.

#[cfg(feature = "secrets-aws")]
pub mod secrets;
pub mod table;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// One attempt of an SDK call gives up after this long (a stalled connection included).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// One SDK call, retries included, gives up after this long. The HTTP functions run
/// under a 10 s Lambda timeout and make at most two calls one after the other on any
/// path, so a stalled DynamoDB or S3 ends in the handler's own 503 with `Retry-After`
/// after about 6 s at worst, well before API Gateway's generic error.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The timeouts every client of every function gets.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The one HTTPS client every SDK client of every function uses: hyper with rustls on
/// ring, trusting the system's root certificates (what the SDK's default client does,
/// on aws-lc-rs, whose C library would otherwise be linked into every function).
/// Plain `http://` endpoints (moto, a local emulator) work through it too.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `aws_config::defaults` with our HTTPS client: start every `SdkConfig` here (the SDK
/// crates are built without a default client, so a loader without one cannot call AWS).
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// Loads the SDK configuration once per process (region, credentials, endpoint), with
/// the timeouts above on every client built from it.
pub async fn load_sdk_config() -> SdkConfig {
    config_loader().timeout_config(timeouts()).load().await
}

/// An S3 client. Against an emulator (an endpoint is configured) it uses path-style
/// addressing, which no environment variable can turn on.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint =
        config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

#[cfg(feature = "mail-ses")]
pub fn sesv2_client(config: &SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(config)
}

#[cfg(feature = "newsletter-sqs")]
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// JSON logs without timestamps (CloudWatch adds them), as every function's first step,
/// at the level Lambda's ApplicationLogLevel sets (`AWS_LAMBDA_LOG_LEVEL`), else `RUST_LOG`,
/// else INFO.
pub fn init_lambda_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = targets(&log_filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    ));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .without_time()
        .with_target(false);
    tracing_subscriber::registry()
        .with(json)
        .with(filter)
        .init();
}

/// `RUST_LOG`-style directives (`info`, `lambdapress=debug,warn`) as a `Targets` filter,
/// which needs no regex; a directive it cannot read leaves INFO.
fn targets(directives: &str) -> tracing_subscriber::filter::Targets {
    directives.parse().unwrap_or_else(|_| {
        tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
    })
}

/// The tracing filter for Lambda's log level names (FATAL has no tracing level: ERROR).
pub fn log_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
    match lambda_level
        .map(|l| l.trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("TRACE") => "trace".into(),
        Some("DEBUG") => "debug".into(),
        Some("INFO") => "info".into(),
        Some("WARN") => "warn".into(),
        Some("ERROR") | Some("FATAL") => "error".into(),
        _ => rust_log
            .filter(|r| !r.trim().is_empty())
            .unwrap_or("info")
            .to_string(),
    }
}

/// An optional environment variable; empty counts as unset (SAM passes "" for blank parameters).
pub fn optional_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads a required environment variable, naming it in the error.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

#[cfg(test)]
mod tests {
    use super::{log_filter, targets};
    use tracing::Level;

    #[test]
    fn log_directives_become_targets_and_unreadable_ones_leave_info() {
        let t = targets("lambdapress=debug,warn");
        assert!(t.would_enable("lambdapress::site", &Level::DEBUG));
        assert!(!t.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(t.would_enable("aws_smithy_runtime", &Level::WARN));
        let fallback = targets("lambdapress=[{bad");
        assert!(fallback.would_enable("anything", &Level::INFO));
        assert!(!fallback.would_enable("anything", &Level::DEBUG));
    }

    #[test]
    fn lambda_log_level_wins_and_maps_fatal_to_error() {
        assert_eq!(log_filter(Some("DEBUG"), Some("warn")), "debug");
        assert_eq!(log_filter(Some("fatal"), None), "error");
        assert_eq!(
            log_filter(None, Some("lambdapress=trace")),
            "lambdapress=trace"
        );
        assert_eq!(log_filter(None, None), "info");
        assert_eq!(log_filter(Some("bogus"), Some("")), "info");
    }
}
