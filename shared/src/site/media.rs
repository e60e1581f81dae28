//! What `/media/*` may serve: an allow-list of content types by extension, chosen here
//! and never taken from the upload. Raster images are served as images; every other
//! allowed type gets `Content-Security-Policy: sandbox`; active document types (HTML,
//! XML, script) are never served; anything else is a download.
//!
//! SVG is served as `image/svg+xml` with the sandbox policy: posts embed it with
//! `<img>` (where a browser never runs its script), and opened on its own the
//! document is sandboxed without `allow-scripts` and has no script source, so its
//! script cannot run either. A download would break `<img>` embedding for no gain.
//!
//! Where the file comes from. A store that can hand out a short-lived URL (S3's
//! pre-signed GET) serves every type but SVG that way: the site answers `302` and the
//! bytes, of any size, never pass through the function's response (6 MB at most). The
//! URL's answer carries our content type, disposition and caching as response-header
//! overrides, whatever the upload claimed; it comes from the bucket's origin, never the
//! site's. SVG is the one type whose safety needs the sandbox policy, which S3 cannot
//! add, so it is always served by the function, up to `FUNCTION_MAX_BYTES` (a larger
//! one is a 500 page naming the problem, never a 502 from a failed response).

use crate::http::response::CACHE_ASSET;
use crate::http::security::SANDBOX_CSP;
use crate::ports::{MediaHeaders, MediaKey};
use http::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use lambda_http::{Body, Response};

/// The largest SVG the function serves: under the Lambda response limit of 6 MB even
/// base64-encoded. (The embedded store's other files have no limit: the local site
/// answers from memory, with no Lambda in between.)
pub const FUNCTION_MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// A raster image, served inline under the page policy.
    Raster(&'static str),
    /// PDF, audio, video, text: inline, sandboxed.
    Sandboxed(&'static str),
    /// SVG: an image that is also a document able to hold script. Inline and
    /// sandboxed, and only ever served by the function (which adds the policy).
    Scriptable(&'static str),
    /// Any other extension: `application/octet-stream`, as an attachment, sandboxed.
    Download,
}

/// Extensions never served from `/media/` in any form (404): documents a browser
/// would run script in, or that a careless download would open as one.
const ACTIVE: &[&str] = &[
    "html", "htm", "xhtml", "xht", "shtml", "xml", "xsl", "xslt", "js", "mjs", "cjs", "svgz",
    "mht", "mhtml", "swf", "hta", "wasm",
];

impl MediaType {
    /// The type for a media file name (`media/<name>`); `None` means 404.
    pub fn of(name: &str) -> Option<MediaType> {
        let file = name.rsplit('/').next().unwrap_or(name);
        let ext = match file.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
            _ => return Some(MediaType::Download),
        };
        if ACTIVE.contains(&ext.as_str()) {
            return None;
        }
        Some(match ext.as_str() {
            "jpg" | "jpeg" => MediaType::Raster("image/jpeg"),
            "png" => MediaType::Raster("image/png"),
            "gif" => MediaType::Raster("image/gif"),
            "webp" => MediaType::Raster("image/webp"),
            "avif" => MediaType::Raster("image/avif"),
            "ico" => MediaType::Raster("image/x-icon"),
            "svg" => MediaType::Scriptable("image/svg+xml"),
            "pdf" => MediaType::Sandboxed("application/pdf"),
            "mp3" => MediaType::Sandboxed("audio/mpeg"),
            "m4a" => MediaType::Sandboxed("audio/mp4"),
            "ogg" | "oga" | "opus" => MediaType::Sandboxed("audio/ogg"),
            "wav" => MediaType::Sandboxed("audio/wav"),
            "flac" => MediaType::Sandboxed("audio/flac"),
            "mp4" | "m4v" => MediaType::Sandboxed("video/mp4"),
            "webm" => MediaType::Sandboxed("video/webm"),
            "ogv" => MediaType::Sandboxed("video/ogg"),
            "mov" => MediaType::Sandboxed("video/quicktime"),
            "txt" => MediaType::Sandboxed("text/plain; charset=utf-8"),
            "csv" => MediaType::Sandboxed("text/csv; charset=utf-8"),
            _ => MediaType::Download,
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Raster(t) | MediaType::Sandboxed(t) | MediaType::Scriptable(t) => t,
            MediaType::Download => "application/octet-stream",
        }
    }

    /// Whether a store's short-lived URL may serve it (no header of ours is needed
    /// for its safety): every type but SVG.
    pub fn by_link(self) -> bool {
        !matches!(self, MediaType::Scriptable(_))
    }

    /// The headers a store's URL answers this type with.
    pub fn headers(self) -> MediaHeaders {
        MediaHeaders {
            content_type: self.content_type(),
            attachment: self == MediaType::Download,
            cache_control: CACHE_ASSET,
        }
    }

    /// Sets this type's headers on a stored object's response (200 or 304); the page
    /// policy and the rest come from `security::secure` afterwards.
    pub fn apply(self, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        if headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type()));
        }
        if !matches!(self, MediaType::Raster(_)) {
            headers.insert(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(SANDBOX_CSP),
            );
        }
        if self == MediaType::Download {
            headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
        }
    }
}

