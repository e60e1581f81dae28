//! Local runner and operator tools: the whole site in one process on 127.0.0.1 with
//! the embedded adapters, and the CLI commands that drive the same code.

pub mod aws_cli;
pub mod comments_cli;
pub mod csv;
pub mod import;
pub mod local;
pub mod newsletter_cli;
pub mod subscribers;
