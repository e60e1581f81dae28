//! Test support: API Gateway and S3 event fixtures, stores against moto's server or
//! embedded, and the contract suites every adapter of a port must pass.

pub mod browser;
pub mod bucket;
pub mod comments;
pub mod comments_contract;
pub mod contract;
pub mod fault_proxy;
pub mod feedparser;
pub mod fixtures;
pub mod mail;
pub mod moto;
pub mod sample;
pub mod store_hooks;
pub mod subscribers_contract;
