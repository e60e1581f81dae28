//! The operator CLI's AWS configuration: `--profile NAME` (or `AWS_PROFILE`) with every
//! kind of profile the AWS CLI reads — keys, IAM Identity Center (SSO), `credential_process`
//! and role chains. Only this crate links the SSO and process providers; the functions
//! take their role's credentials from the environment.

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::SdkConfig;
use aws_runtime::env_config::file::EnvConfigFiles;

/// Which profile, and (tests) which files to read it from.
#[derive(Debug, Clone, Default)]
pub struct AwsProfile {
    /// `--profile NAME`; `None`: `AWS_PROFILE`, else `default`, as the AWS CLI does.
    pub name: Option<String>,
    /// `None`: `~/.aws/config` and `~/.aws/credentials` (or `AWS_CONFIG_FILE` and
    /// `AWS_SHARED_CREDENTIALS_FILE`).
    pub files: Option<EnvConfigFiles>,
}

impl AwsProfile {
    /// Takes `--profile NAME` (or `--profile=NAME`) out of `args`, wherever it stands.
    pub fn take_from(args: &mut Vec<String>) -> Result<AwsProfile, String> {
        let mut profile = AwsProfile::default();
        let mut i = 0;
        while i < args.len() {
            if args[i] == "--profile" {
                if i + 1 >= args.len() || args[i + 1].starts_with("--") {
                    return Err("--profile needs a profile name (see ~/.aws/config)".into());
                }
                profile.name = Some(args.remove(i + 1));
                args.remove(i);
            } else if let Some(name) = args[i].strip_prefix("--profile=") {
                if name.is_empty() {
                    return Err("--profile needs a profile name (see ~/.aws/config)".into());
                }
                profile.name = Some(name.to_owned());
                args.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(profile)
    }

    /// The SDK configuration for this profile, with the functions' timeouts. As with the
    /// AWS CLI, a profile named on the command line supplies the credentials even when
    /// `AWS_ACCESS_KEY_ID` is set; region and endpoint still follow the environment
    /// first (`AWS_REGION`, `AWS_ENDPOINT_URL`), then the profile.
    pub async fn sdk_config(&self) -> SdkConfig {
        let mut loader =
            lambdapress::aws::config_loader().timeout_config(lambdapress::aws::timeouts());
        if let Some(files) = &self.files {
            loader = loader.profile_files(files.clone());
        }
        if let Some(name) = &self.name {
            // Built outside the loader, so it is given the HTTPS client itself (SSO and
            // role chains call AWS).
            let provider_config =
                ProviderConfig::default().with_http_client(lambdapress::aws::https_client());
            let mut credentials = ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(name);
            if let Some(files) = &self.files {
                credentials = credentials.profile_files(files.clone());
            }
            loader = loader
                .profile_name(name)
                .credentials_provider(credentials.build());
        }
        loader.load().await
    }
}

#[cfg(test)]
mod tests {
    use super::AwsProfile;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn profile_is_taken_from_anywhere_and_the_rest_is_left_in_order() {
        let mut a = args(&["lambdapress", "--profile", "ops", "comments", "pending"]);
        assert_eq!(
            AwsProfile::take_from(&mut a).unwrap().name.as_deref(),
            Some("ops")
        );
        assert_eq!(a, args(&["lambdapress", "comments", "pending"]));
        let mut b = args(&[
            "lambdapress",
            "subscribers",
            "export",
            "--profile=sso-admin",
        ]);
        assert_eq!(
            AwsProfile::take_from(&mut b).unwrap().name.as_deref(),
            Some("sso-admin")
        );
        assert_eq!(b, args(&["lambdapress", "subscribers", "export"]));
        let mut c = args(&["lambdapress", "serve"]);
        assert_eq!(AwsProfile::take_from(&mut c).unwrap().name, None);
        assert!(AwsProfile::take_from(&mut args(&["x", "--profile"])).is_err());
        assert!(AwsProfile::take_from(&mut args(&["x", "--profile", "--dry-run"])).is_err());
        assert!(AwsProfile::take_from(&mut args(&["x", "--profile="])).is_err());
    }
}
