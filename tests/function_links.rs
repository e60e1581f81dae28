//! Each function links only what it uses: `cargo tree` of every deployed package, held
//! to what it may not contain (issue 15's split; the TLS and logging cuts of stop 20).

use std::process::Command;

/// Crates no function may link: aws-lc (the SDK's default TLS, replaced by rustls on
/// ring), regex (tracing-subscriber's env-filter), SQLite (only infra and the tests).
const NOWHERE: &[&str] = &["aws-lc-sys", "aws-lc-rs", "regex-automata", "rusqlite"];

/// The normal (shipped) dependencies of `package`, one crate name per line.
fn linked(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(["-p", package])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn assert_links_none(package: &str, forbidden: &[&str]) {
    let crates = linked(package);
    assert!(
        crates.iter().any(|c| c == "lambdapress"),
        "{package}: {crates:?}"
    );
    for bad in NOWHERE.iter().chain(forbidden) {
        assert!(!crates.iter().any(|c| c == bad), "{package} links {bad}");
    }
}

#[test]
fn every_function_links_no_aws_lc_no_regex_and_no_sqlite() {
    for package in [
        "site",
        "subscribe",
        "comment",
        "feeds",
        "newsletter",
        "images",
    ] {
        assert_links_none(package, &[]);
    }
}

#[test]
fn only_the_images_function_links_the_image_codecs() {
    for package in ["site", "subscribe", "comment", "feeds", "newsletter"] {
        assert_links_none(package, &["image", "zune-jpeg", "png", "image-webp"]);
    }
    assert!(linked("images").iter().any(|c| c == "image"));
    assert_links_none(
        "images",
        &["aws-sdk-sesv2", "aws-sdk-sqs", "ammonia", "rss"],
    );
}

#[test]
fn the_site_function_links_no_mail_queue_secret_or_sanitizer() {
    assert_links_none(
        "site",
        &[
            "aws-sdk-sesv2",
            "aws-sdk-sqs",
            "aws-sdk-secretsmanager",
            "ammonia",
            "html5ever",
        ],
    );
    assert_links_none("feeds", &["aws-sdk-sesv2", "ammonia"]);
    assert_links_none("subscribe", &["aws-sdk-sqs", "ammonia"]);
}

#[test]
fn the_forbidden_list_would_catch_what_infra_links() {
    // infra (the local runner) links SQLite and EnvFilter's regex: the check sees them.
    let crates = linked("lambdapress-infra");
    assert!(crates.iter().any(|c| c == "rusqlite"));
    assert!(crates.iter().any(|c| c == "regex-automata"));
}
