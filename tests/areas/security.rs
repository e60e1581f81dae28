//! Security rules, `/media/*` (embedded, on S3 and at the CloudFront edge) and its image variants, fault injection on the AWS adapters, and the signing keys from Secrets Manager.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../cdn_media.rs"]
mod cdn_media;
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
