//! The WordPress importer.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../import_wordpress.rs"]
mod import_wordpress;
