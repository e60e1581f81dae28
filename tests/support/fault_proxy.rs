//! A fault-injecting HTTP proxy between the SDK and moto: it forwards every request, and
//! answers chosen operations with a 500, throttling or a delay, switched at run time.
//!
//! DynamoDB operations are matched by the `X-Amz-Target` header's operation name
//! (`"TransactWriteItems"`), S3 ones by method and a path fragment. The proxy also
//! records every request it saw with the bytes each way, which the benchmarks read.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Every request.
    Any,
    /// A DynamoDB (or any JSON-protocol) operation, by the name after the `.` of
    /// `X-Amz-Target`, e.g. `"Query"`.
    Target(String),
    /// An S3-style request: this method (or any) and a path containing `path`.
    Path {
        method: Option<http::Method>,
        path: String,
    },
}

impl Match {
    pub fn target(op: &str) -> Match {
        Match::Target(op.to_owned())
    }

    pub fn path(method: Option<http::Method>, path: &str) -> Match {
        Match::Path {
            method,
            path: path.to_owned(),
        }
    }

    fn matches(&self, seen: &Seen) -> bool {
        match self {
            Match::Any => true,
            Match::Target(op) => seen.operation.as_deref() == Some(op.as_str()),
            Match::Path { method, path } => {
                method.as_ref().is_none_or(|m| *m == seen.method) && seen.path.contains(path)
            }
        }
    }
}

/// What the proxy does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answers 500 without forwarding (DynamoDB's `InternalServerError`).
    ServerError,
    /// Answers 400 `ThrottlingException` (S3: 503 `SlowDown`) without forwarding.
    Throttle,
    /// Waits this long, then forwards.
    Delay(Duration),
    /// Forwards, then answers 500 instead of moto's answer: the write happened, but the
    /// client cannot know.
    LoseResponse,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub path: String,
    /// The operation name from `X-Amz-Target`, if any.
    pub operation: Option<String>,
    pub request_bytes: usize,
    pub response_bytes: usize,
    pub fault: Option<Fault>,
}

struct Rule {
    matcher: Match,
    fault: Fault,
    /// How many more matching requests it applies to; `None` is until cleared.
    remaining: Option<u32>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

/// A running proxy. Dropping it stops nothing (the task ends with the test's runtime).
#[derive(Clone)]
pub struct FaultProxy {
    /// Point the SDK here (`http://127.0.0.1:<port>`).
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (moto's endpoint).
    pub async fn start(upstream: &str) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the proxy binds a port on 127.0.0.1");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let proxy = FaultProxy {
            endpoint,
            state: state.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (state, upstream, client) = (state.clone(), upstream.clone(), client.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (state, upstream, client) =
                            (state.clone(), upstream.clone(), client.clone());
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                handle(req, &state, &upstream, &client).await,
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        proxy
    }

    /// Applies `fault` to every matching request until `clear`.
    pub fn fail(&self, matcher: Match, fault: Fault) {
        self.add(matcher, fault, None);
    }

    /// Applies `fault` to the next `times` matching requests only.
    pub fn fail_times(&self, matcher: Match, fault: Fault, times: u32) {
        self.add(matcher, fault, Some(times));
    }

    fn add(&self, matcher: Match, fault: Fault, remaining: Option<u32>) {
        self.state.lock().unwrap().rules.push(Rule {
            matcher,
            fault,
            remaining,
        });
    }

    /// Removes every fault: requests pass through again.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Every request seen since the start (or the last `forget`), in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Forgets the requests seen so far.
    pub fn forget(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// How many requests for this operation were seen.
    pub fn count(&self, op: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.operation.as_deref() == Some(op))
            .count()
    }
}

/// The fault for a request, counting down a limited rule.
fn fault_for(state: &Mutex<State>, seen: &Seen) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    let index = state.rules.iter().position(|r| r.matcher.matches(seen))?;
    let rule = &mut state.rules[index];
    let fault = rule.fault.clone();
    if let Some(left) = rule.remaining.as_mut() {
        *left -= 1;
        if *left == 0 {
            state.rules.remove(index);
        }
    }
    Some(fault)
}

fn error_response(fault: &Fault, json: bool) -> Response<Full<Bytes>> {
    let (status, kind, message) = match fault {
        Fault::Throttle if json => (
            400,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        ),
        Fault::Throttle => (503, "SlowDown", "Please reduce your request rate."),
        _ => (
            500,
            "InternalServerError",
            "Internal server error (injected)",
        ),
    };
    let (content_type, body) = if json {
        (
            "application/x-amz-json-1.0",
            serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"),
                "message": message,
            })
            .to_string(),
        )
    } else {
        (
            "application/xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{kind}</Code><Message>{message}</Message></Error>"),
        )
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-errortype", kind)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

async fn handle(
    req: Request<Incoming>,
    state: &Mutex<State>,
    upstream: &str,
    client: &Client<HttpConnector, Full<Bytes>>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned());
    let json = operation.is_some();
    let mut seen = Seen {
        method: parts.method.clone(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.to_string()),
        operation,
        request_bytes: body.len(),
        response_bytes: 0,
        fault: None,
    };
    seen.fault = fault_for(state, &seen);
    let answer = match &seen.fault {
        Some(f @ (Fault::ServerError | Fault::Throttle)) => error_response(f, json),
        other => {
            if let Some(Fault::Delay(d)) = other {
                tokio::time::sleep(*d).await;
            }
            let mut forward = Request::builder()
                .method(parts.method.clone())
                .uri(format!("{upstream}{}", seen.path));
            for (name, value) in &parts.headers {
                forward = forward.header(name, value);
            }
            let forwarded = match forward.body(Full::new(body)) {
                Ok(r) => client.request(r).await.ok(),
                Err(_) => None,
            };
            match forwarded {
                Some(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    if matches!(other, Some(Fault::LoseResponse)) {
                        error_response(&Fault::ServerError, json)
                    } else {
                        Response::from_parts(parts, Full::new(body))
                    }
                }
                None => error_response(&Fault::ServerError, json),
            }
        }
    };
    seen.response_bytes = hyper::body::Body::size_hint(answer.body())
        .exact()
        .unwrap_or(0) as usize;
    state.lock().unwrap().seen.push(seen);
    answer
}
