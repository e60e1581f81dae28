//! `lambdapress`: run the site locally, and operator commands.
//!
//!   lambdapress serve      the whole site on http://127.0.0.1:3000 (embedded adapters)
//!   lambdapress check      parse every post, page, site.toml and theme/custom.css; report problems by file and field
//!   lambdapress reindex    rebuild the local post index from the content folder
//!   lambdapress import wordpress <export.xml> [--dry-run] [--overwrite] [--uploads DIR | --no-media]
//!                          posts, pages, menu, media, tags and comments from a WordPress export
//!   lambdapress switch-check <export.xml> [--site URL] [--concurrency N]
//!                          every old address of the export against the new site
//!   lambdapress rename <old-slug> <new-slug>
//!                          move a post, keeping its old address as a redirect
//!   lambdapress comments   list pending comments; approve, spam or delete one by id
//!   lambdapress subscribers export         confirmed subscribers as CSV on stdout
//!   lambdapress subscribers erase <email>  remove one address's record completely
//!   lambdapress subscribers count          subscribers by status
//!   lambdapress subscribers import <file.csv> [--reconfirm] [--dry-run]
//!                          a Jetpack, MailPoet or Mailchimp export
//!   lambdapress newsletter preview <slug> | test <slug> <email> | status [<slug>]

use anyhow::{bail, Context};
use lambdapress::domain::{CustomCss, Page, Post, SiteSettings, Slug, SubscriberEmail};
use lambdapress::indexer::reindex_all;
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched, SubscriberStore};
use lambdapress::redirects::{redirects_key, Redirects};
use lambdapress::site::routes::Route;
use lambdapress_infra::aws_cli::AwsProfile;
use lambdapress_infra::comments_cli;
use lambdapress_infra::import;
use lambdapress_infra::local::{local_feeds, serve, LocalConfig, LocalStores};
use std::path::PathBuf;

const USAGE: &str =
    "usage: lambdapress [--profile NAME] [serve | check | reindex | comments ... | subscribers ... | import ...]
  --profile NAME  the AWS profile for commands on the deployed stack (TABLE_NAME,
            CONTENT_BUCKET set): keys, IAM Identity Center (SSO, after `aws sso login`),
            credential_process or a role; default AWS_PROFILE, else `default`
  serve     run the whole site locally (LAMBDAPRESS_ADDR, default 127.0.0.1:3000)
  check     parse site.toml, theme/custom.css, every post and page, reporting problems
            by file and field
  reindex   rebuild the local post index from the content folder
  import wordpress <export.xml> [--dry-run] [--overwrite] [--uploads DIR | --no-media]
            posts, pages, menu, media and comments; uploads are downloaded unless
            --uploads names a copy of wp-content/uploads
  switch-check <export.xml> [--site URL] [--concurrency N]
            request every old address against the new site (default the local one)
  rename <old-slug> <new-slug>
            move posts/<old>.md to posts/<new>.md; /posts/<old> redirects to /posts/<new>
  comments pending | approve <id> | spam <id> | delete <id>
                             the moderation queue, and a comment's fate by id
  subscribers export         confirmed subscribers as CSV on stdout
                             (email, confirmed_at, signed_up_at, source)
  subscribers erase <email>  remove one address's record completely
  subscribers count          subscribers by status (confirmed, bounced, complained, ...)
  subscribers import <file.csv> [--reconfirm] [--dry-run]
                             a Jetpack, MailPoet or Mailchimp export: rows with consent
                             (subscribed + date) become confirmed; others get the
                             double opt-in mail only with --reconfirm
  newsletter preview <slug>  a post's newsletter mail as .eml on stdout
  newsletter test <slug> <email>   send that mail to one address (local: the outbox)
  newsletter status [<slug>] planned, sent, skipped and failed counts (all without a slug)
            (the local SQLite store, or the DynamoDB table TABLE_NAME when it is set)";

/// The AWS profile of this run (`--profile NAME`, else `AWS_PROFILE`, else `default`).
static PROFILE: std::sync::OnceLock<AwsProfile> = std::sync::OnceLock::new();

