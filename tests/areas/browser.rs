//! Everything in headless Chromium: pages, comments, the contact form, the menu, search, responsive images, the CSP.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../browser.rs"]
mod browser;
#[path = "../comments_browser.rs"]
mod comments_browser;
#[path = "../contact_browser.rs"]
mod contact_browser;
#[path = "../images_browser.rs"]
mod images_browser;
#[path = "../search_browser.rs"]
mod search_browser;
#[path = "../security_browser.rs"]
mod security_browser;
#[path = "../website_browser.rs"]
mod website_browser;
