//! The site function: article and listing pages, pages and the menu, through API Gateway events.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../custom_css.rs"]
mod custom_css;
#[path = "../function_links.rs"]
mod function_links;
#[path = "../language.rs"]
mod language;
#[path = "../search.rs"]
mod search;
#[path = "../site_pages.rs"]
mod site_pages;
#[path = "../toc.rs"]
mod toc;
#[path = "../unicode_slugs.rs"]
mod unicode_slugs;
#[path = "../website.rs"]
mod website;
