//! What `/media/*` may serve: an allow-list of content types by extension, chosen here
//! and never taken from the upload. Raster images are served as images; every other
//! allowed type gets `Content-Security-Policy: sandbox`; active document types (HTML,
//! XML, script) are never served; anything else is a download.
//!
//! SVG is served as `image/svg+xml` with the sandbox policy: posts embed it with
//! `<img>` (where a browser never runs its script), and opened on its own the
//! document is sandboxed without `allow-scripts` and has no script source, so its
//! script cannot run either. A download would break `<img>` embedding for no gain.

use crate::http::security::SANDBOX_CSP;
use http::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use lambda_http::{Body, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// A raster image, served inline under the page policy.
    Raster(&'static str),
    /// PDF, audio, video, text, SVG: inline, sandboxed.
    Sandboxed(&'static str),
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
            "svg" => MediaType::Sandboxed("image/svg+xml"),
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
            MediaType::Raster(t) | MediaType::Sandboxed(t) => t,
            MediaType::Download => "application/octet-stream",
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
            Some(MediaType::Sandboxed("image/svg+xml"))
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
