//! The signing key ring from Secrets Manager: one `GetSecretValue` at init, held for
//! the process. The template passes only the secret's ARN (`SECRET_ARN`), never its value.

use crate::domain::{Secret, SecretError};
use aws_config::SdkConfig;

/// The environment variable naming the secret (its ARN or name).
pub const SECRET_ARN_ENV: &str = "SECRET_ARN";

pub fn secretsmanager_client(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// Reads the key ring named by `secret_id` (AWSCURRENT). The value's format is
/// `Secret::parse`'s; an unreadable or malformed secret is an init error, so the
/// function never starts with a key it cannot trust.
pub async fn load_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Secret, SecretError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            SecretError::Unavailable(
                aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let value = match (out.secret_string(), out.secret_binary()) {
        (Some(text), _) => text.to_owned(),
        (None, Some(blob)) => String::from_utf8(blob.as_ref().to_vec())
            .map_err(|_| SecretError::Format("the binary secret is not UTF-8".into()))?,
        (None, None) => return Err(SecretError::Format("the secret has no value".into())),
    };
    Secret::parse(&value)
}

/// The Lambda functions' init step: `SECRET_ARN` from the environment, then the ring.
pub async fn secret_from_env_arn(config: &SdkConfig) -> Result<Secret, SecretError> {
    let id = std::env::var(SECRET_ARN_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(SecretError::Missing(SECRET_ARN_ENV))?;
    let secret = load_secret(&secretsmanager_client(config), &id).await?;
    tracing::info!(key_id = secret.current_key_id(), "signing keys loaded");
    Ok(secret)
}

/// Creates secret `name` with `value`, or puts `value` as its new AWSCURRENT version
/// when it exists (seeding emulators and benchmarks; a rotation's write).
pub async fn store_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> Result<(), SecretError> {
    let unavailable = |e: String| SecretError::Unavailable(e);
    match client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_exists_exception()) =>
        {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    unavailable(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
                })
        }
        Err(e) => Err(unavailable(
            aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
        )),
    }
}