/// The SDK configuration every AWS command of this run uses.
async fn sdk_config() -> aws_config::SdkConfig {
    PROFILE
        .get()
        .cloned()
        .unwrap_or_default()
        .sdk_config()
        .await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .init();
    let mut args: Vec<String> = std::env::args().collect();
    let profile = AwsProfile::take_from(&mut args).map_err(anyhow::Error::msg)?;
    let _ = PROFILE.set(profile);
    let config = LocalConfig::from_env()?;
    let command = args.get(1).cloned().unwrap_or_else(|| "serve".into());
    let rest: Vec<String> = args.iter().skip(2).cloned().collect();
    match command.as_str() {
        "serve" => serve(config).await,
        "check" => check(&config).await,
        "reindex" => {
            let stores = LocalStores::open(&config)?;
            let outcomes = reindex_all(stores.content.as_ref(), stores.index.as_ref()).await?;
            let n = lambdapress::redirects::rebuild_aliases(stores.content.as_ref()).await?;
            println!("{n} aliases from front matter in redirects.toml");
            println!("re-indexed {} posts", outcomes.len());
            Ok(())
        }
        "rename" => rename(&config, rest).await,
        "import" => import_command(&config, rest).await,
        "switch-check" => switch_check(&config, rest).await,
        "comments" => {
            let args = rest;
            match std::env::var("TABLE_NAME") {
                Ok(table) if !table.is_empty() => {
                    let sdk = sdk_config().await;
                    let store = lambdapress::adapters::DynamoCommentStore::new(
                        lambdapress::aws::dynamodb_client(&sdk),
                        table,
                    );
                    // The table's stream tells the feeds function about any change.
                    println!("{}", comments_cli::run(&store, &args).await?.message);
                }
                _ => {
                    let stores = LocalStores::open(&config)?;
                    let outcome = comments_cli::run(stores.comments.as_ref(), &args).await?;
                    println!("{}", outcome.message);
                    if let Some(post) = outcome.thread_changed {
                        let feeds = local_feeds(&stores, &format!("http://{}", config.addr))?;
                        feeds
                            .comments_changed(&std::collections::BTreeSet::from([post]))
                            .await?;
                    }
                }
            }
            Ok(())
        }
        "subscribers" => subscribers(&config, rest).await,
        "newsletter" => newsletter(&config, rest).await,
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

async fn check(config: &LocalConfig) -> anyhow::Result<()> {
    let stores = LocalStores::open(config)?;
    let mut problems = 0;
    let mut settings = None;
    match stores
        .content
        .get(&ContentKey::site_settings(), None)
        .await?
    {
        Fetched::Found(o) => match SiteSettings::parse(&String::from_utf8_lossy(&o.bytes)) {
            Ok(s) => settings = Some(s),
            Err(e) => {
                println!("{e}");
                problems += 1;
            }
        },
        _ => {
            println!("site.toml: missing");
            problems += 1;
        }
    }
    // The owner's stylesheet, optional; one that would not be linked is a problem.
    if let Fetched::Found(o) = stores.content.get(&ContentKey::custom_css(), None).await? {
        if let Err(e) = CustomCss::parse(&o.bytes) {
            println!("{e}");
            problems += 1;
        }
    }
    // A `.md` file whose name is not a slug is never served: say so, with the rule.
    for folder in ["posts", "pages"] {
        let Ok(entries) = std::fs::read_dir(config.content_dir.join(folder)) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            if let Some(Err(e)) = name.strip_suffix(".md").map(Slug::parse) {
                println!(
                    "{folder}/{name}: the file name is not a slug, so it is never served: {e}"
                );
                problems += 1;
            }
        }
    }
    let slugs = stores.content.list_post_slugs().await?;
    // Front matter `aliases`, checked with the other redirects as they will be served.
    let mut aliases: Vec<(String, Vec<String>)> = Vec::new();
    for slug in &slugs {
        if let Fetched::Found(o) = stores.content.get(&ContentKey::post(slug), None).await? {
            match Post::parse(slug.clone(), &String::from_utf8_lossy(&o.bytes)) {
                Ok(post) if !post.front.draft => {
                    aliases.push((lambdapress::redirects::post_path(slug), post.front.aliases))
                }
                Ok(_) => {}
                Err(e) => {
                    println!("{e}");
                    problems += 1;
                }
            }
        }
    }
    let pages = stores.content.list_page_slugs().await?;
    for slug in &pages {
        if let Fetched::Found(o) = stores.content.get(&ContentKey::page(slug), None).await? {
            match Page::parse(slug.clone(), &String::from_utf8_lossy(&o.bytes)) {
                Ok(page) if !page.draft => {
                    aliases.push((lambdapress::redirects::page_path(slug), page.aliases))
                }
                Ok(_) => {}
                Err(e) => {
                    println!("{e}");
                    problems += 1;
                }
            }
        }
    }
    let entries = settings.iter().flat_map(|s| s.menu.iter());
    for entry in entries.flat_map(|e| std::iter::once(e).chain(e.children.iter())) {
        if let Some(page) = entry.page.as_deref().filter(|p| !p.is_empty()) {
            if !pages.iter().any(|s| s.as_str() == page) {
                println!(
                    "site.toml: menu entry `{}`: field `page`: there is no {}",
                    entry.label,
                    Page::file_name(page)
                );
                problems += 1;
            }
        }
    }
    let stored = match load_redirects(stores.content.as_ref()).await {
        Ok(r) => r,
        Err(e) => {
            println!("{e}");
            problems += 1;
            Redirects::new()
        }
    };
    let mut redirects = stored.clone();
    redirects.clear_aliases();
    for (target, list) in &aliases {
        if let Err(e) = redirects.set_aliases(target, list) {
            println!("aliases of {target}: {e}");
            problems += 1;
        }
    }
    if redirects.aliases() != stored.aliases() {
        println!(
            "redirects.toml: [aliases] is not in step with the front matter (publishing the post updates it; `lambdapress reindex` rewrites it)"
        );
        problems += 1;
    }
    for problem in redirects.validate(|path| match Route::parse(path) {
        Route::Post(slug) => slugs.contains(&slug),
        Route::Page(slug) => pages.contains(&slug),
        Route::NotFound | Route::Redirect(_) => false,
        _ => true,
    }) {
        println!("{problem}");
        problems += 1;
    }
    if problems > 0 {
        bail!("{problems} problem(s) in {}", config.content_dir.display());
    }
    println!(
        "{} posts, {} pages, {} redirects and site.toml are fine",
        slugs.len(),
        pages.len(),
        redirects.len()
    );
    Ok(())
}

async fn load_redirects(content: &dyn ContentStore) -> anyhow::Result<Redirects> {
    match content.get(&redirects_key(), None).await? {
        Fetched::Found(o) => Ok(Redirects::parse(&String::from_utf8_lossy(&o.bytes))?),
        _ => Ok(Redirects::new()),
    }
}

/// Moves a post to a new slug; its old address (and every redirect that pointed at it)
/// now leads to the new one, so no link breaks and no chain forms.
async fn rename(config: &LocalConfig, args: Vec<String>) -> anyhow::Result<()> {
    let [old, new] = args.as_slice() else {
        bail!("usage: lambdapress rename <old-slug> <new-slug>");
    };
    let old = Slug::parse(old).map_err(|e| anyhow::anyhow!("`{old}`: {e}"))?;
    let new = Slug::parse(new).map_err(|e| anyhow::anyhow!("`{new}`: {e}"))?;
    let stores = LocalStores::open(config)?;
    let content = stores.content.as_ref();
    let Fetched::Found(object) = content.get(&ContentKey::post(&old), None).await? else {
        bail!("posts/{old}.md does not exist");
    };
    if let Fetched::Found(_) = content.get(&ContentKey::post(&new), None).await? {
        bail!("posts/{new}.md already exists; nothing was changed");
    }
    Post::parse(new.clone(), &String::from_utf8_lossy(&object.bytes))?;
    let mut redirects = load_redirects(content).await?;
    let (from, to) = (format!("/posts/{old}"), format!("/posts/{new}"));
    redirects.remove(&to);
    redirects.retarget(&from, &to);
    redirects.insert(&from, &to).map_err(anyhow::Error::msg)?;
    content
        .put(
            &ContentKey::post(&new),
            object.bytes,
            "text/markdown; charset=utf-8",
            "no-cache",
        )
        .await?;
    content
        .put(
            &redirects_key(),
            redirects.to_toml().into_bytes(),
            "application/toml",
            "no-cache",
        )
        .await?;
    content.delete(&ContentKey::post(&old)).await?;
    lambdapress::indexer::sync_post(content, stores.index.as_ref(), &new).await?;
    lambdapress::indexer::sync_post(content, stores.index.as_ref(), &old).await?;
    println!("renamed posts/{old}.md to posts/{new}.md; {from} redirects to {to}");
    if !stores.comments.approved_for_post(&old).await?.is_empty() {
        println!("note: its comments stay filed under `{old}`; they are not moved");
    }
    Ok(())
}

async fn import_command(config: &LocalConfig, args: Vec<String>) -> anyhow::Result<()> {
    let mut options = import::Options {
        media: import::MediaSource::Download(import::DownloadOptions::default()),
        ..import::Options::default()
    };
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => options.dry_run = true,
            "--overwrite" => options.overwrite = true,
            "--no-media" => options.media = import::MediaSource::Skip,
            "--uploads" => {
                let Some(dir) = args.next().map(PathBuf::from).filter(|d| d.is_dir()) else {
                    bail!("--uploads needs a folder (a copy of wp-content/uploads)");
                };
                options.media = import::MediaSource::Dir(dir);
            }
            flag if flag.starts_with("--") => bail!("unknown option `{flag}`\n{USAGE}"),
            _ => positional.push(arg),
        }
    }
    let [source, path] = positional.as_slice() else {
        bail!("usage: lambdapress import wordpress <export.xml> [--dry-run] [--overwrite] [--uploads DIR | --no-media]");
    };
    if source != "wordpress" {
        bail!("can only import from `wordpress`, not `{source}`");
    }
    let path = PathBuf::from(path);
    if !path.is_file() {
        bail!("{} is not a file", path.display());
    }
    let bar = import::progress::Bar::new();
    let aws =
        std::env::var_os("CONTENT_BUCKET").is_some() || std::env::var_os("TABLE_NAME").is_some();
    let summary = if aws {
        use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content};
        use lambdapress::aws::{dynamodb_client, required_env, s3_client};
        let bucket = required_env("CONTENT_BUCKET").map_err(anyhow::Error::msg)?;
        let table = required_env("TABLE_NAME").map_err(anyhow::Error::msg)?;
        let sdk = sdk_config().await;
        // The deployed site's keys: from Secrets Manager by SECRET_ARN (the stack's
        // SiteSecret), else LAMBDAPRESS_SECRET.
        let secret = match std::env::var_os(lambdapress::aws::secrets::SECRET_ARN_ENV) {
            Some(_) => lambdapress::aws::secrets::secret_from_env_arn(&sdk).await?,
            None => lambdapress::domain::Secret::from_env()?,
        };
        let content = S3Content::new(s3_client(&sdk), bucket.clone());
        let index = DynamoPostIndex::new(dynamodb_client(&sdk), table.clone());
        let comments = DynamoCommentStore::new(dynamodb_client(&sdk), table.clone());
        println!(
            "importing {} into s3://{bucket} and table {table}",
            path.display()
        );
        let stores = import::Stores {
            content: &content,
            index: &index,
            comments: &comments,
            secret: &secret,
        };
        import::import_wordpress(&path, &stores, options, &bar).await?
    } else if options.dry_run && !LocalStores::database_path(config).exists() {
        // Nothing was imported before: a dry run reads against empty in-memory stores,
        // so it creates neither the SQLite file nor the secret.
        use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
        let content = FsContent::new(&config.content_dir, config.data_dir.join("generated"));
        let index = SqlitePostIndex::in_memory()?;
        let comments = SqliteCommentStore::in_memory()?;
        let secret = lambdapress::domain::Secret::new(*b"dry-run-only-never-stored-secret-0123")?;
        println!("dry run of {} (nothing is written)", path.display());
        let stores = import::Stores {
            content: &content,
            index: &index,
            comments: &comments,
            secret: &secret,
        };
        import::import_wordpress(&path, &stores, options, &bar).await?
    } else {
        let local = LocalStores::open(config)?;
        println!(
            "importing {} into {} (data in {})",
            path.display(),
            config.content_dir.display(),
            config.data_dir.display()
        );
        let stores = import::Stores {
            content: local.content.as_ref(),
            index: local.index.as_ref(),
            comments: local.comments.as_ref(),
            secret: &local.secret,
        };
        import::import_wordpress(&path, &stores, options, &bar).await?
    };
    print!("{summary}");
    Ok(())
}

