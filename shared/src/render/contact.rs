//! The contact form on a page that asks for it: the values a visitor left, the message
//! beside each refused field, and the notice once a message was sent.

/// A message beside each field of the contact form; `form` is about the whole form
/// (the mail could not be sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactErrors {
    pub name: Option<String>,
    pub email: Option<String>,
    pub message: Option<String>,
    pub form: Option<String>,
}

impl ContactErrors {
    pub fn is_empty(&self) -> bool {
        *self == ContactErrors::default()
    }

    /// (field, message) pairs of the fields, for JSON answers.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        super::field_pairs([
            ("name", &self.name),
            ("email", &self.email),
            ("message", &self.message),
        ])
    }
}

/// The contact form as the page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactForm {
    /// Where it posts: `/<page>/message`.
    pub action: String,
    pub name: String,
    pub email: String,
    pub message: String,
    pub errors: ContactErrors,
    /// `?message=sent`: the visitor's message went out.
    pub sent: bool,
}

impl ContactForm {
    /// An empty form for the page at `/<slug>`.
    pub fn for_page(slug: &crate::domain::Slug) -> ContactForm {
        ContactForm {
            action: format!("{}/message", crate::site::routes::page_path(slug)),
            ..ContactForm::default()
        }
    }
}
