//! Moderation rules (WordPress's, with its numbers as defaults; see `CommentSettings`):
//! what status a new comment gets, and whether a post still takes comments.

use crate::domain::{Comment, CommentSettings, CommentStatus, Moderation, Post};
use time::{Duration, OffsetDateTime};

/// Links in a text: `http://`, `https://` and `www.` occurrences, as a spammer writes them
/// bare or inside Markdown.
pub fn count_links(text: &str) -> usize {
    let lower = text.to_lowercase();
    ["http://", "https://"]
        .iter()
        .map(|p| lower.matches(p).count())
        .sum::<usize>()
        + lower
            .match_indices("www.")
            .filter(|(i, _)| !lower[..*i].ends_with("//"))
            .count()
}

fn contains_word(words: &[String], haystack: &str) -> bool {
    words
        .iter()
        .map(|w| w.trim().to_lowercase())
        .any(|w| !w.is_empty() && haystack.contains(&w))
}

/// The status a new comment gets. A block word makes it spam; a hold word or too many
/// links hold it; otherwise the moderation mode decides (`known_author`: the email has
/// an approved comment already).
pub fn judge(rules: &CommentSettings, comment: &Comment, known_author: bool) -> CommentStatus {
    let haystack = format!(
        "{}\n{}\n{}\n{}",
        comment.author,
        comment.email,
        comment.website.as_ref().map_or("", |w| w.as_str()),
        comment.body
    )
    .to_lowercase();
    if contains_word(&rules.block_words, &haystack) {
        return CommentStatus::Spam;
    }
    if contains_word(&rules.hold_words, &haystack) {
        return CommentStatus::Pending;
    }
    if rules.hold_links > 0 && count_links(comment.body.as_str()) >= rules.hold_links as usize {
        return CommentStatus::Pending;
    }
    match rules.moderation {
        Moderation::All => CommentStatus::Pending,
        Moderation::FirstTime if !known_author => CommentStatus::Pending,
        Moderation::FirstTime | Moderation::None => CommentStatus::Approved,
    }
}

/// The most of a spam comment's body that is kept for the owner's review (characters).
/// With the other fields' limits a kept spam item stays under 8 KB, whatever was sent.
pub const SPAM_BODY_KEPT: usize = 1_000;

/// A comment judged spam as it is kept: its body cut to `SPAM_BODY_KEPT` characters
/// (marked with `…`) and rendered again. Its fingerprint stays the full body's, so the
/// same spam sent again is still a repeat. (The comment function's: the site function
/// includes these rules without the comment module's renderer.)
#[cfg(feature = "comments")]
pub fn kept_as_spam(mut comment: Comment) -> Comment {
    let body = comment.body.as_str();
    if body.chars().count() > SPAM_BODY_KEPT {
        let cut: String = body.chars().take(SPAM_BODY_KEPT).collect();
        if let Ok(short) = crate::domain::CommentBody::parse(&format!("{}…", cut.trim_end())) {
            comment.body_html = super::body::render_comment_body(short.as_str());
            comment.body = short;
        }
    }
    comment
}

/// Whether a post takes comments at `now`: its front matter allows them and it is not
/// older than `close_after_days` (0: never closes).
pub fn comments_open(rules: &CommentSettings, post: &Post, now: OffsetDateTime) -> bool {
    post.front.comments_open
        && (rules.close_after_days == 0
            || now - post.front.date <= Duration::days(i64::from(rules.close_after_days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "comments")]
    fn kept_spam_is_cut_to_its_limit_and_short_spam_is_kept_whole() {
        let c = |body: &str| Comment {
            id: crate::domain::CommentId::generate(),
            post: crate::domain::Slug::parse("p").unwrap(),
            parent: None,
            author: crate::domain::AuthorName::parse("a").unwrap(),
            email: crate::domain::CommentEmail::parse("a@b.test").unwrap(),
            website: None,
            body: crate::domain::CommentBody::parse(body).unwrap(),
            body_html: String::new(),
            status: CommentStatus::Spam,
            created_at: OffsetDateTime::UNIX_EPOCH,
            client_hash: String::new(),
            fingerprint: "fp".into(),
        };
        let long = kept_as_spam(c(&"é".repeat(10_000)));
        assert_eq!(long.body.as_str().chars().count(), SPAM_BODY_KEPT + 1);
        assert!(long.body_html.len() < 3 * SPAM_BODY_KEPT, "rendered again");
        assert_eq!(long.fingerprint, "fp");
        let short = kept_as_spam(c("short spam"));
        assert_eq!(short.body.as_str(), "short spam");
    }

    #[test]
    fn links_are_counted_however_written() {
        assert_eq!(count_links("no links here"), 0);
        assert_eq!(count_links("see https://a.test and [b](http://b.test)"), 2);
        assert_eq!(count_links("www.a.test and https://www.b.test"), 2);
    }
}
