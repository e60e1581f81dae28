//! Security rules, `/media/*` (embedded and on S3), fault injection on the AWS adapters, and the signing keys from Secrets Manager.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../fault_proxy.rs"]
mod fault_proxy;
#[path = "../media.rs"]
mod media;
#[path = "../media_variants.rs"]
mod media_variants;
#[path = "../secret_aws.rs"]
mod secret_aws;
#[path = "../security.rs"]
mod security;
