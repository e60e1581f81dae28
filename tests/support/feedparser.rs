//! A real feed client: Python's `feedparser` (installed by `infra/test.sh`, which exports
//! `LAMBDAPRESS_PYTHON`). Tests hand it a feed's bytes and read back what it understood.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// The Python with feedparser, or `None` (skip) when it is not set up. Under
/// `LAMBDAPRESS_REQUIRE_MOTO` (set by `infra/test.sh` and CI) a missing one fails instead.
pub fn python() -> Option<String> {
    match std::env::var("LAMBDAPRESS_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ if std::env::var_os("LAMBDAPRESS_REQUIRE_MOTO").is_some() => {
            panic!("LAMBDAPRESS_REQUIRE_MOTO is set but LAMBDAPRESS_PYTHON is not")
        }
        _ => {
            eprintln!("skipped: feedparser is not set up (run infra/test.sh to include it)");
            None
        }
    }
}

const SCRIPT: &str = r#"
import calendar, json, sys, time, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
def when(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", t) if t else None
def links(x):
    return [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")} for l in x.get("links", [])]
out = {
    "bozo": bool(d.bozo),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "namespaces": d.namespaces,
    "feed": {
        "title": d.feed.get("title"),
        "link": d.feed.get("link"),
        "id": d.feed.get("id"),
        "links": links(d.feed),
        "updated": when(d.feed.get("updated_parsed")),
        "author": d.feed.get("author"),
        "language": d.feed.get("language"),
    },
    "entries": [{
        "title": e.get("title"),
        "link": e.get("link"),
        "id": e.get("id"),
        "guidislink": e.get("guidislink"),
        "published": when(e.get("published_parsed")),
        "updated": when(e.get("updated_parsed")),
        "summary": e.get("summary"),
        "content": [c.get("value") for c in e.get("content", [])],
        "author": e.get("author"),
        "tags": [t.get("term") for t in e.get("tags", [])],
    } for e in d.entries],
}
json.dump(out, sys.stdout)
"#;

/// What feedparser makes of `bytes`.
pub fn parse(python: &str, bytes: &[u8]) -> Value {
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(bytes)
        .expect("feed written to feedparser");
    let out = child.wait_with_output().expect("feedparser finishes");
    assert!(
        out.status.success(),
        "feedparser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("feedparser's report is JSON")
}

/// Parses and asserts feedparser saw no error at all.
pub fn parse_clean(python: &str, bytes: &[u8]) -> Value {
    let parsed = parse(python, bytes);
    assert_eq!(
        parsed["bozo"],
        false,
        "feedparser: {}\n{}",
        parsed["bozo_exception"],
        String::from_utf8_lossy(bytes)
    );
    parsed
}
