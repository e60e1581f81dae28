//! Subscribing and newsletters: the subscribe function, newsletters end to end, and their bench.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../newsletter.rs"]
mod newsletter;
#[path = "../newsletter_bench.rs"]
mod newsletter_bench;
#[path = "../subscribe.rs"]
mod subscribe;
