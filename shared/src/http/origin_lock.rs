//! The origin lock: behind CloudFront, only requests carrying the distribution's secret
//! origin header are served, and the visitor's address comes from `CloudFront-Viewer-Address`.

use super::client_addr::PeerAddr;
use super::response;
use lambda_http::{Body, Request, Response};
use std::net::{IpAddr, SocketAddr};

/// The header CloudFront adds to every origin request (OriginCustomHeaders in template.yaml).
pub const ORIGIN_HEADER: &str = "x-origin-verify";
/// The header CloudFront sets to the viewer's address and port (origin request policy).
pub const VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

/// Locked when a secret is configured (`ORIGIN_VERIFY`); open otherwise (no CloudFront).
#[derive(Clone, Default)]
pub struct OriginLock {
    secret: Option<String>,
}

impl OriginLock {
    pub fn new(secret: Option<String>) -> Self {
        Self {
            secret: secret.filter(|s| !s.is_empty()),
        }
    }

    /// From the `ORIGIN_VERIFY` environment variable (empty: open).
    pub fn from_env() -> Self {
        Self::new(std::env::var("ORIGIN_VERIFY").ok())
    }

    /// Admits a request (`None`), or answers it with 403. An admitted request behind CloudFront
    /// gets the viewer's address as its peer address, so per-visitor limits count per
    /// visitor rather than per edge. With the lock open the header is never trusted.
    pub fn admit(&self, req: &mut Request) -> Option<Response<Body>> {
        let Some(secret) = &self.secret else {
            return None;
        };
        let presented = req
            .headers()
            .get(ORIGIN_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(presented, secret.as_bytes()) {
            return Some(response::build(
                403,
                &[
                    ("content-type", "text/plain; charset=utf-8"),
                    ("cache-control", response::CACHE_NONE),
                ],
                Body::from("Forbidden: this origin is served through its CDN only.\n"),
            ));
        }
        if let Some(ip) = req
            .headers()
            .get(VIEWER_ADDRESS)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_viewer_address)
        {
            req.extensions_mut().insert(PeerAddr(ip));
        }
        None
    }
}

/// `198.51.100.10:46532`, `[2001:db8::1]:443` or `2001:db8::1:443` (address, then port).
pub fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    if let Ok(sock) = value.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    let (addr, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    addr.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client_addr::client_addr;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().uri("https://example.com/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn open_lock_admits_everything_and_never_trusts_the_viewer_header() {
        let mut req = request(&[(VIEWER_ADDRESS, "203.0.113.9:1234")]);
        assert!(OriginLock::new(None).admit(&mut req).is_none());
        assert!(OriginLock::new(Some(String::new()))
            .admit(&mut req)
            .is_none());
        assert_eq!(client_addr(&req), None);
    }

    #[test]
    fn locked_origin_refuses_a_missing_or_wrong_secret() {
        let lock = OriginLock::new(Some("s3cret".into()));
        let mut bare = request(&[]);
        assert_eq!(lock.admit(&mut bare).unwrap().status(), 403);
        let mut wrong = request(&[(ORIGIN_HEADER, "s3creT")]);
        assert_eq!(lock.admit(&mut wrong).unwrap().status(), 403);
        let mut longer = request(&[(ORIGIN_HEADER, "s3cret!")]);
        assert_eq!(lock.admit(&mut longer).unwrap().status(), 403);
    }

    #[test]
    fn locked_origin_takes_the_viewer_address_from_cloudfront() {
        let lock = OriginLock::new(Some("s3cret".into()));
        let mut req = request(&[
            (ORIGIN_HEADER, "s3cret"),
            (VIEWER_ADDRESS, "198.51.100.10:46532"),
        ]);
        assert!(lock.admit(&mut req).is_none());
        assert_eq!(client_addr(&req), Some("198.51.100.10".parse().unwrap()));
    }

    #[test]
    fn viewer_addresses_parse_in_every_form_cloudfront_sends() {
        assert_eq!(
            parse_viewer_address("198.51.100.10:46532"),
            Some("198.51.100.10".parse().unwrap())
        );
        assert_eq!(
            parse_viewer_address("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            parse_viewer_address("2001:db8::1:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_viewer_address("not an address"), None);
        assert_eq!(parse_viewer_address("198.51.100.10:99999"), None);
    }
}
