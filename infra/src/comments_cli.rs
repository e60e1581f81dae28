//! `lambdapress comments …`: the owner's moderation queue from the command line, against
//! the local SQLite store or (with `TABLE_NAME` set) the deployed DynamoDB table.

use anyhow::{bail, Context};
use lambdapress::domain::time_fmt::rfc3339;
use lambdapress::domain::{CommentId, CommentStatus, Slug};
use lambdapress::ports::CommentStore;

pub const USAGE: &str =
    "usage: lambdapress comments [pending | approve <id> | spam <id> | delete <id>]
  pending        list comments waiting for moderation, oldest first
  approve <id>   publish a comment under its post
  spam <id>      mark a comment as spam (hidden; removed after 30 days on AWS)
  delete <id>    delete a comment
Against the local site's SQLite file, or the AWS table named by TABLE_NAME when set.";

/// What a command did: the text to print, and the post whose visible thread changed
/// (its comment feeds need regenerating; on AWS the table's stream sees to that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub message: String,
    pub thread_changed: Option<Slug>,
}

fn said(message: impl Into<String>) -> Outcome {
    Outcome {
        message: message.into(),
        thread_changed: None,
    }
}

/// Runs one command.
pub async fn run(store: &dyn CommentStore, args: &[String]) -> anyhow::Result<Outcome> {
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
                return Ok(said("no comments are waiting for moderation"));
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
            Ok(said(out))
        }
        "approve" => {
            let id = id(args)?;
            match store.approve(&id).await? {
                Some(c) => Ok(Outcome {
                    message: format!("approved {id}: /posts/{}#comment-{id}", c.post),
                    thread_changed: Some(c.post),
                }),
                None => bail!("no comment {id}"),
            }
        }
        "spam" => {
            let id = id(args)?;
            let before = store.get(&id).await?;
            match store.mark_spam(&id).await? {
                Some(c) => Ok(Outcome {
                    message: format!("marked {id} as spam"),
                    thread_changed: before
                        .filter(|b| b.status == CommentStatus::Approved)
                        .map(|_| c.post),
                }),
                None => bail!("no comment {id}"),
            }
        }
        "delete" => {
            let id = id(args)?;
            let before = store.get(&id).await?;
            if store.delete(&id).await? {
                Ok(Outcome {
                    message: format!("deleted {id}"),
                    thread_changed: before
                        .filter(|b| b.status == CommentStatus::Approved)
                        .map(|b| b.post),
                })
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
    use lambdapress::domain::{AuthorName, Comment, CommentBody, CommentEmail};

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
        let listed = run(&store, &args(&["pending"])).await.unwrap().message;
        assert!(
            listed.contains(&id) && listed.contains("Hello there") && listed.ends_with("1 pending"),
            "{listed}"
        );
        assert!(!listed.contains("second line"));
        let approved = run(&store, &args(&["approve", &id])).await.unwrap();
        assert_eq!(
            approved.message,
            format!("approved {id}: /posts/a-post#comment-{id}")
        );
        assert_eq!(
            approved.thread_changed,
            Some(comment.post.clone()),
            "its feeds need regenerating"
        );
        assert_eq!(
            run(&store, &args(&["pending"])).await.unwrap().message,
            "no comments are waiting for moderation"
        );
        let spammed = run(&store, &args(&["spam", &id])).await.unwrap();
        assert_eq!(
            spammed.thread_changed,
            Some(comment.post.clone()),
            "it was visible"
        );
        assert_eq!(
            store.get(&comment.id).await.unwrap().unwrap().status,
            CommentStatus::Spam
        );
        let deleted = run(&store, &args(&["delete", &id])).await.unwrap();
        assert_eq!(deleted.thread_changed, None, "spam was not visible");
        assert!(run(&store, &args(&["delete", &id])).await.is_err());
        assert!(run(&store, &args(&["approve", "nope"])).await.is_err());
        assert!(run(&store, &args(&["publish", &id])).await.is_err());
    }
}
