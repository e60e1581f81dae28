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
