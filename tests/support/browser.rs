//! Headless Chromium through chromedriver (WebDriver), against the local site served
//! in-process on a free port: pages are checked as a visitor's browser sees them.
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them). Without them a
//! test is skipped, unless `LAMBDAPRESS_REQUIRE_BROWSER` is set (CI sets it).

use crate::sample::{copy_dir, sample_content_dir, ScratchDir};
use fantoccini::{Client, ClientBuilder, Locator};
use lambdapress_infra::local::{LocalConfig, LocalSite};
use serde_json::json;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The local site (every function, embedded adapters) on 127.0.0.1 with its own
/// content copy and data folder.
pub struct LocalServer {
    pub base_url: String,
    pub content_dir: PathBuf,
    pub data_dir: PathBuf,
    _dir: ScratchDir,
}

impl LocalServer {
    pub async fn start() -> LocalServer {
        LocalServer::launch(|_| {}, false).await
    }

    /// `start`, with the content copy changed by `prepare` first.
    pub async fn start_with(prepare: impl FnOnce(&Path)) -> LocalServer {
        LocalServer::launch(prepare, false).await
    }

    /// With `trust`, visitors' addresses come from `X-Forwarded-For` (the bench option).
    pub async fn start_trusting_forwarded_for(trust: bool) -> LocalServer {
        LocalServer::launch(|_| {}, trust).await
    }

    async fn launch(prepare: impl FnOnce(&Path), trust: bool) -> LocalServer {
        let dir = ScratchDir::new();
        let content_dir = dir.0.join("content");
        copy_dir(&sample_content_dir(), &content_dir);
        prepare(&content_dir);
        let data_dir = dir.0.join("data");
        let config = LocalConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            content_dir: content_dir.clone(),
            data_dir: data_dir.clone(),
        };
        let site = LocalSite::bind(&config)
            .await
            .expect("the local site binds")
            .trusting_forwarded_for(trust);
        let base_url = site.base_url.clone();
        tokio::spawn(site.run());
        LocalServer {
            base_url,
            content_dir,
            data_dir,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The `.eml` files the local mailer wrote, oldest first.
    pub fn outbox(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.data_dir.join("outbox"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }
}

/// The text part of an `.eml` from the outbox, decoded (the outbox writes it in base64).
pub fn eml_text(eml: &str) -> String {
    use base64::Engine;
    let start = eml.find("Content-Type: text/plain").expect("a text part");
    let (_, body) = eml[start..]
        .split_once("\r\n\r\n")
        .expect("the text part has a body");
    let encoded: String = body
        .lines()
        .take_while(|l| !l.is_empty() && !l.starts_with("--"))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .expect("the text part is base64");
    String::from_utf8(bytes).expect("the text is UTF-8")
}

/// A headless Chromium session. Ends the browser and its driver when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: ScratchDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session; `None` (test skipped)
    /// when Chromium is not installed and the browser is not required.
    pub async fn start() -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            if std::env::var_os("LAMBDAPRESS_REQUIRE_BROWSER").is_some() {
                panic!("LAMBDAPRESS_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing");
            }
            eprintln!("skipped: chromium and chromium-driver are not installed");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = ScratchDir::new();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--window-size=1280,900", format!("--user-data-dir={}", profile.0.display()),
                ],
            }),
        );
        caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
        let webdriver = format!("http://127.0.0.1:{port}");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    })
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session from chromedriver: {last_error}");
    }

    /// Whether a JavaScript dialog (alert/confirm/prompt) is open: the tell-tale of an
    /// injected script that ran.
    pub async fn dialog_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        element.text().await.expect("element text")
    }

    /// Waits (up to 90 s, for a loaded machine) until an element is on the page: a
    /// submit returns before the page it leads to has arrived.
    pub async fn wait_for(&self, locator: Locator<'_>) -> fantoccini::elements::Element {
        let what = format!("{locator:?}");
        self.client
            .wait()
            .at_most(Duration::from_secs(90))
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("{what} never appeared: {e}"))
    }

    /// Fails unless the page is at most as wide as the window (no sideways scrolling).
    pub async fn assert_no_overflow(&self, what: &str) {
        let overflow = self
            .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await;
        assert_eq!(overflow.as_i64(), Some(0), "{what} scrolls sideways");
    }

    /// Fails if the page has a script element (the JSON-LD data block aside).
    pub async fn assert_no_script(&self, what: &str) {
        let scripts = self
            .eval(
                "return document.querySelectorAll('script:not([type=\"application/ld+json\"])').length",
            )
            .await;
        assert_eq!(scripts.as_i64(), Some(0), "{what} needs no JavaScript");
    }

    /// Whether the first element matching `css` exists and is shown.
    pub async fn visible(&self, css: &str) -> bool {
        self.eval(&format!(
            "const e = document.querySelector(\"{css}\"); return !!e && e.checkVisibility({{visibilityProperty: true}})"
        ))
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// Sends `key` to the focused element (the page's body when nothing has focus).
    pub async fn press(&self, key: fantoccini::key::Key) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(&key.to_string())
            .await
            .expect("the key is sent");
    }

    /// Presses Tab up to `most` times until the script `focused` (say, `return
    /// document.activeElement.id`) returns `want`; whether focus got there.
    pub async fn tab_until(&self, focused: &str, want: &str, most: usize) -> bool {
        for _ in 0..most {
            self.press(fantoccini::key::Key::Tab).await;
            if self.eval(focused).await.as_str() == Some(want) {
                return true;
            }
        }
        false
    }

    /// Saves the window as `target/screenshots/<name>` (for the closing notes' findings).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    /// Ends the WebDriver session; the driver process ends on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
