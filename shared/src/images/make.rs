//! Making an original's variants: decode within limits (a decompression bomb is refused,
//! never allocated), turn upright by its EXIF orientation, resize to each of `WIDTHS`
//! narrower than it, and encode in its own format, and in WebP when WebP is smaller.
//!
//! WebP here is the `image` crate's encoder, which is lossless only: for a photo it is
//! several times a JPEG at quality 82, so an image gets WebP variants only when its
//! smallest one is smaller in WebP than in its own format (graphics and screenshots in
//! PNG, in practice). Figures in BENCHMARKS.md ("Image variants").

use super::{content_hash, variant_key, Entry, Format, Variant, WIDTHS};
use crate::ports::MediaKey;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Pixels an original may have: 50 megapixels (a 24 MP photo is 6000 × 4000; the
/// largest common sensors are around 45 MP). Decoded as 8-bit RGBA that is 200 MB.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Bytes the decoder may allocate at once (a 16-bit image at the pixel limit is refused).
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The JPEG variants' quality: indistinguishable from the original at these widths.
pub const JPEG_QUALITY: u8 = 82;

/// Why an upload gets no variants. Each is logged and the event is done with: none
/// is worth a retry.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("not an image of its extension's format: {0}")]
    NotAnImage(String),
    #[error("{width} × {height} pixels is over the limit of {MAX_PIXELS}")]
    TooLarge { width: u32, height: u32 },
    #[error("decoding exceeded the limits: {0}")]
    Limits(String),
    #[error("{0}")]
    Encode(String),
}

/// An original's variants, encoded, and the index entry that lists them.
pub struct Made {
    pub entry: Entry,
    pub files: Vec<(MediaKey, Vec<u8>, Format)>,
}

/// Decodes `bytes` (the original at `key`, in `format`) and makes its variants. An
/// original no wider than the smallest width gets none (`files` empty).
pub fn make_variants(key: &MediaKey, format: Format, bytes: &[u8]) -> Result<Made, Refused> {
    let mut image = decode(format, bytes)?;
    let hash = content_hash(bytes);
    let (width, height) = (image.width(), image.height());
    // Narrowest last: each is resized from the one before it, so only the widest
    // reads the full-size original.
    let widths: Vec<u32> = WIDTHS
        .iter()
        .rev()
        .copied()
        .filter(|w| *w < width)
        .collect();
    let mut scaled = Vec::with_capacity(widths.len());
    for &w in &widths {
        let h = ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width))
            .max(1) as u32;
        image = image.resize_exact(w, h, FilterType::CatmullRom);
        scaled.push(image.clone());
    }
    drop(image);
    scaled.reverse();
    let mut files = Vec::with_capacity(scaled.len() * 2);
    let mut variants = Vec::with_capacity(scaled.len() * 2);
    let mut webp = None;
    for img in &scaled {
        let own = encode(img, format)?;
        // The smallest decides for all: one srcset per format, never a partial one.
        let webp_bytes = match webp {
            None => {
                let trial = encode(img, Format::Webp).ok();
                let wins = trial.as_ref().is_some_and(|w| w.len() < own.len());
                webp = Some(wins);
                trial.filter(|_| wins)
            }
            Some(true) => Some(encode(img, Format::Webp)?),
            Some(false) => None,
        };
        let mut add = |bytes: Vec<u8>, f: Format| {
            let key = variant_key(key, img.width(), &hash, f);
            variants.push(Variant {
                name: key.name().to_owned(),
                width: img.width(),
                height: img.height(),
                format: f,
            });
            files.push((key, bytes, f));
        };
        add(own, format);
        if let Some(bytes) = webp_bytes {
            add(bytes, Format::Webp);
        }
    }
    Ok(Made {
        entry: Entry {
            width,
            height,
            hash,
            format,
            variants,
        },
        files,
    })
}

