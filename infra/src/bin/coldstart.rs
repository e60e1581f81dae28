//! Cold-start benchmark: runs each Lambda `bootstrap` against a local stub of the
//! Lambda Runtime API on 127.0.0.1, backed by moto for S3 and DynamoDB, and measures
//! exec → first `/invocation/next` (init), exec → first response, and peak RSS.
//!
//!   coldstart --endpoint http://127.0.0.1:PORT --runs 20 NAME=BOOTSTRAP:EVENT.json ...
//!
//! `infra/coldstart.sh` builds the release binaries, starts moto and runs this.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use lambdapress::adapters::{DynamoPostIndex, S3Content};
use lambdapress::ports::{ContentKey, ContentStore};
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

#[derive(Default)]
struct Invocation {
    event: String,
    next_at: Option<Instant>,
    response_at: Option<Instant>,
    response: Option<String>,
    error: Option<String>,
    served: bool,
}

type Shared = Arc<Mutex<Invocation>>;

async fn runtime_api(
    state: Shared,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let is_get = req.method() == hyper::Method::GET;
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if is_get && path == "/2018-06-01/runtime/invocation/next" {
        let event = {
            let mut s = state.lock().unwrap();
            if s.served {
                None
            } else {
                s.served = true;
                s.next_at = Some(Instant::now());
                Some(s.event.clone())
            }
        };
        let Some(event) = event else {
            // One invocation per process: the second poll waits until the process is killed.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return hyper::Response::new(Full::new(Bytes::new()));
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return hyper::Response::builder()
            .header("lambda-runtime-aws-request-id", REQUEST_ID)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            )
            .body(Full::new(Bytes::from(event)))
            .unwrap();
    }
    let mut s = state.lock().unwrap();
    if path.ends_with("/response") {
        s.response_at = Some(Instant::now());
        s.response = Some(String::from_utf8_lossy(&body).into_owned());
    } else if path.ends_with("/error") {
        s.response_at = Some(Instant::now());
        s.error = Some(String::from_utf8_lossy(&body).into_owned());
    }
    hyper::Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

struct Sample {
    init: Duration,
    first_response: Duration,
    peak_rss_kb: u64,
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

async fn run_once(
    state: &Shared,
    api: &str,
    bootstrap: &PathBuf,
    event: &str,
    env: &[(String, String)],
) -> anyhow::Result<Sample> {
    *state.lock().unwrap() = Invocation {
        event: event.to_owned(),
        ..Invocation::default()
    };
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bootstrap.display()))?;
    let pid = child.id().unwrap_or(0);
    let deadline = started + Duration::from_secs(15);
    loop {
        let done = state.lock().unwrap().response_at.is_some();
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let rss = peak_rss_kb(pid);
    let _ = child.kill().await;
    let s = state.lock().unwrap();
    if let Some(error) = &s.error {
        bail!("{} answered an error: {error}", bootstrap.display());
    }
    let (Some(next), Some(response)) = (s.next_at, s.response_at) else {
        bail!("{} gave no response within 15 s", bootstrap.display());
    };
    Ok(Sample {
        init: next - started,
        first_response: response - started,
        peak_rss_kb: rss,
    })
}

async fn seed(endpoint: &str, bucket: &str, table: &str) -> anyhow::Result<()> {
    let config = aws_config_for(endpoint).await;
    let s3 = lambdapress::aws::s3_client(&config);
    let _ = s3.create_bucket().bucket(bucket).send().await;
    let content = S3Content::new(s3, bucket);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-content");
    let mut keys = vec![ContentKey::site_settings()];
    for entry in std::fs::read_dir(dir.join("posts"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(key) = ContentKey::generated(&format!("posts/{name}")) {
            keys.push(key);
        }
    }
    for key in &keys {
        let bytes = std::fs::read(dir.join(key.as_str()))?;
        content
            .put(key, bytes, "text/plain; charset=utf-8", "no-cache")
            .await?;
    }
    let dynamodb = lambdapress::aws::dynamodb_client(&config);
    lambdapress::aws::table::create_table(&dynamodb, table)
        .await
        .map_err(anyhow::Error::msg)?;
    let index = DynamoPostIndex::new(dynamodb, table);
    // SES sends only from a verified identity (moto checks this too).
    let _ = lambdapress::aws::sesv2_client(&config)
        .create_email_identity()
        .email_identity("blog@clinic.example")
        .send()
        .await;
    lambdapress::indexer::reindex_all(&content, &index).await?;
    // The functions read their signing keys from Secrets Manager at init (SECRET_ARN).
    lambdapress::aws::secrets::store_secret(
        &lambdapress::aws::secrets::secretsmanager_client(&config),
        COLDSTART_SECRET,
        "coldstart-benchmark-secret-0123456789abcdef",
    )
    .await?;
    Ok(())
}

/// The secret the benchmarked functions load at init (its name: GetSecretValue takes either).
const COLDSTART_SECRET: &str = "lambdapress-coldstart-secret";

async fn aws_config_for(endpoint: &str) -> aws_config::SdkConfig {
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ENDPOINT_URL", endpoint);
    lambdapress::aws::load_sdk_config().await
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut endpoint = None;
    let mut runs = 20usize;
    let mut targets = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = args.next(),
            "--runs" => runs = args.next().context("--runs needs a number")?.parse()?,
            spec => {
                let (name, rest) = spec
                    .split_once('=')
                    .context("targets look like NAME=BOOTSTRAP:EVENT.json")?;
                let (bin, event) = rest
                    .split_once(':')
                    .context("targets look like NAME=BOOTSTRAP:EVENT.json")?;
                targets.push((
                    name.to_owned(),
                    PathBuf::from(bin),
                    std::fs::read_to_string(event).with_context(|| event.to_owned())?,
                ));
            }
        }
    }
    let endpoint = endpoint.context("--endpoint http://127.0.0.1:PORT (moto) is required")?;
    let (bucket, table) = ("coldstart-content", "coldstart-table");
    seed(&endpoint, bucket, table).await?;

    let state: Shared = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?.to_string();
    let server_state = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = server_state.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(runtime_api(state, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    let env: Vec<(String, String)> = [
        ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("CONTENT_BUCKET", bucket),
        ("TABLE_NAME", table),
        ("SITE_URL", "https://clinic.example"),
        ("SECRET_ARN", COLDSTART_SECRET),
        ("SENDER_EMAIL", "blog@clinic.example"),
        ("OWNER_EMAIL", "owner@clinic.example"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    println!("| function | binary | init (exec → first /next) min / median | first response min / median | peak RSS median |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, bin, event) in &targets {
        let size = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
        let mut samples = Vec::with_capacity(runs);
        for run in 0..runs {
            // `{{run}}` in an event makes each run a new visitor (address, email, text),
            // so form functions take their full write path rather than a 409 or 429.
            let event = event.replace("{{run}}", &(run + 1).to_string());
            samples.push(run_once(&state, &api, bin, &event, &env).await?);
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let init: Vec<f64> = samples.iter().map(|s| ms(s.init)).collect();
        let first: Vec<f64> = samples.iter().map(|s| ms(s.first_response)).collect();
        let rss = median(samples.iter().map(|s| s.peak_rss_kb as f64).collect());
        println!(
            "| {name} | {:.1} MiB | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.1} MiB |",
            size as f64 / 1048576.0,
            init.iter().cloned().fold(f64::MAX, f64::min),
            median(init.clone()),
            first.iter().cloned().fold(f64::MAX, f64::min),
            median(first.clone()),
            rss / 1024.0
        );
        let response = state.lock().unwrap().response.clone().unwrap_or_default();
        eprintln!(
            "{name}: last response {}",
            response.chars().take(160).collect::<String>()
        );
    }
    Ok(())
}
