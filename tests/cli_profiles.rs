//! The operator CLI's AWS profiles (`lambdapress --profile NAME`) against moto: a
//! `credential_process` profile supplies the credentials — over `AWS_ACCESS_KEY_ID`, as
//! with the AWS CLI — and signs real requests; a failing process is an error, never a
//! silent fallback; an IAM Identity Center (SSO) profile is read, not refused.

use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_dynamodb::config::ProvideCredentials;
use lambdapress_infra::aws_cli::AwsProfile;
use lambdapress_tests::moto;
use lambdapress_tests::sample::ScratchDir;
use std::os::unix::fs::PermissionsExt;

/// A config file with three profiles, and the files to read it with.
fn profile_files(dir: &ScratchDir, endpoint: &str) -> EnvConfigFiles {
    let script = dir.0.join("credentials.sh");
    // What `aws configure export-credentials --format process` or a vault tool prints.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho ran >> '{}'\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS0123456789\", \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\"}}'\n",
            dir.0.join("ran").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.0.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile publisher]\ncredential_process = {script}\nregion = us-east-1\nendpoint_url = {endpoint}\n\n\
             [profile broken]\ncredential_process = sh -c 'echo no vault >&2; exit 3'\nregion = us-east-1\nendpoint_url = {endpoint}\n\n\
             [profile sso-publisher]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Publisher\nregion = us-east-1\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.example/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
            script = script.display()
        ),
    )
    .unwrap();
    let credentials = dir.0.join("credentials");
    std::fs::write(&credentials, "").unwrap();
    EnvConfigFiles::builder()
        .with_file(EnvConfigFileKind::Config, &config)
        .with_file(EnvConfigFileKind::Credentials, &credentials)
        .build()
}

fn profile(name: &str, files: &EnvConfigFiles) -> AwsProfile {
    AwsProfile {
        name: Some(name.into()),
        files: Some(files.clone()),
    }
}

/// The error a profile of `profile_files` gives instead of credentials.
async fn credentials_error(name: &str) -> String {
    let dir = ScratchDir::new();
    let files = profile_files(&dir, "http://127.0.0.1:9");
    let sdk = profile(name, &files).sdk_config().await;
    let error = sdk
        .credentials_provider()
        .expect("a credentials provider")
        .provide_credentials()
        .await
        .expect_err("this profile gives no credentials here");
    format!("{error:?}")
}

#[tokio::test]
async fn a_credential_process_profile_signs_the_clis_requests() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let dir = ScratchDir::new();
    let files = profile_files(&dir, &endpoint);

    let sdk = profile("publisher", &files).sdk_config().await;
    let credentials = sdk
        .credentials_provider()
        .expect("a credentials provider")
        .provide_credentials()
        .await
        .expect("the process's credentials");
    // The environment has AWS_ACCESS_KEY_ID=testing (infra/test.sh); the named profile wins.
    assert_eq!(credentials.access_key_id(), "AKIDPROCESS0123456789");
    assert_eq!(credentials.session_token(), Some("process-token"));

    // The profile's endpoint and region, and the process's keys, on a real request.
    let client = lambdapress::aws::dynamodb_client(&sdk);
    let table = moto::unique_name("profiles");
    lambdapress::aws::table::create_table(&client, &table)
        .await
        .expect("moto answers a request signed with the process's keys");
    let store = lambdapress::adapters::DynamoSubscribers::new(client.clone(), table.clone());
    // `lambdapress --profile publisher subscribers export` on that table.
    let csv = lambdapress_infra::subscribers::export_csv(&store)
        .await
        .expect("the export reads the table with the process's keys");
    assert_eq!(csv.lines().count(), 1, "a header, no subscriber: {csv}");
    let ran = std::fs::read_to_string(dir.0.join("ran")).unwrap_or_default();
    assert!(ran.contains("ran"), "the credential process ran");
}

#[tokio::test]
async fn a_failing_credential_process_is_an_error_not_the_environments_keys() {
    let text = credentials_error("broken").await;
    assert!(text.contains("exit"), "{text}");
}

#[tokio::test]
async fn an_identity_center_profile_is_read_by_the_sso_provider() {
    // No `aws sso login` here, so no cached token: the SSO provider says so. Without the
    // `sso` feature the profile is refused as needing it.
    let text = credentials_error("sso-publisher").await;
    assert!(!text.contains("cargo feature"), "{text}");
    assert!(text.to_lowercase().contains("sso"), "{text}");
}