/// The upright image, decoded within `MAX_PIXELS` and `MAX_ALLOC`.
pub fn decode(format: Format, bytes: &[u8]) -> Result<DynamicImage, Refused> {
    let image_format = match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Webp => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    limits.max_image_width = Some(65_535);
    limits.max_image_height = Some(65_535);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refused::TooLarge { width, height });
    }
    // A missing or unreadable EXIF block leaves the image as stored.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

fn refused(e: image::ImageError) -> Refused {
    match e {
        image::ImageError::Limits(e) => Refused::Limits(e.to_string()),
        e => Refused::NotAnImage(e.to_string()),
    }
}

/// `img` encoded in `format` (8 bits a channel; alpha kept but in JPEG).
pub fn encode(img: &DynamicImage, format: Format) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    let alpha = img.color().has_alpha();
    let written = match format {
        Format::Jpeg => img
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        Format::Png => {
            let encoder =
                PngEncoder::new_with_quality(&mut out, CompressionType::Best, PngFilter::Adaptive);
            if alpha {
                img.to_rgba8().write_with_encoder(encoder)
            } else {
                img.to_rgb8().write_with_encoder(encoder)
            }
        }
        Format::Webp => {
            let encoder = WebPEncoder::new_lossless(&mut out);
            if alpha {
                img.to_rgba8().write_with_encoder(encoder)
            } else {
                img.to_rgb8().write_with_encoder(encoder)
            }
        }
    };
    written.map_err(|e| Refused::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn photo_like(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 23;
            Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, (n * 11) as u8])
        }))
    }

    #[test]
    fn variants_are_made_below_the_original_width_only() {
        let key = MediaKey::parse("a/p.jpg").unwrap();
        let bytes = encode(&photo_like(1000, 600), Format::Jpeg).unwrap();
        let made = make_variants(&key, Format::Jpeg, &bytes).unwrap();
        let sizes: Vec<(u32, u32)> = made
            .entry
            .variants
            .iter()
            .filter(|v| v.format == Format::Jpeg)
            .map(|v| (v.width, v.height))
            .collect();
        assert_eq!(sizes, [(480, 288), (960, 576)]);
        assert_eq!((made.entry.width, made.entry.height), (1000, 600));
        for (key, bytes, format) in &made.files {
            let img = decode(*format, bytes).unwrap();
            let v = made
                .entry
                .variants
                .iter()
                .find(|v| v.name == key.name())
                .unwrap();
            assert_eq!((img.width(), img.height()), (v.width, v.height));
            assert!(super::super::is_variant(key));
        }
        let small = encode(&photo_like(400, 300), Format::Png).unwrap();
        let key = MediaKey::parse("s.png").unwrap();
        assert!(make_variants(&key, Format::Png, &small)
            .unwrap()
            .files
            .is_empty());
    }

    #[test]
    fn a_bomb_and_a_non_image_are_refused() {
        // A valid PNG header claiming 60000 × 60000 pixels: refused before decoding.
        let bomb = png_header(60_000, 60_000);
        let refused = decode(Format::Png, &bomb);
        assert!(
            matches!(refused, Err(Refused::TooLarge { .. } | Refused::Limits(_))),
            "{refused:?}"
        );
        assert!(matches!(
            decode(Format::Jpeg, b"<html>not a photo</html>"),
            Err(Refused::NotAnImage(_))
        ));
    }

    /// A PNG signature and IHDR chunk for an 8-bit RGB image of that size, no data.
    pub(crate) fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(w.to_be_bytes());
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        let crc = crc32(&ihdr);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(13u32.to_be_bytes());
        png.extend(&ihdr);
        png.extend(crc.to_be_bytes());
        for (kind, data) in [
            (
                &b"IDAT"[..],
                &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
            ),
            (b"IEND", &[]),
        ] {
            let mut chunk = kind.to_vec();
            chunk.extend(data);
            png.extend((data.len() as u32).to_be_bytes());
            png.extend(&chunk);
            png.extend(crc32(&chunk).to_be_bytes());
        }
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
