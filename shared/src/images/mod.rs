//! Responsive image variants: how a variant of a `media/` image is named, the variants
//! index the images function keeps (`index/media-variants.json`), and the `srcset`
//! markup pages render from it. Making variants (the `image` crate) and the images
//! function's handler are behind the `images` feature; reading the index is not, so
//! the site links no image codec.
//!
//! A variant sits beside its original, named by the width and the first 8 hex digits
//! of the SHA-256 of the original's bytes: `media/clinic/photo.jpg` →
//! `media/clinic/photo.960w.1a2b3c4d.jpg` (and `.webp`). A new upload under the same
//! name gets new variant names, so variants can be cached for a year.

#[cfg(feature = "images")]
pub mod events;
#[cfg(feature = "images")]
pub mod handler;
#[cfg(feature = "images")]
pub mod make;

use crate::ports::{ContentKey, MediaKey};
use crate::render::escape;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The widths variants are made at (only those narrower than the original).
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// The `sizes` every responsive image gets: the text column (`--measure: 42rem` less
/// `.wrap`'s 2 × 1.25rem padding), or the viewport less that padding on a narrower one.
pub const SIZES: &str = "(max-width: 42rem) calc(100vw - 2.5rem), 39.5rem";

/// The variants index's key: outside `media/`, so writing it triggers nothing.
pub const INDEX_KEY: &str = "index/media-variants.json";

pub fn index_key() -> ContentKey {
    ContentKey::generated(INDEX_KEY).expect("a plain key")
}

/// An encoding variants are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// The format of an original worth making variants of, by its extension (GIFs may
    /// be animated and SVGs scale already: neither gets variants).
    pub fn of_original(key: &MediaKey) -> Option<Format> {
        let (_, ext) = key.name().rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }
}

/// The first 8 hex digits of the SHA-256 of an original's bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(bytes)[..4])
}

/// The key of `original`'s variant `width` wide in `format`, for content `hash`.
pub fn variant_key(original: &MediaKey, width: u32, hash: &str, format: Format) -> MediaKey {
    let name = original.name();
    let (folder, file) = match name.rsplit_once('/') {
        Some((folder, file)) => (Some(folder), file),
        None => (None, name),
    };
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let file = format!("{stem}.{width}w.{hash}.{}", format.extension());
    let name = match folder {
        Some(folder) => format!("{folder}/{file}"),
        None => file,
    };
    // The original's segments were valid and the new file name only adds plain
    // characters; one longer than a segment may be is cut from the stem.
    MediaKey::parse(&name).unwrap_or_else(|| {
        let keep = stem
            .char_indices()
            .map(|(i, _)| i)
            .take_while(|i| *i <= MediaKey::MAX_SEGMENT - 32)
            .last()
            .unwrap_or(0);
        let short = format!("{}.{width}w.{hash}.{}", &stem[..keep], format.extension());
        let name = match folder {
            Some(folder) => format!("{folder}/{short}"),
            None => short,
        };
        MediaKey::parse(&name).expect("a shortened variant name is valid")
    })
}

/// Whether `key` is named like a variant (`<stem>.<digits>w.<8 hex>.<jpg|png|webp>`):
/// the images function writes these under `media/`, and their own events are skipped.
pub fn is_variant(key: &MediaKey) -> bool {
    let file = key.name().rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplitn(4, '.');
    let (Some(ext), Some(hash), Some(width), Some(stem)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(ext, "jpg" | "png" | "webp")
        && hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && width
            .strip_suffix('w')
            .is_some_and(|w| !w.is_empty() && w.len() <= 5 && w.bytes().all(|b| b.is_ascii_digit()))
        && !stem.is_empty()
}

/// One variant of an original, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The variant's name below `media/`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub format: Format,
}

/// An original with its variants, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The original's pixel size (after its EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// `content_hash` of the original the variants were made from.
    pub hash: String,
    pub format: Format,
    pub variants: Vec<Variant>,
}

/// Every original with variants, by its name below `media/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantsIndex {
    pub images: BTreeMap<String, Entry>,
}

