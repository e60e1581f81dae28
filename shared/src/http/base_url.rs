//! The one base-URL rule every function follows: `SITE_URL` when set, else the request's
//! own domain (`requestContext.domainName`), else `site.toml`'s `base_url` — which is
//! refused inside Lambda when it points at a loopback address.

use crate::domain::SettingsError;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// True inside AWS Lambda (the runtime always sets the function's name).
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some_and(|v| !v.is_empty())
}

/// The domain API Gateway (or a custom domain, or CloudFront's Host after the origin
/// request policy) says the request came to; never the forgeable `Host` header.
pub fn request_domain(req: &Request) -> Option<String> {
    let domain = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.domain_name.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.domain_name.clone(),
        _ => None,
    }?;
    let plain = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    plain.then_some(domain)
}

/// The base URL, without a trailing slash. `site_url` is `SITE_URL` (empty: unset),
/// `domain` the request's domain when there is a request, `settings` site.toml's value.
pub fn resolve(
    site_url: Option<&str>,
    domain: Option<&str>,
    settings: &str,
    in_lambda: bool,
) -> Result<String, SettingsError> {
    if let Some(url) = site_url.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        return Ok(format!("https://{domain}"));
    }
    let base = settings.trim_end_matches('/');
    if in_lambda && is_loopback(base) {
        tracing::error!(
            base_url = base,
            "site.toml's base_url is a loopback address and SITE_URL is not set: refusing to \
             publish links to it; set the stack's SiteUrl parameter (or base_url in site.toml)"
        );
        return Err(SettingsError(format!(
            "base_url {base} is a loopback address; set SiteUrl"
        )));
    }
    Ok(base.to_owned())
}

/// `http://127.0.0.1:3000`, `http://localhost`, `http://[::1]:8080` and the like.
pub fn is_loopback(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_url_wins_then_the_request_domain_then_site_toml() {
        let r = |s, d| resolve(s, d, "https://toml.example", true).unwrap();
        assert_eq!(
            r(Some("https://www.example.com/"), Some("x.execute-api")),
            "https://www.example.com"
        );
        assert_eq!(
            r(Some(""), Some("abc.example.net")),
            "https://abc.example.net"
        );
        assert_eq!(r(None, None), "https://toml.example");
    }

    #[test]
    fn a_loopback_base_url_is_refused_inside_lambda_only() {
        for base in [
            "http://127.0.0.1:3000",
            "http://localhost:3000/",
            "http://[::1]:8080",
            "https://blog.localhost",
            "http://0.0.0.0",
        ] {
            assert!(resolve(None, None, base, true).is_err(), "{base}");
            assert!(resolve(None, None, base, false).is_ok(), "{base}");
        }
        assert_eq!(
            resolve(None, None, "https://127.0.0.1.example.com", true).unwrap(),
            "https://127.0.0.1.example.com"
        );
    }
}
