//! The adapter contract suites: content and post index, comments, subscribers.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../comments_contract.rs"]
mod comments_contract;
#[path = "../contract.rs"]
mod contract;
#[path = "../subscribers_store.rs"]
mod subscribers_store;
