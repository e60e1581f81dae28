//! Redirect lookup with 50,000 redirects: parsing `redirects.toml` once (what a cold
//! instance pays) and one lookup per request (what every request pays).
//! `cargo bench -p lambdapress --bench redirects`; figures go in BENCHMARKS.md.

use lambdapress::redirects::Redirects;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mut redirects = Redirects::new();
    for i in 0..50_000 {
        redirects
            .insert(
                &format!("/{}/{:02}/old-post-number-{i}/", 2000 + i % 25, i % 12 + 1),
                &format!("/posts/old-post-number-{i}"),
            )
            .unwrap();
        if i % 2 == 0 {
            redirects
                .insert(&format!("/?p={i}"), &format!("/posts/old-post-number-{i}"))
                .unwrap();
        }
    }
    let text = redirects.to_toml();
    println!(
        "redirects.toml: {} entries, {} KiB",
        redirects.len(),
        text.len() / 1024
    );

    let start = Instant::now();
    let parsed = Redirects::parse(&text).unwrap();
    println!(
        "parse once per instance: {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(parsed.len(), redirects.len());

    let paths: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "/{}/{:02}/old-post-number-{}/",
                2000 + (i * 37) % 25,
                (i * 37) % 12 + 1,
                i * 37
            )
        })
        .collect();
    let rounds = 200;
    let start = Instant::now();
    let mut hits = 0;
    for _ in 0..rounds {
        for p in &paths {
            hits += usize::from(black_box(&parsed).target(black_box(p), None).is_some());
            hits += usize::from(black_box(&parsed).target("/posts/live", None).is_some());
        }
    }
    let per = start.elapsed().as_secs_f64() / (rounds * paths.len() * 2) as f64;
    println!("lookup (hit or miss): {:.0} ns; {hits} hits", per * 1e9);
}
