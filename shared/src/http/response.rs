//! Response builders: every response the handlers send is made here.

use lambda_http::{Body, Response};

pub const CACHE_PAGE: &str = "public, max-age=60, stale-while-revalidate=600";
pub const CACHE_NOT_FOUND: &str = "public, max-age=60";
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const CACHE_ASSET: &str = "public, max-age=300";
pub const CACHE_NONE: &str = "no-store";
/// A redirect to a media object's pre-signed URL: one visitor's, kept well within the
/// URL's life (`adapters::s3_content::MEDIA_LINK_LIFE`).
pub const CACHE_MEDIA_LINK: &str = "private, max-age=600";
/// Stored, but revalidated on every use (a page whose notice banner is about to end).
pub const CACHE_REVALIDATE: &str = "public, no-cache";

pub const HTML: &str = "text/html; charset=utf-8";

/// Builds a response; header values here are always valid, so building cannot fail.
/// The security headers (nosniff among them) are added by `security::secure`.
pub fn build(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(body)
        .expect("static header names and checked values always build")
}

/// A redirect to `location`: a path of ours (already percent-encoded by `site::routes`)
/// or an owner's target from `redirects.toml`, which may be written with raw UTF-8 or
/// even a control character. Those are percent-encoded here, so the `Location` is always
/// ASCII and building the response cannot fail.
pub fn redirect(status: u16, location: &str) -> Response<Body> {
    let location =
        percent_encoding::utf8_percent_encode(location, percent_encoding::CONTROLS).to_string();
    build(
        status,
        &[("location", &location), ("cache-control", CACHE_NOT_FOUND)],
        Body::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_location_is_always_ascii() {
        for (to, sent) in [
            ("/posts/c%C3%B3mo-dormir", "/posts/c%C3%B3mo-dormir"),
            ("/posts/cómo-dormir", "/posts/c%C3%B3mo-dormir"),
            ("/a\nb", "/a%0Ab"),
            (
                "https://book.example/x?y=1&z",
                "https://book.example/x?y=1&z",
            ),
        ] {
            let r = redirect(301, to);
            assert_eq!(r.headers()["location"], sent, "{to:?}");
        }
    }
}