impl VariantsIndex {
    /// The index as stored; a damaged one reads as empty (pages then show plain images,
    /// and the next upload's write replaces it).
    pub fn parse(bytes: &[u8]) -> VariantsIndex {
        serde_json::from_slice(bytes)
            .inspect_err(|e| tracing::error!(error = %e, "media variants index unreadable"))
            .unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("the index serializes")
    }

    pub fn get(&self, key: &MediaKey) -> Option<&Entry> {
        self.images.get(key.name())
    }

    /// The responsive markup for an image at `src` (a `/media/...` path), if it has
    /// variants.
    pub fn responsive(&self, src: &str) -> Option<Responsive> {
        let key = MediaKey::from_url_path(src)?;
        let entry = self.get(&key)?;
        Responsive::of(&key, entry)
    }
}

/// What an `<img>` with variants carries: `srcset`s (the original format's, and
/// WebP's where it was made) and the displayed size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responsive {
    /// The original's href, percent-encoded.
    pub src: String,
    /// `srcset` in the original's format, the original itself as the widest candidate
    /// when no variant reaches `WIDTHS`' largest.
    pub srcset: String,
    /// WebP's `srcset` (a `<picture><source>`), `None` when no WebP was made.
    pub webp_srcset: Option<String>,
    /// The widest candidate's size: the ratio the browser reserves before it loads.
    pub width: u32,
    pub height: u32,
}

