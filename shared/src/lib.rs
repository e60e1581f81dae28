//! lambdapress: domain types, rendering, storage ports with their AWS and embedded
//! adapters, and the HTTP handlers every Lambda (and the local runner) calls into.

pub mod adapters;
pub mod aws;
pub mod comments;
pub mod domain;
pub mod feeds;
pub mod http;
pub mod indexer;
pub mod newsletter;
pub mod ports;
pub mod render;
pub mod site;
pub mod subscribe;
