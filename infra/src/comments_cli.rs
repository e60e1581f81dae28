//! `lambdapress comments …`: the owner's moderation queue from the command line, against
//! the local SQLite store or (with `TABLE_NAME` set) the deployed DynamoDB table.

use anyhow::{bail, Context};
use lambdapress::domain::time_fmt::rfc3339;
use lambdapress::domain::CommentId;
use lambdapress::ports::CommentStore;

pub const USAGE: &str =
    "usage: lambdapress comments [pending | approve <id> | spam <id> | delete <id>]
  pending        list comments waiting for moderation, oldest first
  approve <id>   publish a comment under its post
  spam <id>      mark a comment as spam (hidden; removed after 30 days on AWS)
  delete <id>    delete a comment
Against the local site's SQLite file, or the AWS table named by TABLE_NAME when set.";

/// Runs one command and returns what to print.
pub async fn run(store: &dyn CommentStore, args: &[String]) -> anyhow::Result<String> {
    let id = |args: &[String]| -> anyhow::Result<CommentId> {
        let raw = args
            .get(1)
            .with_context(|| format!("a comment id is needed\n{USAGE}"))?;
        CommentId::parse(raw)
            .map_err(|_| anyhow::anyhow!("`{raw}` is not a comment id (16 hex digits)"))
    };
    match args.first().map(String::as_str).unwrap_or("pending") {
        "pending" => {
            let pending = store.pending(1000).await?;
            if pending.is_empty() {
                return Ok("no comments are waiting for moderation".into());
            }
            let mut out = String::new();
            for c in &pending {
                let first_line = c.body.as_str().lines().next().unwrap_or("");
                let excerpt: String = first_line.chars().take(72).collect();
                out.push_str(&format!(
                    "{}  /posts/{}  {}  {} <{}>\n    {}\n",
                    c.id,
                    c.post,
                    rfc3339(c.created_at),
                    c.author,
                    c.email,
                    excerpt
                ));
            }
            out.push_str(&format!("{} pending", pending.len()));
            Ok(out)
        }
        "approve" => {
            let id = id(args)?;
            match store.approve(&id).await? {
                Some(c) => Ok(format!("approved {id}: /posts/{}#comment-{id}", c.post)),
                None => bail!("no comment {id}"),
            }
        }
        "spam" => {
            let id = id(args)?;
            match store.mark_spam(&id).await? {
                Some(_) => Ok(format!("marked {id} as spam")),
                None => bail!("no comment {id}"),
            }
        }
        "delete" => {
            let id = id(args)?;
            if store.delete(&id).await? {
                Ok(format!("deleted {id}"))
            } else {
                bail!("no comment {id}")
            }
        }
        other => bail!("unknown comments command `{other}`\n{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdapress::adapters::SqliteCommentStore;
    use lambdapress::domain::{
        AuthorName, Comment, CommentBody, CommentEmail, CommentStatus, Slug,
    };

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn the_cli_lists_approves_spams_and_deletes() {
        let store = SqliteCommentStore::in_memory().unwrap();
        let comment = Comment {
            id: CommentId::generate(),
            post: Slug::parse("a-post").unwrap(),
            parent: None,
            author: AuthorName::parse("Ann").unwrap(),
            email: CommentEmail::parse("ann@example.com").unwrap(),
            website: None,
            body: CommentBody::parse("Hello there\nsecond line").unwrap(),
            body_html: "<p>Hello there</p>".into(),
            status: CommentStatus::Pending,
            created_at: time::OffsetDateTime::now_utc(),
            client_hash: "h".into(),
            fingerprint: "f".into(),
        };
        store.insert(&comment).await.unwrap();
        let id = comment.id.to_string();
        let listed = run(&store, &args(&["pending"])).await.unwrap();
        assert!(
            listed.contains(&id) && listed.contains("Hello there") && listed.ends_with("1 pending"),
            "{listed}"
        );
        assert!(!listed.contains("second line"));
        let approved = run(&store, &args(&["approve", &id])).await.unwrap();
        assert_eq!(
            approved,
            format!("approved {id}: /posts/a-post#comment-{id}")
        );
        assert_eq!(
            run(&store, &args(&["pending"])).await.unwrap(),
            "no comments are waiting for moderation"
        );
        run(&store, &args(&["spam", &id])).await.unwrap();
        assert_eq!(
            store.get(&comment.id).await.unwrap().unwrap().status,
            CommentStatus::Spam
        );
        run(&store, &args(&["delete", &id])).await.unwrap();
        assert!(run(&store, &args(&["delete", &id])).await.is_err());
        assert!(run(&store, &args(&["approve", "nope"])).await.is_err());
        assert!(run(&store, &args(&["publish", &id])).await.is_err());
    }
}