/// A link the site writes as the media route reads it: a `/media/...` path (as an
/// owner typed it, spaces and accents included) percent-encoded; anything else as is.
pub fn href(src: &str) -> std::borrow::Cow<'_, str> {
    match MediaKey::from_url_path(src) {
        Some(key) => key.href().into(),
        None => src.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_decides_the_type_whatever_the_case() {
        assert_eq!(
            MediaType::of("a.JPG"),
            Some(MediaType::Raster("image/jpeg"))
        );
        assert_eq!(
            MediaType::of("a.pdf"),
            Some(MediaType::Sandboxed("application/pdf"))
        );
        assert_eq!(
            MediaType::of("a.Svg"),
            Some(MediaType::Scriptable("image/svg+xml"))
        );
        assert_eq!(
            MediaType::of("clínica/año nuevo.JPEG"),
            Some(MediaType::Raster("image/jpeg"))
        );
        assert_eq!(MediaType::of("a.zip"), Some(MediaType::Download));
        assert_eq!(MediaType::of("README"), Some(MediaType::Download));
        assert_eq!(MediaType::of(".htaccess"), Some(MediaType::Download));
        for active in [
            "x.html",
            "x.HTM",
            "x.xhtml",
            "x.xml",
            "x.js",
            "x.mjs",
            "x.jpg.html",
        ] {
            assert_eq!(MediaType::of(active), None, "{active}");
        }
    }

    #[test]
    fn media_links_are_written_percent_encoded() {
        assert_eq!(
            href("/media/clínica/año nuevo.jpg"),
            "/media/cl%C3%ADnica/a%C3%B1o%20nuevo.jpg"
        );
        assert_eq!(href("/media/logo.png"), "/media/logo.png");
        assert_eq!(
            href("https://cdn.example/a b.png"),
            "https://cdn.example/a b.png"
        );
        assert_eq!(href("/media/../site.toml"), "/media/../site.toml");
    }

    #[test]
    fn every_type_but_svg_may_go_by_link_with_our_headers() {
        for (name, by_link, content_type, attachment) in [
            ("a.png", true, "image/png", false),
            ("a.pdf", true, "application/pdf", false),
            ("a.mp4", true, "video/mp4", false),
            ("a.bin", true, "application/octet-stream", true),
            ("a.svg", false, "image/svg+xml", false),
        ] {
            let kind = MediaType::of(name).unwrap();
            assert_eq!(kind.by_link(), by_link, "{name}");
            let headers = kind.headers();
            assert_eq!(headers.content_type, content_type, "{name}");
            assert_eq!(headers.attachment, attachment, "{name}");
        }
    }

    #[test]
    fn only_raster_images_escape_the_sandbox() {
        for (name, sandboxed, attachment) in [
            ("a.png", false, false),
            ("a.svg", true, false),
            ("a.mp4", true, false),
            ("a.bin", true, true),
        ] {
            let mut r = Response::new(Body::Empty);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
            MediaType::of(name).unwrap().apply(&mut r);
            assert_ne!(r.headers()[CONTENT_TYPE], "text/html", "{name}");
            assert_eq!(
                r.headers().get(CONTENT_SECURITY_POLICY).is_some(),
                sandboxed,
                "{name}"
            );
            assert_eq!(
                r.headers().get(CONTENT_DISPOSITION).is_some(),
                attachment,
                "{name}"
            );
        }
    }
}