impl Responsive {
    fn of(key: &MediaKey, entry: &Entry) -> Option<Responsive> {
        let candidates = |format: Format| -> Vec<(String, u32, u32)> {
            let mut list: Vec<(String, u32, u32)> = entry
                .variants
                .iter()
                .filter(|v| v.format == format)
                .filter_map(|v| Some((MediaKey::parse(&v.name)?.href(), v.width, v.height)))
                .collect();
            list.sort_by_key(|c| c.1);
            list
        };
        let mut own = candidates(entry.format);
        if own.is_empty() {
            return None;
        }
        // A variant at the largest width covers any screen; below it, the original
        // is the sharpest there is.
        if own.last().is_some_and(|c| c.1 < WIDTHS[WIDTHS.len() - 1]) {
            own.push((key.href(), entry.width, entry.height));
        }
        let srcset = |list: &[(String, u32, u32)]| {
            list.iter()
                .map(|(href, w, _)| format!("{href} {w}w"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let webp = candidates(Format::Webp);
        let &(_, width, height) = own.last()?;
        Some(Responsive {
            src: key.href(),
            srcset: srcset(&own),
            webp_srcset: (!webp.is_empty()).then(|| srcset(&webp)),
            width,
            height,
        })
    }

    /// `<img>` (in a `<picture>` with WebP's `<source>` when there is one) with
    /// `alt`; `lead`: the page's first image, fetched at once and first
    /// (`fetchpriority="high"`), every other one `loading="lazy"`.
    pub fn html(&self, alt: &str, lead: bool) -> String {
        let loading = if lead {
            r#" fetchpriority="high""#
        } else {
            r#" loading="lazy" decoding="async""#
        };
        let img = format!(
            r#"<img src="{}" srcset="{}" sizes="{SIZES}" width="{}" height="{}" alt="{}"{loading}>"#,
            self.src,
            escape::html(&self.srcset),
            self.width,
            self.height,
            escape::html(alt),
        );
        match &self.webp_srcset {
            Some(webp) => format!(
                r#"<picture><source type="image/webp" srcset="{}" sizes="{SIZES}">{img}</picture>"#,
                escape::html(webp)
            ),
            None => img,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> MediaKey {
        MediaKey::parse(name).unwrap()
    }

    #[test]
    fn variants_are_named_beside_the_original_and_recognised() {
        let original = key("clínica/año nuevo.JPG");
        let v = variant_key(&original, 960, "1a2b3c4d", Format::Webp);
        assert_eq!(v.name(), "clínica/año nuevo.960w.1a2b3c4d.webp");
        assert!(is_variant(&v));
        assert!(!is_variant(&original));
        let top = variant_key(&key("a.png"), 480, "00ff00ff", Format::Png);
        assert_eq!(top.name(), "a.480w.00ff00ff.png");
        assert!(is_variant(&top));
        for not in [
            "a.jpg",
            "photo.960w.jpg",
            "photo.960.1a2b3c4d.jpg",
            "photo.960w.1A2B3C4D.jpg",
            "photo.960w.1a2b3c4.jpg",
            "photo.w.1a2b3c4d.jpg",
            "photo.960w.1a2b3c4d.gif",
        ] {
            assert!(!is_variant(&key(not)), "{not}");
        }
        let long = "é".repeat(125);
        let v = variant_key(&key(&format!("{long}.jpg")), 1600, "1a2b3c4d", Format::Jpeg);
        assert!(v.name().ends_with(".1600w.1a2b3c4d.jpg") && is_variant(&v));
        assert_eq!(Format::of_original(&key("a/B.JPEG")), Some(Format::Jpeg));
        assert_eq!(Format::of_original(&key("a.gif")), None);
        assert_eq!(content_hash(b"abc"), "ba7816bf");
    }

    fn entry(widths: &[u32], webp: bool) -> Entry {
        let mut variants = Vec::new();
        for &w in widths {
            let h = w * 2 / 3;
            variants.push(Variant {
                name: format!("b c.{w}w.1a2b3c4d.jpg"),
                width: w,
                height: h,
                format: Format::Jpeg,
            });
            if webp {
                variants.push(Variant {
                    name: format!("b c.{w}w.1a2b3c4d.webp"),
                    width: w,
                    height: h,
                    format: Format::Webp,
                });
            }
        }
        Entry {
            width: 1200,
            height: 800,
            hash: "1a2b3c4d".into(),
            format: Format::Jpeg,
            variants,
        }
    }

    #[test]
    fn srcset_lists_one_format_and_the_original_when_no_variant_is_wide() {
        let mut index = VariantsIndex::default();
        index
            .images
            .insert("b c.jpg".into(), entry(&[960, 480], false));
        let r = index.responsive("/media/b%20c.jpg").unwrap();
        assert_eq!(
            r.srcset,
            "/media/b%20c.480w.1a2b3c4d.jpg 480w, /media/b%20c.960w.1a2b3c4d.jpg 960w, /media/b%20c.jpg 1200w"
        );
        assert_eq!(
            (r.width, r.height, r.webp_srcset.as_deref()),
            (1200, 800, None)
        );
        assert_eq!(
            r.html("A \"back\"", false),
            format!("<img src=\"/media/b%20c.jpg\" srcset=\"{}\" sizes=\"{SIZES}\" width=\"1200\" height=\"800\" alt=\"A &quot;back&quot;\" loading=\"lazy\" decoding=\"async\">", r.srcset)
        );
        assert!(index.responsive("/media/other.jpg").is_none());
        assert!(index
            .responsive("https://x.example/media/b%20c.jpg")
            .is_none());
    }

    #[test]
    fn webp_goes_in_a_picture_source_and_the_lead_is_not_lazy() {
        let mut index = VariantsIndex::default();
        let mut e = entry(&[480, 960, 1600], true);
        (e.width, e.height) = (6000, 4000);
        index.images.insert("b c.jpg".into(), e);
        let r = index.responsive("/media/b c.jpg").unwrap();
        assert!(!r.srcset.contains("/media/b%20c.jpg "), "{}", r.srcset);
        assert_eq!((r.width, r.height), (1600, 1066));
        let html = r.html("x", true);
        assert!(html.starts_with("<picture><source type=\"image/webp\" srcset=\"/media/b%20c.480w.1a2b3c4d.webp 480w, "), "{html}");
        assert!(
            html.contains("fetchpriority=\"high\"") && !html.contains("lazy"),
            "{html}"
        );
        assert!(html.ends_with("></picture>"), "{html}");
    }

    #[test]
    fn the_index_round_trips_and_a_damaged_one_reads_empty() {
        let mut index = VariantsIndex::default();
        index.images.insert("a.jpg".into(), entry(&[480], true));
        assert_eq!(VariantsIndex::parse(&index.to_bytes()), index);
        assert_eq!(VariantsIndex::parse(b"{not json"), VariantsIndex::default());
    }
}
