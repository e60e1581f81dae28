//! The subscribe function's pages: one template, filled per result.

use crate::render::pages::stylesheet_href;
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
    pub button: &'static str,
}

#[derive(Template)]
#[template(path = "subscribe.html")]
pub struct SubscribePage<'a> {
    pub site_title: &'a str,
    pub stylesheet: &'static str,
    pub heading: &'a str,
    pub message: &'a str,
    pub action: Option<ActionForm<'a>>,
    pub form: Option<SignupForm<'a>>,
    pub back: Option<&'a str>,
}

impl<'a> SubscribePage<'a> {
    pub fn new(site_title: &'a str, heading: &'a str, message: &'a str) -> SubscribePage<'a> {
        SubscribePage {
            site_title,
            stylesheet: stylesheet_href(),
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