/// Every old address of the export against the new site; exit status 1 on any failure.
async fn switch_check(config: &LocalConfig, args: Vec<String>) -> anyhow::Result<()> {
    const SWITCH_USAGE: &str =
        "usage: lambdapress switch-check <export.xml> [--site URL] [--concurrency N]";
    let mut export = None;
    let mut site = format!("http://{}", config.addr);
    let mut concurrency = import::switch_check::DEFAULT_CONCURRENCY;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--site" => site = args.next().context(SWITCH_USAGE)?,
            "--concurrency" => {
                concurrency = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=64).contains(n))
                    .context("--concurrency takes a number from 1 to 64")?
            }
            _ if export.is_none() && !arg.starts_with("--") => export = Some(arg),
            _ => bail!(SWITCH_USAGE),
        }
    }
    let export = export.context(SWITCH_USAGE)?;
    let report =
        import::switch_check::switch_check_with(std::path::Path::new(&export), &site, concurrency)
            .await?;
    print!("{report}");
    if report.failures() > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// The subscriber store the operator means: the deployed table when `TABLE_NAME` is
/// set (credentials and region from the usual AWS environment), else the local file.
async fn subscriber_store(config: &LocalConfig) -> anyhow::Result<Box<dyn SubscriberStore>> {
    match std::env::var("TABLE_NAME") {
        Ok(table) if !table.is_empty() => {
            let sdk = sdk_config().await;
            Ok(Box::new(lambdapress::adapters::DynamoSubscribers::new(
                lambdapress::aws::dynamodb_client(&sdk),
                table,
            )))
        }
        _ => Ok(Box::new(lambdapress::adapters::SqliteSubscribers::open(
            &LocalStores::database_path(config),
        )?)),
    }
}

