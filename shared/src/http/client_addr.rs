//! The client's address: from the request context API Gateway supplies, or from the
//! peer address the local runner attaches. Never from a header a client can forge.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::net::IpAddr;

/// Attached by the local runner: the TCP peer's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

pub fn client_addr(req: &Request) -> Option<IpAddr> {
    if let Some(PeerAddr(ip)) = req.extensions().get::<PeerAddr>() {
        return Some(*ip);
    }
    let source = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    source?.parse().ok()
}

/// The client a rate or flood limit counts: an IPv4 address (IPv4-mapped IPv6 included),
/// or an IPv6 address's /64 (one line usually gets a whole /64, so single IPv6
/// addresses are free to vary). `"unknown"` when there is no address.
pub fn limit_key(ip: Option<IpAddr>) -> String {
    match ip {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::limit_key;

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| limit_key(Some(s.parse().unwrap()));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("198.51.100.23"), "198.51.100.23");
        assert_eq!(key("::ffff:198.51.100.23"), "198.51.100.23");
        assert_eq!(limit_key(None), "unknown");
    }
}
