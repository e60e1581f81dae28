//! The subscribe function's pages: one template, filled per result, in the site's
//! language and with its head (stylesheets, favicon, feeds) when its settings load.

use crate::i18n::Messages;
use crate::render::chrome::{plain_head_links, SiteChrome};
use askama::Template;

/// The signup form, with the visitor's input and an error beside the field.
pub struct SignupForm<'a> {
    pub email: &'a str,
    pub source: &'a str,
    pub error: Option<&'a str>,
}

/// A single button that POSTs (confirm, unsubscribe): link scanners only GET.
pub struct ActionForm<'a> {
    pub url: String,
    pub hidden: Vec<(&'static str, &'a str)>,
    pub button: &'a str,
}

#[derive(Template)]
#[template(path = "subscribe.html")]
pub struct SubscribePage<'a> {
    pub site_title: &'a str,
    /// `<html lang>`, the head's links and the strings, as the chrome has them.
    pub lang: &'a str,
    pub head_links: &'a str,
    pub t: &'static Messages,
    pub heading: &'a str,
    pub message: &'a str,
    pub action: Option<ActionForm<'a>>,
    pub form: Option<SignupForm<'a>>,
    pub back: Option<&'a str>,
}

impl<'a> SubscribePage<'a> {
    /// A page with the site's look and language, or (no chrome: the settings could not
    /// be read) the built-in look in English under `site_title`.
    pub fn new(
        chrome: Option<&'a SiteChrome>,
        site_title: &'a str,
        heading: &'a str,
        message: &'a str,
    ) -> SubscribePage<'a> {
        SubscribePage {
            site_title: chrome.map_or(site_title, |c| c.title.as_str()),
            lang: chrome.map_or("en", |c| c.language.as_str()),
            head_links: match chrome {
                Some(c) => c.head_links(),
                None => plain_head_links(),
            },
            t: match chrome {
                Some(c) => c.t,
                None => crate::i18n::messages(Default::default()),
            },
            heading,
            message,
            action: None,
            form: None,
            back: Some("/"),
        }
    }

    pub fn with_form(mut self, form: SignupForm<'a>) -> Self {
        self.form = Some(form);
        self
    }

    pub fn with_action(mut self, action: ActionForm<'a>) -> Self {
        self.action = Some(action);
        self
    }

    pub fn with_back(mut self, back: &'a str) -> Self {
        self.back = Some(back);
        self
    }

    /// The page as HTML; a template failure still gives the visitor a readable page.
    pub fn html(&self) -> String {
        self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "subscribe template failed");
            "<!DOCTYPE html><title>Subscribe</title><p>Please try again in a minute.</p>".into()
        })
    }
}