/// Newsletter tools on the local stores, or the DynamoDB table TABLE_NAME for `status`.
async fn newsletter(config: &LocalConfig, args: Vec<String>) -> anyhow::Result<()> {
    use lambdapress_infra::newsletter_cli as cli;
    let base = format!("http://{}", config.addr);
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["status"] => {
            let report = match std::env::var("TABLE_NAME") {
                Ok(table) if !table.is_empty() => {
                    let sdk = sdk_config().await;
                    let store = lambdapress::newsletter::dynamodb::DynamoNewsletters::new(
                        lambdapress::aws::dynamodb_client(&sdk),
                        table,
                    );
                    cli::status_all(&store).await?
                }
                _ => cli::status_all(LocalStores::open(config)?.newsletters.as_ref()).await?,
            };
            print!("{report}");
            Ok(())
        }
        ["status", slug] => {
            let report = match std::env::var("TABLE_NAME") {
                Ok(table) if !table.is_empty() => {
                    let sdk = sdk_config().await;
                    let store = lambdapress::newsletter::dynamodb::DynamoNewsletters::new(
                        lambdapress::aws::dynamodb_client(&sdk),
                        table,
                    );
                    cli::status(&store, slug).await?
                }
                _ => cli::status(LocalStores::open(config)?.newsletters.as_ref(), slug).await?,
            };
            print!("{report}");
            Ok(())
        }
        ["preview", slug] => {
            let stores = LocalStores::open(config)?;
            let eml =
                cli::preview(stores.content.as_ref(), &stores.secret, slug, Some(&base)).await?;
            print!("{eml}");
            Ok(())
        }
        ["test", slug, email] => {
            let stores = LocalStores::open(config)?;
            let id = cli::test(
                stores.content.as_ref(),
                stores.mailer.as_ref(),
                &stores.secret,
                slug,
                email,
                Some(&base),
            )
            .await?;
            println!(
                "sent {id} to {email} (in {})",
                stores.mailer.dir().display()
            );
            Ok(())
        }
        _ => bail!(
            "usage: lambdapress newsletter preview <slug> | test <slug> <email> | status [<slug>]"
        ),
    }
}

