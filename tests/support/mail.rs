//! A mailer that keeps every message in memory, so tests can read the links sent.

use async_trait::async_trait;
use lambdapress::ports::{Mail, MailError, Mailer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<Mail>>,
    /// While set, every send fails (the transport is down).
    pub failing: AtomicBool,
}

impl RecordingMailer {
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    pub fn last(&self) -> Mail {
        self.sent
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a mail was sent")
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailError::new("transport down"));
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(mail.clone());
        Ok(format!("message-{}", sent.len()))
    }
}

/// The first link in the mail's text that starts with `prefix`.
pub fn link(mail: &Mail, prefix: &str) -> String {
    mail.text
        .split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {:?}", mail.text))
        .to_owned()
}

/// The `token=` value of a link.
pub fn token(link: &str) -> String {
    link.split_once("token=")
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("no token in {link}"))
}
