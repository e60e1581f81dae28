//! Pure domain types: validated newtypes and the content model. No I/O here.

pub mod archive;
pub mod business;
pub mod comment;
pub mod contact;
pub mod custom_css;
pub mod page;
pub mod post;
pub mod secret;
pub mod settings;
pub mod slug;
pub mod subscriber_email;
pub mod theme;
pub mod time_fmt;

pub use comment::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, FieldError, Website,
};
pub use contact::ContactMessage;
pub use custom_css::{CustomCss, CustomCssError};
pub use page::{Page, RESERVED_SLUGS};
pub use post::{FrontMatter, Image, Post, PostError, PostMeta};
pub use secret::{Secret, SecretError, TokenError};
pub use settings::{
    CommentSettings, ContactSettings, MenuEntry, Moderation, SettingsError, SiteSettings,
};
pub use slug::{truncate_on_char, Slug, SlugError, Tag};
pub use subscriber_email::{SubscriberEmail, SubscriberEmailError};
