//! Cold-start benchmark: runs each Lambda `bootstrap` against a local stub of the
//! Lambda Runtime API on 127.0.0.1, backed by moto for S3 and DynamoDB, and measures
//! exec → first `/invocation/next` (init), exec → first response, and peak RSS.
//!
//!   coldstart --endpoint http://127.0.0.1:PORT --runs 20 NAME=BOOTSTRAP:EVENT.json ...
//!   coldstart --endpoint URL --check CASES.json [--wrapper "qemu-aarch64-static -L DIR"]
//!             [--logs DIR] NAME=BOOTSTRAP ...
//!
//! `infra/coldstart.sh` builds the release binaries, starts moto and runs this. With
//! `--check` (`infra/deploy-check.sh`) each case of CASES.json runs once in a fresh
//! process (under `--wrapper`, e.g. qemu-user for arm64 builds), and its answer is checked:
//! the HTTP status, a marker in the body or headers, a marker in the function's log.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use lambdapress::adapters::{DynamoPostIndex, S3Content};
use lambdapress::ports::{ContentKey, ContentStore, SubscriberStore};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
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

/// How a bootstrap is started: a command prefix (qemu-user for another architecture),
/// where its output goes, and how long its first answer may take.
#[derive(Default)]
struct Launch {
    wrapper: Vec<String>,
    log: Option<PathBuf>,
    timeout: Option<Duration>,
}

async fn run_once(
    state: &Shared,
    api: &str,
    bootstrap: &Path,
    event: &str,
    env: &[(String, String)],
    launch: &Launch,
) -> anyhow::Result<(Sample, String)> {
    *state.lock().unwrap() = Invocation {
        event: event.to_owned(),
        ..Invocation::default()
    };
    let (program, args) = match launch.wrapper.split_first() {
        Some((program, rest)) => (
            PathBuf::from(program),
            rest.iter()
                .map(std::ffi::OsString::from)
                .chain([bootstrap.as_os_str().to_owned()])
                .collect::<Vec<_>>(),
        ),
        None => (bootstrap.to_path_buf(), Vec::new()),
    };
    let output = || -> anyhow::Result<Stdio> {
        Ok(match &launch.log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| path.display().to_string())?,
            ),
            None => Stdio::null(),
        })
    };
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&program)
        .args(&args)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(output()?)
        .stderr(output()?)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let pid = child.id().unwrap_or(0);
    let limit = launch.timeout.unwrap_or(Duration::from_secs(15));
    let deadline = started + limit;
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
        bail!(
            "{} gave no response within {} s",
            bootstrap.display(),
            limit.as_secs()
        );
    };
    Ok((
        Sample {
            init: next - started,
            first_response: response - started,
            peak_rss_kb: rss,
        },
        s.response.clone().unwrap_or_default(),
    ))
}

/// One case of `--check`: an event for one function and what its answer must hold.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    function: String,
    event: serde_json::Value,
    /// The HTTP status of an API Gateway answer (none for other events).
    status: Option<u16>,
    /// Text the answer must contain: the decoded body, the headers or the whole payload.
    marker: String,
    /// Text the function's own log lines of this case must contain.
    log: Option<String>,
    /// Sends the `etag` an earlier case answered as `if-none-match` (a revalidation).
    if_none_match_from: Option<String>,
}

/// The text a case's markers are looked for in: an API Gateway answer's headers and
/// decoded body, else the payload as it is.
fn answer_text(response: &str) -> (Option<u16>, String, Option<String>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(response) else {
        return (None, response.to_owned(), None);
    };
    let Some(status) = value.get("statusCode").and_then(|s| s.as_u64()) else {
        return (None, response.to_owned(), None);
    };
    let body = value.get("body").and_then(|b| b.as_str()).unwrap_or("");
    let body = if value.get("isBase64Encoded") == Some(&serde_json::Value::Bool(true)) {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        body.to_owned()
    };
    let etag = value
        .pointer("/headers/etag")
        .and_then(|e| e.as_str())
        .map(str::to_owned);
    let headers = value
        .get("headers")
        .map(|h| h.to_string())
        .unwrap_or_default();
    (Some(status as u16), format!("{headers}\n{body}"), etag)
}

