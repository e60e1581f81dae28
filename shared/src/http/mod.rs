//! HTTP helpers shared by every handler: entity tags and conditional requests, the
//! client address, and response builders.

pub mod client_addr;
pub mod etag;
pub mod response;

pub use lambda_http::{Body, Request, Response};

/// The path as the client sent it, still percent-encoded and without an API Gateway
/// stage prefix; requests built outside API Gateway fall back to the URI's path.
pub fn request_path(req: &Request) -> &str {
    use lambda_http::RequestExt;
    match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    }
}
