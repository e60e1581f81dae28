//! The command-line tool: the WordPress importer, AWS profiles (SSO, credential_process).
//! One binary for the area; each module is one file of `tests/`.

#[path = "../cli_profiles.rs"]
mod cli_profiles;
#[path = "../import_wordpress.rs"]
mod import_wordpress;
