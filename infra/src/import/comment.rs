//! A post's WordPress comments to lambdapress comments: status (approved, pending; spam,
//! trash and pingbacks skipped), threading, and every field through the comment
//! domain's constructors, so an imported comment is held to the rules a new one is.

use super::markdown::Converter;
use super::post::parse_wp_date;
use super::wxr::WxrComment;
use lambdapress::comments::body::render_comment_body;
use lambdapress::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Secret, Slug, Website,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Why a WordPress comment is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkippedComment {
    Spam,
    Trash,
    Pingback,
    UnknownStatus(String),
    /// A field the site would refuse from a visitor (the message says which and why).
    Invalid(String),
}

impl SkippedComment {
    pub fn summary_reason(&self) -> String {
        match self {
            SkippedComment::Spam => "spam".into(),
            SkippedComment::Trash => "in the trash".into(),
            SkippedComment::Pingback => "pingbacks and trackbacks".into(),
            SkippedComment::UnknownStatus(s) => format!("status `{s}`"),
            SkippedComment::Invalid(_) => "fields the site would refuse".into(),
        }
    }
}

/// The id a WordPress comment is stored under: the same on every run, so a second
/// import finds the comment it stored the first time.
pub fn comment_id(post: &Slug, wp_comment_id: &str) -> CommentId {
    let digest = Sha256::digest(format!(
        "wordpress-comment\n{post}\n{}",
        wp_comment_id.trim()
    ));
    CommentId::parse(&hex::encode(&digest[..CommentId::LEN / 2]))
        .expect("16 lowercase hex digits are a comment id")
}

/// A comment's repeat fingerprint, made exactly as the comment function makes it, so a
/// visitor re-posting an imported comment is recognised as a repeat.
pub fn fingerprint(
    secret: &Secret,
    post: &Slug,
    email: &CommentEmail,
    body: &CommentBody,
) -> String {
    secret.keyed_hash(
        "comment-repeat",
        &format!("{post}\n{}\n{}", email.normalized(), body.as_str()),
    )
}

/// One post's comments, in export order: each imported one, or why it is not.
pub fn map_comments(
    post: &Slug,
    comments: &[WxrComment],
    converter: &Converter,
    secret: &Secret,
) -> Vec<(String, Result<Comment, SkippedComment>)> {
    let mapped: Vec<(String, Result<Comment, SkippedComment>)> = comments
        .iter()
        .map(|c| (c.id.trim().to_owned(), map_one(post, c, converter, secret)))
        .collect();
    // Threading: a reply to a skipped comment hangs from the nearest kept ancestor.
    let parents: HashMap<&str, (&str, bool)> = comments
        .iter()
        .zip(&mapped)
        .map(|(c, (_, m))| (c.id.trim(), (c.parent.trim(), m.is_ok())))
        .collect();
    let parent_of = move |wp_id: &str| -> Option<CommentId> {
        let mut parent = parents.get(wp_id)?.0;
        for _ in 0..parents.len() {
            match parents.get(parent) {
                Some((_, true)) => return Some(comment_id(post, parent)),
                Some((grandparent, false)) => parent = grandparent,
                None => return None,
            }
        }
        None
    };
    mapped
        .into_iter()
        .map(|(wp_id, m)| {
            let m = m.map(|mut comment| {
                comment.parent = parent_of(&wp_id);
                comment
            });
            (wp_id, m)
        })
        .collect()
}

fn map_one(
    post: &Slug,
    c: &WxrComment,
    converter: &Converter,
    secret: &Secret,
) -> Result<Comment, SkippedComment> {
    if matches!(c.kind.trim(), "pingback" | "trackback") {
        return Err(SkippedComment::Pingback);
    }
    let status = match c.approved.trim() {
        "1" | "approve" => CommentStatus::Approved,
        "0" | "hold" => CommentStatus::Pending,
        "spam" => return Err(SkippedComment::Spam),
        "trash" | "post-trashed" => return Err(SkippedComment::Trash),
        other => return Err(SkippedComment::UnknownStatus(other.to_owned())),
    };
    let invalid = |field: &str, e: lambdapress::domain::FieldError| {
        SkippedComment::Invalid(format!("{field}: {e}"))
    };
    let wp_id = c.id.trim();
    if wp_id.is_empty() {
        return Err(SkippedComment::Invalid("wp:comment_id is empty".into()));
    }
    let author_text = super::post::decode_entities(c.author.trim());
    let author = if author_text.is_empty() {
        AuthorName::parse("Anonymous").expect("a plain name")
    } else {
        AuthorName::parse(&author_text).map_err(|e| invalid("author", e))?
    };
    let email = CommentEmail::parse(&c.author_email).map_err(|e| invalid("email", e))?;
    // WordPress kept whatever was typed as a website; a bad one is dropped, not fatal.
    let website = Website::parse_optional(&c.author_url).unwrap_or(None);
    let body =
        CommentBody::parse(&converter.comment_body(&c.content)).map_err(|e| invalid("body", e))?;
    let created_at = parse_wp_date(&c.date_gmt)
        .or_else(|| parse_wp_date(&c.date))
        .ok_or_else(|| SkippedComment::Invalid(format!("no readable date `{}`", c.date_gmt)))?;
    Ok(Comment {
        id: comment_id(post, wp_id),
        post: post.clone(),
        parent: None,
        body_html: render_comment_body(body.as_str()),
        fingerprint: fingerprint(secret, post, &email, &body),
        client_hash: secret.keyed_hash("comment-client", c.author_ip.trim()),
        author,
        email,
        website,
        body,
        status,
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn wp(id: &str, parent: &str, approved: &str) -> WxrComment {
        WxrComment {
            id: id.into(),
            parent: parent.into(),
            approved: approved.into(),
            author: "Ann".into(),
            author_email: "ann@example.com".into(),
            content: format!("Comment {id}"),
            date_gmt: "2024-03-12 10:00:00".into(),
            ..WxrComment::default()
        }
    }

    #[test]
    fn ids_are_stable_per_post_and_wordpress_id() {
        let post = Slug::parse("a").unwrap();
        assert_eq!(comment_id(&post, "7"), comment_id(&post, " 7 "));
        assert_ne!(comment_id(&post, "7"), comment_id(&post, "8"));
        assert_ne!(
            comment_id(&post, "7"),
            comment_id(&Slug::parse("b").unwrap(), "7")
        );
    }

    #[test]
    fn replies_to_skipped_comments_move_up_the_thread() {
        let post = Slug::parse("a").unwrap();
        let out = map_comments(
            &post,
            &[
                wp("1", "0", "1"),
                wp("2", "1", "spam"),
                wp("3", "2", "0"),
                wp("4", "99", "1"),
            ],
            &Converter::new(),
            &secret(),
        );
        assert_eq!(out[1].1, Err(SkippedComment::Spam));
        let reply = out[2].1.as_ref().unwrap();
        assert_eq!(reply.status, CommentStatus::Pending);
        assert_eq!(reply.parent, Some(comment_id(&post, "1")));
        assert_eq!(
            out[3].1.as_ref().unwrap().parent,
            None,
            "unknown parent: top level"
        );
    }

    #[test]
    fn bodies_are_sanitized_markdown() {
        let body =
            CommentBody::parse("Hi <script>alert(1)</script> [x](javascript:alert(1)) **b**")
                .unwrap();
        let html = render_comment_body(body.as_str());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<strong>b</strong>"), "{html}");
    }
}
