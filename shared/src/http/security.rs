//! The security headers every response carries, set in this one place: the page CSP
//! (no script at all), Referrer-Policy, nosniff, and HSTS when the site is served over HTTPS.
//!
//! The handlers (site, comment, subscribe), the Lambda mains (the origin lock's 403)
//! and the local runner all pass their responses through [`secure`], so every status
//! (errors, redirects, 304) gets them. A response that already chose a stricter policy
//! (stored media's sandbox, the moderation page's `no-referrer`) keeps its own.

use lambda_http::{Body, Request, Response};

/// The pages' policy. No script source at all (the JSON-LD block is data, which CSP
/// does not govern); the stylesheet is ours (`/style.<hash>.css`, no inline `style=`
/// in any template); images are ours (`/media/*`) or an author's HTTPS image in a post
/// (no `data:`: nothing renders one); forms post to us only; no framing, no `<base>`.
///
/// Audio and video (`<video src="/media/visit.mp4">`) are ours too, but `/media/*`
/// answers the deployed site's request with a `302` to a pre-signed S3 URL
/// (`https://<bucket>.s3.<region>.amazonaws.com/...`, see `site::media`), and CSP checks
/// a redirect's target against the directive by origin (only its path is exempt), so
/// `'self'` alone would block every redirected video. The bucket's origin is not known to
/// this constant (and is the site's own behind CloudFront), so `media-src` takes HTTPS
/// like `img-src`, which the same redirect already relies on for images.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https:; \
     media-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Stored media that is not a raster image (PDF, audio, video, text, SVG, downloads):
/// a sandboxed document (no script, unique origin, no forms, no plugins' privileges);
/// its own bytes may still load so audio and video documents play.
pub const SANDBOX_CSP: &str = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; \
     style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";
/// One year, subdomains included; no `preload` (that is the owner's choice to make).
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// True when the visitor reached the site over HTTPS: the configured base URL
/// (`SITE_URL`) is https, or API Gateway answered it (always HTTPS: it has a
/// `requestContext.domainName`), or a front end says so (`X-Forwarded-Proto`,
/// `CloudFront-Forwarded-Proto`). The local runner's plain HTTP gets no HSTS.
pub fn served_over_https(req: &Request, configured_base_url: Option<&str>) -> bool {
    let configured = configured_base_url
        .map(str::trim)
        .is_some_and(|u| u.len() > 8 && u[..8].eq_ignore_ascii_case("https://"));
    let forwarded = ["x-forwarded-proto", "cloudfront-forwarded-proto"]
        .iter()
        .any(|name| {
            req.headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
        });
    configured || forwarded || super::base_url::request_domain(req).is_some()
}

/// Adds the security headers to `response` (see the module's note on precedence).
pub fn secure(
    req: &Request,
    configured_base_url: Option<&str>,
    response: Response<Body>,
) -> Response<Body> {
    with_headers(served_over_https(req, configured_base_url), response)
}

/// [`secure`] once the HTTPS question is answered.
pub fn with_headers(https: bool, mut response: Response<Body>) -> Response<Body> {
    use http::header::{
        HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY as REFERRER,
        STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    };
    let headers = response.headers_mut();
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_CSP));
    headers
        .entry(REFERRER)
        .or_insert(HeaderValue::from_static(REFERRER_POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Only ever added: a second pass (the local runner's) that knows less keeps it.
    if https {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut r = Request::new(Body::Empty);
        for (k, v) in headers {
            r.headers_mut().insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        r
    }

    #[test]
    fn every_response_gets_the_headers_and_hsts_only_over_https() {
        let plain = secure(&req(&[]), None, Response::new(Body::Empty));
        assert_eq!(plain.headers()["content-security-policy"], PAGE_CSP);
        assert_eq!(plain.headers()["referrer-policy"], REFERRER_POLICY);
        assert_eq!(plain.headers()["x-content-type-options"], "nosniff");
        assert!(plain.headers().get("strict-transport-security").is_none());
        for (headers, base) in [
            (vec![("x-forwarded-proto", "https")], None),
            (vec![("cloudfront-forwarded-proto", "HTTPS")], None),
            (vec![], Some("https://www.example.com")),
        ] {
            let r = secure(&req(&headers), base, Response::new(Body::Empty));
            assert_eq!(
                r.headers()["strict-transport-security"],
                HSTS,
                "{headers:?} {base:?}"
            );
        }
        let http_base = secure(
            &req(&[]),
            Some("http://127.0.0.1:3000"),
            Response::new(Body::Empty),
        );
        assert!(http_base
            .headers()
            .get("strict-transport-security")
            .is_none());
    }

    #[test]
    fn pages_may_play_our_audio_and_video_wherever_media_redirects() {
        let directive = |name: &str| {
            PAGE_CSP
                .split(';')
                .map(str::trim)
                .find(|d| d.split_whitespace().next() == Some(name))
                .map(|d| d.split_whitespace().skip(1).collect::<Vec<_>>())
        };
        // A redirect to a pre-signed S3 URL is checked by origin: HTTPS must be allowed
        // for media exactly as for images, and still no `data:`, `blob:` or `http:`.
        assert_eq!(directive("media-src"), Some(vec!["'self'", "https:"]));
        assert_eq!(directive("img-src"), directive("media-src"));
        assert_eq!(directive("script-src"), None);
        assert_eq!(directive("default-src"), Some(vec!["'none'"]));
    }

    #[test]
    fn a_stricter_policy_chosen_by_the_handler_is_kept() {
        let mut own = Response::new(Body::Empty);
        own.headers_mut()
            .insert("content-security-policy", SANDBOX_CSP.parse().unwrap());
        own.headers_mut()
            .insert("referrer-policy", "no-referrer".parse().unwrap());
        let r = secure(&req(&[]), None, own);
        assert_eq!(r.headers()["content-security-policy"], SANDBOX_CSP);
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        // Applying twice changes nothing.
        let again = with_headers(false, r);
        assert_eq!(
            again
                .headers()
                .get_all("content-security-policy")
                .iter()
                .count(),
            1
        );
    }
}