/// Runs every case once, each in a fresh process; prints one line per case and fails
/// when any answer misses its status or a marker.
async fn check(
    state: &Shared,
    api: &str,
    env: &[(String, String)],
    cases: Vec<Case>,
    bootstraps: &[(String, PathBuf)],
    wrapper: Vec<String>,
    logs: PathBuf,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&logs)?;
    let mut etags: std::collections::HashMap<String, String> = Default::default();
    let mut failed = 0;
    for (i, case) in cases.iter().enumerate() {
        let Some((_, bootstrap)) = bootstraps.iter().find(|(n, _)| *n == case.function) else {
            bail!("{}: no bootstrap given for {}", case.name, case.function);
        };
        let mut event = case.event.clone();
        if let Some(from) = &case.if_none_match_from {
            let etag = etags
                .get(from)
                .with_context(|| format!("{}: {from} answered no etag", case.name))?;
            event["headers"]["if-none-match"] = etag.clone().into();
        }
        let log = logs.join(format!("{:02}-{}.log", i + 1, case.function));
        let launch = Launch {
            wrapper: wrapper.clone(),
            log: Some(log.clone()),
            // qemu-user translates every instruction: far slower than on Lambda.
            timeout: Some(Duration::from_secs(60)),
        };
        // `{{run}}`: each case is a new visitor (address, email), as in the benchmark.
        let event = event.to_string().replace("{{run}}", &(i + 1).to_string());
        let outcome = run_once(state, api, bootstrap, &event, env, &launch).await;
        let mut problems = Vec::new();
        let mut took = String::new();
        match outcome {
            Err(e) => problems.push(format!("{e:#}")),
            Ok((sample, response)) => {
                took = format!(
                    "init {:.0} ms, answer {:.0} ms",
                    sample.init.as_secs_f64() * 1e3,
                    sample.first_response.as_secs_f64() * 1e3
                );
                let (status, text, etag) = answer_text(&response);
                if let Some(etag) = etag {
                    etags.insert(case.name.clone(), etag);
                }
                if case.status.is_some() && status != case.status {
                    problems.push(format!("status {status:?}, expected {:?}", case.status));
                }
                if !text.contains(&case.marker) {
                    problems.push(format!(
                        "no {:?} in the answer: {}",
                        case.marker,
                        text.chars().take(300).collect::<String>()
                    ));
                }
                if let Some(marker) = &case.log {
                    let lines = std::fs::read_to_string(&log).unwrap_or_default();
                    if !lines.contains(marker.as_str()) {
                        problems.push(format!("no {marker:?} in its log {}", log.display()));
                    }
                }
            }
        }
        if problems.is_empty() {
            println!("PASS {} ({took})", case.name);
        } else {
            failed += 1;
            println!("FAIL {}: {}", case.name, problems.join("; "));
            let lines = std::fs::read_to_string(&log).unwrap_or_default();
            for line in lines
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                println!("    | {line}");
            }
        }
    }
    println!("{} passed, {failed} failed", cases.len() - failed);
    if failed > 0 {
        bail!("{failed} of {} cases failed", cases.len());
    }
    Ok(())
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
        if let Some(slug) = ContentKey::post_slug_of(&format!("posts/{name}")) {
            keys.push(ContentKey::post(&slug));
        }
    }
    for key in &keys {
        let bytes = std::fs::read(dir.join(key.as_str()))?;
        content
            .put(key, bytes, "text/plain; charset=utf-8", "no-cache")
            .await?;
    }
    // The photo the images function's case resizes (tests/fixtures/s3-media-created.json).
    let photo = lambdapress::ports::MediaKey::parse("treatment-room.jpg").expect("a media name");
    let bytes = std::fs::read(dir.join(photo.key().as_str()))?;
    content
        .put(photo.key(), bytes, "image/jpeg", "public, max-age=300")
        .await?;
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
    // Confirmed readers: the newsletter sender mails one, and SES's bounce event in the
    // fixture names the other.
    let subscribers = lambdapress::adapters::DynamoSubscribers::new(
        lambdapress::aws::dynamodb_client(&config),
        table,
    );
    let now = time::OffsetDateTime::now_utc();
    for address in ["reader@example.com", "recipient@example.com"] {
        let email = lambdapress::domain::SubscriberEmail::parse(address)
            .map_err(|e| anyhow::anyhow!("{address}: {e}"))?;
        subscribers
            .sign_up(
                &lambdapress::ports::Signup {
                    email: email.clone(),
                    source: "/".into(),
                    client_hash: "coldstart".into(),
                    at: now,
                },
                time::Duration::hours(1),
            )
            .await?;
        subscribers.confirm(&email, now).await?;
    }
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
    let mut cases_file = None;
    let mut wrapper = Vec::new();
    let mut logs = std::env::temp_dir().join("lambdapress-deploy-check");
    let mut bootstraps = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = args.next(),
            "--runs" => runs = args.next().context("--runs needs a number")?.parse()?,
            "--check" => cases_file = Some(args.next().context("--check needs a file")?),
            "--wrapper" => {
                wrapper = args
                    .next()
                    .context("--wrapper needs a command")?
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            }
            "--logs" => logs = PathBuf::from(args.next().context("--logs needs a folder")?),
            spec if cases_file.is_some() => {
                let (name, bin) = spec
                    .split_once('=')
                    .context("with --check, bootstraps look like NAME=BOOTSTRAP")?;
                bootstraps.push((name.to_owned(), PathBuf::from(bin)));
            }
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

    if let Some(file) = cases_file {
        let cases: Vec<Case> =
            serde_json::from_str(&std::fs::read_to_string(&file).with_context(|| file.clone())?)
                .with_context(|| format!("{file}: a JSON list of cases"))?;
        return check(&state, &api, &env, cases, &bootstraps, wrapper, logs).await;
    }

    println!("| function | binary | init (exec → first /next) min / median | first response min / median | peak RSS median |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, bin, event) in &targets {
        let size = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
        let mut samples = Vec::with_capacity(runs);
        for run in 0..runs {
            // `{{run}}` in an event makes each run a new visitor (address, email, text),
            // so form functions take their full write path rather than a 409 or 429.
            let event = event.replace("{{run}}", &(run + 1).to_string());
            samples.push(
                run_once(&state, &api, bin, &event, &env, &Launch::default())
                    .await?
                    .0,
            );
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
