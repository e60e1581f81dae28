//! `theme/custom.css` in the content bucket: the owner's own stylesheet, checked (size,
//! UTF-8) and named by a hash of its bytes, so every page can link it after the built-in
//! and `[theme]` stylesheets under a URL that is cached for a year.

use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The owner's stylesheet as the site serves and links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCss {
    css: Arc<str>,
    version: String,
    href: String,
}

/// Why `theme/custom.css` is not linked (the site logs it; `check` reports it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomCssError {
    #[error(
        "theme/custom.css: {0} bytes is over the limit of {max} bytes ({kib} KiB); it is not linked",
        max = CustomCss::MAX_BYTES,
        kib = CustomCss::MAX_BYTES / 1024
    )]
    TooBig(usize),
    #[error("theme/custom.css: the file is not UTF-8 text; it is not linked")]
    NotUtf8,
}

impl CustomCss {
    /// Its path in the URL space (`?v=<hash>` names the bytes).
    pub const PATH: &'static str = "/theme/custom.css";
    /// A stylesheet bigger than this is not linked: every page would make visitors
    /// download it, and a warm instance keeps it in memory.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// The stylesheet from the object's bytes; `Ok(None)` for an empty (or blank) file,
    /// which links nothing.
    pub fn parse(bytes: &[u8]) -> Result<Option<CustomCss>, CustomCssError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(CustomCssError::TooBig(bytes.len()));
        }
        let css = std::str::from_utf8(bytes).map_err(|_| CustomCssError::NotUtf8)?;
        let css = css.strip_prefix('\u{feff}').unwrap_or(css);
        if css.trim().is_empty() {
            return Ok(None);
        }
        let version = short_hash(css.as_bytes());
        Ok(Some(CustomCss {
            href: format!("{}?v={version}", Self::PATH),
            css: css.into(),
            version,
        }))
    }

    pub fn css(&self) -> &str {
        &self.css
    }

    /// The hash of the bytes (12 hex digits).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// `/theme/custom.css?v=<hash>`: what every page's head links.
    pub fn href(&self) -> &str {
        &self.href
    }
}

/// 12 hex digits of the SHA-256 of `bytes`: the `?v=` of the site's stylesheet URLs.
pub fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_href_names_the_bytes() {
        let a = CustomCss::parse(b".card { border-radius: 8px; }")
            .unwrap()
            .unwrap();
        let b = CustomCss::parse(b".card { border-radius: 9px; }")
            .unwrap()
            .unwrap();
        assert!(a.href().starts_with("/theme/custom.css?v="));
        assert_eq!(a.version().len(), 12);
        assert_ne!(a.href(), b.href());
        assert_eq!(a.css(), ".card { border-radius: 8px; }");
        let again = CustomCss::parse(b".card { border-radius: 8px; }")
            .unwrap()
            .unwrap();
        assert_eq!(a, again);
    }

    #[test]
    fn blank_oversized_and_binary_files_are_not_linked() {
        assert_eq!(CustomCss::parse(b""), Ok(None));
        assert_eq!(CustomCss::parse(b" \n\t"), Ok(None));
        assert_eq!(CustomCss::parse("\u{feff}\n".as_bytes()), Ok(None));
        let big = vec![b' '; CustomCss::MAX_BYTES + 1];
        let err = CustomCss::parse(&big).unwrap_err();
        assert_eq!(err, CustomCssError::TooBig(CustomCss::MAX_BYTES + 1));
        assert!(err
            .to_string()
            .contains("over the limit of 262144 bytes (256 KiB)"));
        let limit = [b"a{}".as_slice(), &vec![b' '; CustomCss::MAX_BYTES - 3]].concat();
        assert!(
            CustomCss::parse(&limit).unwrap().is_some(),
            "the limit itself is fine"
        );
        assert_eq!(
            CustomCss::parse(&[0xff, 0xfe, b'a']),
            Err(CustomCssError::NotUtf8)
        );
    }
}
