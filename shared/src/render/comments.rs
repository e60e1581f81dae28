//! The comments section of an article: the approved thread flattened for the template
//! (with the nesting it must open and close), the form with its values and errors.

use crate::domain::time_fmt::{human_date, rfc3339};
use crate::domain::{Comment, CommentId};
use std::collections::HashMap;

/// One comment as the thread shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentItem {
    pub id: String,
    pub author: String,
    pub website: Option<String>,
    pub date_iso: String,
    pub date_human: String,
    pub body_html: String,
    /// 1 for a top-level comment; at most the site's `max_depth`.
    pub depth: u32,
    /// The next item is this one's first reply: open a nested list.
    pub opens_children: bool,
    /// Nested lists to close after this item.
    pub closes: u32,
    pub can_reply: bool,
}

/// A message beside each field of the comment form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub name: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub body: Option<String>,
    pub parent: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        *self == FieldErrors::default()
    }

    /// (field, message) pairs, for JSON answers.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        super::field_pairs([
            ("name", &self.name),
            ("email", &self.email),
            ("website", &self.website),
            ("body", &self.body),
            ("parent", &self.parent),
        ])
    }
}

/// The comment form as the visitor left it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentForm {
    pub name: String,
    pub email: String,
    pub website: String,
    pub body: String,
    pub parent: String,
    /// The author of the comment being replied to.
    pub replying_to: Option<String>,
    pub errors: FieldErrors,
}

/// Where a page of a long thread stands among the others (only when there are several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentPager {
    /// This page (from 1, oldest first) and how many there are.
    pub page: u32,
    pub pages: u32,
    /// The older and the newer neighbour.
    pub prev_page: Option<u32>,
    pub next_page: Option<u32>,
}

impl CommentPager {
    /// `None` for a thread of one page.
    pub fn of(page: u32, pages: u32) -> Option<CommentPager> {
        (pages > 1).then(|| CommentPager {
            page,
            pages,
            prev_page: (page > 1).then(|| page - 1),
            next_page: (page < pages).then(|| page + 1),
        })
    }

    /// The newest page is the article's own address (no `?cpage`).
    pub fn is_newest(&self) -> bool {
        self.page == self.pages
    }
}

/// Everything the comments section shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentsView {
    /// The shown page's comments, threaded.
    pub thread: Vec<CommentItem>,
    /// How many approved comments the whole thread holds (every page): the heading's
    /// and the JSON-LD's count.
    pub total: usize,
    /// The thread's pages, when it has more than one.
    pub pager: Option<CommentPager>,
    pub form: CommentForm,
    pub notice: Option<&'static str>,
    /// What the form says about moderation, per the site's `moderation` setting.
    pub moderation_note: &'static str,
}

/// Threads approved comments (oldest first): replies under their parent in time order,
/// nested at most `max_depth` deep (deeper replies show at that depth). A reply whose
/// parent is not shown stands at the top level.
pub fn thread(
    comments: &[Comment],
    max_depth: u32,
    open: bool,
    t: &crate::i18n::Messages,
) -> Vec<CommentItem> {
    let max_depth = max_depth.max(1);
    let shown: HashMap<&CommentId, usize> = comments
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.id, i))
        .collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, c) in comments.iter().enumerate() {
        let parent = c
            .parent
            .as_ref()
            .and_then(|p| shown.get(p).copied())
            .filter(|p| *p != i);
        children.entry(parent).or_default().push(i);
    }
    // Depth-first, iteratively: a long reply chain cannot overflow the stack.
    let mut order: Vec<(usize, u32)> = Vec::with_capacity(comments.len());
    let mut stack: Vec<(usize, u32)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|&i| (i, 1)).collect())
        .unwrap_or_default();
    let mut seen = vec![false; comments.len()];
    while let Some((i, level)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push((i, level.min(max_depth)));
        if let Some(kids) = children.get(&Some(i)) {
            stack.extend(kids.iter().rev().map(|&k| (k, level + 1)));
        }
    }
    let mut items = Vec::with_capacity(order.len());
    for (pos, &(i, depth)) in order.iter().enumerate() {
        let next = order.get(pos + 1).map_or(1, |&(_, d)| d);
        let c = &comments[i];
        items.push(CommentItem {
            id: c.id.to_string(),
            author: c.author.to_string(),
            website: c.website.as_ref().map(|w| w.to_string()),
            date_iso: rfc3339(c.created_at),
            date_human: human_date(c.created_at, t),
            body_html: c.body_html.clone(),
            depth,
            opens_children: next > depth,
            closes: depth.saturating_sub(next),
            can_reply: open && depth < max_depth,
        });
    }
    items
}
