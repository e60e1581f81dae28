//! The benches' one timing harness: batches timed for a budget (`measure`) and long
//! operations timed a few times (`measure_long`), median and fastest reported.
//!
//! For instruction counts (`valgrind --tool=callgrind`, steady on a loaded machine):
//! `BENCH_ONLY=<part of a name>` runs only matching benches, and `BENCH_ITERS=n` runs
//! each `measure` exactly n times untimed; two runs with different n give the
//! instructions per call by difference. Included with `#[path]` by each bench (a
//! subdirectory, so cargo does not take it for a bench of its own).

#![allow(dead_code)]

use std::time::{Duration, Instant};

fn skipped(name: &str) -> bool {
    std::env::var("BENCH_ONLY").is_ok_and(|only| !name.contains(&only))
}

/// Runs `f` in batches of 100 for about `budget` (after 200 warm-up calls), and
/// reports the median and fastest batch as time per call.
pub fn measure(name: &str, budget: Duration, mut f: impl FnMut()) {
    if skipped(name) {
        return;
    }
    if let Some(iters) = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        for _ in 0..iters {
            f();
        }
        println!("{name}: {iters} runs");
        return;
    }
    for _ in 0..200 {
        f();
    }
    let start = Instant::now();
    let mut per_call = Vec::new();
    while start.elapsed() < budget {
        let batch = 100;
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        per_call.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    per_call.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = per_call[per_call.len() / 2];
    println!(
        "{name:<56} median {:>9.2} µs   min {:>9.2} µs   ({} batches of 100)",
        median * 1e6,
        per_call[0] * 1e6,
        per_call.len()
    );
}

/// Times a long operation `runs` times; reports the median and fastest run.
pub fn measure_long(name: &str, runs: usize, mut f: impl FnMut()) {
    if skipped(name) {
        return;
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name:<56} median {:>9.2} ms   min {:>9.2} ms   ({runs} runs)",
        times[times.len() / 2] * 1e3,
        times[0] * 1e3
    );
}
