//! The feeds function: events, generated feeds, drift, faults, comment feeds, on embedded adapters and moto.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../feeds_aws.rs"]
mod feeds_aws;
#[path = "../feeds_comments.rs"]
mod feeds_comments;
#[path = "../feeds_drift.rs"]
mod feeds_drift;
#[path = "../feeds_events.rs"]
mod feeds_events;
#[path = "../feeds_faults.rs"]
mod feeds_faults;
#[path = "../feeds_posts.rs"]
mod feeds_posts;
#[path = "../feeds_reconcile_bench.rs"]
mod feeds_reconcile_bench;