async fn subscribers(config: &LocalConfig, args: Vec<String>) -> anyhow::Result<()> {
    let store = subscriber_store(config).await?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["export"] => {
            print!(
                "{}",
                lambdapress_infra::subscribers::export_csv(store.as_ref()).await?
            );
            Ok(())
        }
        ["count"] => {
            print!(
                "{}",
                lambdapress_infra::newsletter_cli::counts_by_status(store.as_ref()).await?
            );
            Ok(())
        }
        ["import", file, flags @ ..] => subscribers_import(config, store.as_ref(), file, flags).await,
        ["erase", email] => {
            let email = SubscriberEmail::parse(email)
                .map_err(|e| anyhow::anyhow!("`{email}` is not an email address: {e}"))?;
            if lambdapress_infra::subscribers::erase(store.as_ref(), &email).await? {
                println!("erased {email}");
            } else {
                println!("no record of {email}");
            }
            Ok(())
        }
        _ => bail!(
            "usage: lambdapress subscribers export | count | erase <email> | import <file.csv> [--reconfirm] [--dry-run]"
        ),
    }
}

/// `subscribers import <file.csv> [--reconfirm] [--dry-run]`: the whole file is checked
/// first; with TABLE_NAME set, `--reconfirm` mails through SES (SENDER_EMAIL, SITE_URL,
/// LAMBDAPRESS_SECRET), else into the local outbox.
async fn subscribers_import(
    config: &LocalConfig,
    store: &dyn SubscriberStore,
    file: &str,
    flags: &[&str],
) -> anyhow::Result<()> {
    use lambdapress_infra::subscribers::{import, plan_import, Reconfirm};
    let (mut reconfirm, mut dry_run) = (false, false);
    for flag in flags {
        match *flag {
            "--reconfirm" => reconfirm = true,
            "--dry-run" => dry_run = true,
            other => bail!("unknown option `{other}`: use --reconfirm and/or --dry-run"),
        }
    }
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))?;
    let plan = plan_import(file, &text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    println!(
        "{file}: a {} export, {} rows",
        plan.format.name(),
        plan.rows.len()
    );
    for line in &plan.duplicates {
        println!("  {line}");
    }
    let now = time::OffsetDateTime::now_utc();
    let summary = if reconfirm {
        let aws = std::env::var("TABLE_NAME").is_ok_and(|t| !t.is_empty());
        let (mailer, secret, base_url): (std::sync::Arc<dyn lambdapress::ports::Mailer>, _, _) =
            if aws {
                let sdk = sdk_config().await;
                let from = std::env::var("SENDER_EMAIL")
                    .map_err(|_| anyhow::anyhow!("--reconfirm on the table needs SENDER_EMAIL"))?;
                let base = std::env::var("SITE_URL")
                    .map_err(|_| anyhow::anyhow!("--reconfirm on the table needs SITE_URL"))?;
                (
                    std::sync::Arc::new(lambdapress::adapters::SesMailer::new(
                        lambdapress::aws::sesv2_client(&sdk),
                        from,
                    )),
                    lambdapress::domain::Secret::from_env()?,
                    base,
                )
            } else {
                let stores = LocalStores::open(config)?;
                println!("confirmation mails go to {}", stores.mailer.dir().display());
                (
                    stores.mailer.clone(),
                    stores.secret.clone(),
                    format!("http://{}", config.addr),
                )
            };
        let chrome = match LocalStores::open(config) {
            Ok(stores) => lambdapress::subscribe::site_chrome(stores.content.as_ref(), None).await,
            Err(_) => None,
        };
        let defaults = lambdapress::subscribe::SubscribeOptions::default();
        let r = Reconfirm {
            mailer: mailer.as_ref(),
            secret: &secret,
            base_url,
            site_title: chrome
                .as_ref()
                .map_or(defaults.site_title, |c| c.title.clone()),
            messages: chrome
                .as_ref()
                .map_or_else(|| lambdapress::i18n::messages(Default::default()), |c| c.t),
        };
        import(store, &plan, Some(&r), dry_run, now).await?
    } else {
        import(store, &plan, None, dry_run, now).await?
    };
    print!("{summary}");
    Ok(())
}
