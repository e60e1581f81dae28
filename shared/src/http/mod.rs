//! HTTP helpers shared by every handler: entity tags and conditional requests, the
//! base-URL rule, the client address, the CloudFront origin lock, response builders and
//! the security headers.

pub mod base_url;
pub mod client_addr;
pub mod compress;
pub mod etag;
pub mod origin_lock;
pub mod response;
pub mod security;

pub use lambda_http::{Body, Request, Response};

/// One Lambda function's HTTP handler. The Lambda main, the local runner and the tests
/// all call this, so every path runs the same code.
#[async_trait::async_trait]
pub trait HttpFunction: Send + Sync {
    /// Answers one request. Never fails: every error becomes its response.
    async fn handle(&self, req: &Request) -> Response<Body>;
}

/// The path as the client sent it, still percent-encoded and without an API Gateway
/// stage prefix; requests built outside API Gateway fall back to the URI's path.
pub fn request_path(req: &Request) -> &str {
    use lambda_http::RequestExt;
    match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    }
}
