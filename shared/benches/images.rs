//! Image variants: the time and peak memory of making a 24-megapixel photo's variants
//! (BENCHMARKS.md, "Image variants"), and the sizes that decide where WebP is made.
//!
//! `cargo bench -p lambdapress --bench images -- write <file.jpg>`: a 6000 × 4000
//! photo-like JPEG (smooth light, texture at several scales, sensor grain) at quality 90.
//! `... -- make <file>`: decodes it and makes its variants as the images function does,
//! once, printing the time and this process's peak RSS (run it alone: the peak is the
//! whole process's). `... -- sizes <file>`: each width in JPEG, PNG and lossless WebP.
//! `... -- fixtures <dir>`: the small JPEG and PNG the tests upload.

use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};
use lambdapress::images::make::{decode, encode, make_variants};
use lambdapress::images::Format;
use lambdapress::ports::MediaKey;
use std::time::Instant;

fn hash(x: u32, y: u32, seed: u32) -> u32 {
    let mut h =
        x.wrapping_mul(0x27d4_eb2d) ^ y.wrapping_mul(0x1656_67b1) ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h
}

/// Smooth value noise in 0..1 with cells `cell` pixels wide.
fn noise(x: u32, y: u32, cell: u32, seed: u32) -> f32 {
    let (cx, cy) = (x / cell, y / cell);
    let (fx, fy) = (
        (x % cell) as f32 / cell as f32,
        (y % cell) as f32 / cell as f32,
    );
    let v = |i, j| (hash(cx + i, cy + j, seed) & 0xffff) as f32 / 65535.0;
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let top = v(0, 0) + (v(1, 0) - v(0, 0)) * sx;
    let bottom = v(0, 1) + (v(1, 1) - v(0, 1)) * sx;
    top + (bottom - top) * sy
}

/// A photo-like image: what a JPEG encoder meets in a real photo (large smooth areas,
/// edges and texture at several scales, and grain), so the sizes and times are a photo's.
fn photo_like(w: u32, h: u32) -> RgbImage {
    let scale = w as f32 / 6000.0;
    let cell = |c: f32| ((c * scale) as u32).max(2);
    RgbImage::from_fn(w, h, |x, y| {
        let light = 0.35 + 0.5 * (y as f32 / h as f32) + 0.15 * noise(x, y, cell(1500.0), 1);
        let shape = noise(x, y, cell(400.0), 2);
        let texture = 0.6 * noise(x, y, cell(60.0), 3) + 0.4 * noise(x, y, cell(12.0), 4);
        let grain = (hash(x, y, 5) & 0xff) as f32 / 255.0 - 0.5;
        let band = if shape > 0.55 { 1.0 } else { 0.6 };
        let base = light * band * (0.75 + 0.25 * texture);
        let c = |tint: f32| ((base * tint + grain * 0.04).clamp(0.0, 1.0) * 255.0) as u8;
        Rgb([c(1.0), c(0.85 + 0.1 * shape), c(0.7 + 0.2 * texture)])
    })
}

/// A flat graphic with a transparent surround (a logo or diagram), as PNGs usually are.
fn graphic(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        let r = (dx * dx + dy * dy).sqrt() / (h as f32 / 2.0);
        if r > 1.0 {
            Rgba([0, 0, 0, 0])
        } else if r > 0.9 {
            Rgba([46, 107, 97, 255])
        } else if (x / 125 + y / 100) % 2 == 0 {
            Rgba([31, 111, 120, 255])
        } else {
            Rgba([240, 236, 228, 255])
        }
    })
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn format_of(path: &str) -> Format {
    if path.to_ascii_lowercase().ends_with(".png") {
        Format::Png
    } else {
        Format::Jpeg
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", path] => {
            let img = DynamicImage::ImageRgb8(photo_like(6000, 4000));
            let mut out = Vec::new();
            img.to_rgb8()
                .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                    &mut out, 90,
                ))
                .unwrap();
            std::fs::write(path, &out).unwrap();
            println!("{path}: 6000 x 4000, {} bytes", out.len());
        }
        ["make", path] => {
            let bytes = std::fs::read(path).unwrap();
            let key = MediaKey::parse("bench/photo.jpg").unwrap();
            let before = peak_rss_kib();
            let start = Instant::now();
            let made = make_variants(&key, format_of(path), &bytes).unwrap();
            let took = start.elapsed();
            println!(
                "{path}: {} bytes, {} x {}; {} variants in {:.2} s; peak RSS {} MiB (before: {} MiB)",
                bytes.len(),
                made.entry.width,
                made.entry.height,
                made.files.len(),
                took.as_secs_f64(),
                peak_rss_kib() / 1024,
                before / 1024
            );
            for (key, bytes, _) in &made.files {
                println!("  {} {} bytes", key.name(), bytes.len());
            }
        }
        ["sizes", path] => {
            let img = decode(format_of(path), &std::fs::read(path).unwrap()).unwrap();
            println!("{path}: {} x {}", img.width(), img.height());
            for w in [480u32, 960, 1600].into_iter().filter(|w| *w < img.width()) {
                let h = img.height() * w / img.width();
                let small = img.resize_exact(w, h, image::imageops::FilterType::CatmullRom);
                let sizes: Vec<String> = [Format::Jpeg, Format::Png, Format::Webp]
                    .into_iter()
                    .map(|f| format!("{f:?} {}", encode(&small, f).unwrap().len()))
                    .collect();
                println!("  {w}w: {}", sizes.join(", "));
            }
        }
        ["fixtures", dir] => {
            let jpeg = encode(
                &DynamicImage::ImageRgb8(photo_like(1200, 800)),
                Format::Jpeg,
            )
            .unwrap();
            std::fs::write(format!("{dir}/photo.jpg"), &jpeg).unwrap();
            let png = encode(&DynamicImage::ImageRgba8(graphic(1000, 700)), Format::Png).unwrap();
            std::fs::write(format!("{dir}/diagram.png"), &png).unwrap();
            println!(
                "photo.jpg {} bytes, diagram.png {} bytes",
                jpeg.len(),
                png.len()
            );
        }
        _ => eprintln!(
            "usage: images (write <out.jpg> | make <file> | sizes <file> | fixtures <dir>)"
        ),
    }
}
