//! A post: `posts/<slug>.md` with TOML front matter between `+++` lines, and the
//! metadata the post index keeps of it.

use super::slug::{Slug, Tag};
use super::time_fmt;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub caption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: String,
    pub date: OffsetDateTime,
    pub updated: Option<OffsetDateTime>,
    pub summary: String,
    pub tags: Vec<Tag>,
    pub draft: bool,
    pub image: Option<Image>,
    pub comments_open: bool,
    /// `toc = true` / `false`: show the table of contents or not, whatever the heading
    /// count (`None`: the site's `toc_headings` decides).
    pub toc: Option<bool>,
    /// `newsletter = false` keeps this post out of the subscribers' mail.
    pub newsletter: bool,
    /// `aliases = ["/old/path/"]`: hand-made old addresses that redirect here.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub slug: Slug,
    pub front: FrontMatter,
    pub body_markdown: String,
}

/// What the post index stores for a post: enough to list it without reading the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMeta {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    #[serde(with = "time::serde::rfc3339")]
    pub date: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub updated: Option<OffsetDateTime>,
    pub tags: Vec<Tag>,
    pub comments_open: bool,
}

/// A post that cannot be read, named by file and (where it applies) field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct PostError {
    pub file: String,
    pub field: Option<String>,
    pub message: String,
}

const MAX_TAGS: usize = 20;
const MAX_TITLE: usize = 300;
const KNOWN_FIELDS: &[&str] = &[
    "title",
    "date",
    "updated",
    "summary",
    "tags",
    "draft",
    "image",
    "comments",
    "newsletter",
    "aliases",
    "toc",
];

impl Post {
    pub fn file_name(slug: &Slug) -> String {
        format!("posts/{slug}.md")
    }

    /// Parses a post's source. Every problem names the file and the field.
    pub fn parse(slug: Slug, source: &str) -> Result<Post, PostError> {
        // The file name is only formatted for an error.
        let err = |field: Option<&str>, message: String| PostError {
            file: Post::file_name(&slug),
            field: field.map(str::to_owned),
            message,
        };
        let (front, body) = split_front_matter(source).ok_or_else(|| {
            err(
                None,
                "the file must start with TOML front matter between `+++` lines".into(),
            )
        })?;
        let table: toml::Table = front.parse().map_err(|e: toml::de::Error| {
            err(
                None,
                format!("front matter is not valid TOML: {}", e.message()),
            )
        })?;
        let front = FrontMatter::from_table(&table)
            .map_err(|(field, message)| err(Some(field), message))?;
        Ok(Post {
            slug,
            front,
            body_markdown: body.to_owned(),
        })
    }

    /// Published posts are neither drafts nor dated after `now`.
    pub fn is_published(&self, now: OffsetDateTime) -> bool {
        !self.front.draft && self.front.date <= now
    }

    pub fn meta(&self) -> PostMeta {
        PostMeta {
            slug: self.slug.clone(),
            title: self.front.title.clone(),
            summary: self.front.summary.clone(),
            date: self.front.date,
            updated: self.front.updated,
            tags: self.front.tags.clone(),
            comments_open: self.front.comments_open,
        }
    }
}

pub(crate) fn split_front_matter(source: &str) -> Option<(&str, &str)> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let rest = source.strip_prefix("+++")?.strip_prefix(['\n', '\r'])?;
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

pub(crate) type FieldError = (&'static str, String);

impl FrontMatter {
    fn from_table(t: &toml::Table) -> Result<FrontMatter, FieldError> {
        if let Some(unknown) = t.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err((
                "front matter",
                format!(
                    "unknown field `{unknown}` (known: {})",
                    KNOWN_FIELDS.join(", ")
                ),
            ));
        }
        let title = required_string(t, "title")?;
        if title.chars().count() > MAX_TITLE {
            return Err(("title", format!("is longer than {MAX_TITLE} characters")));
        }
        let date = date_field(t, "date")?.ok_or(("date", "is required".to_owned()))?;
        let updated = date_field(t, "updated")?;
        let summary = optional_string(t, "summary")?.unwrap_or_default();
        let tags = match t.get("tags") {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => {
                if items.len() > MAX_TAGS {
                    return Err(("tags", format!("at most {MAX_TAGS} tags")));
                }
                let mut tags: Vec<Tag> = Vec::with_capacity(items.len());
                for item in items {
                    let name = item
                        .as_str()
                        .ok_or(("tags", "must be a list of strings".to_owned()))?;
                    let tag = Tag::parse(name).map_err(|e| ("tags", format!("`{name}`: {e}")))?;
                    if !tags.iter().any(|t| t.slug == tag.slug) {
                        tags.push(tag);
                    }
                }
                tags
            }
            Some(_) => return Err(("tags", "must be a list of strings".into())),
        };
        let draft = optional_bool(t, "draft")?.unwrap_or(false);
        let comments_open = optional_bool(t, "comments")?.unwrap_or(true);
        let newsletter = optional_bool(t, "newsletter")?.unwrap_or(true);
        let toc = optional_bool(t, "toc")?;
        let aliases = aliases_field(t)?;
        let image = match t.get("image") {
            None => None,
            Some(toml::Value::Table(img)) => {
                let src = required_string(img, "src").map_err(|(_, m)| ("image.src", m))?;
                if !crate::render::safe_url::is_safe(&src) {
                    return Err(("image.src", "must be a relative or https URL".into()));
                }
                let alt = required_string(img, "alt").map_err(|(_, m)| ("image.alt", m))?;
                let caption =
                    optional_string(img, "caption").map_err(|(_, m)| ("image.caption", m))?;
                Some(Image { src, alt, caption })
            }
            Some(_) => return Err(("image", "must be a table with src, alt and caption".into())),
        };
        Ok(FrontMatter {
            title,
            date,
            updated,
            summary,
            tags,
            draft,
            image,
            comments_open,
            toc,
            newsletter,
            aliases,
        })
    }
}

pub(crate) fn required_string(t: &toml::Table, key: &'static str) -> Result<String, FieldError> {
    match optional_string(t, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err((key, "is required".into())),
    }
}

pub(crate) fn optional_string(
    t: &toml::Table,
    key: &'static str,
) -> Result<Option<String>, FieldError> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err((key, "must be a string".into())),
    }
}

const MAX_ALIASES: usize = 50;

/// `aliases = ["/old/path/", "/?p=12"]`: site paths (with any query) of at most 300
/// characters, no spaces, no scheme or host; served as 301s to the post or page.
pub(crate) fn aliases_field(t: &toml::Table) -> Result<Vec<String>, FieldError> {
    let bad = |m: String| ("aliases", m);
    let items = match t.get("aliases") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(items)) => items,
        Some(_) => return Err(bad("must be a list of paths like \"/old/path/\"".into())),
    };
    if items.len() > MAX_ALIASES {
        return Err(bad(format!("at most {MAX_ALIASES} aliases")));
    }
    let mut aliases = Vec::with_capacity(items.len());
    for item in items {
        let path = item
            .as_str()
            .ok_or_else(|| bad("must be a list of strings".into()))?;
        let ok = path.starts_with('/')
            && !path.starts_with("//")
            && path.len() <= 300
            && !path.contains('#')
            && !path.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(bad(format!(
                "`{path}` must be a path on this site starting with one `/` (no host, spaces or #)"
            )));
        }
        if !aliases.iter().any(|a| a == path) {
            aliases.push(path.to_owned());
        }
    }
    Ok(aliases)
}

pub(crate) fn optional_bool(
    t: &toml::Table,
    key: &'static str,
) -> Result<Option<bool>, FieldError> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err((key, "must be true or false".into())),
    }
}

/// A TOML date (`2024-03-12`), date-time (`2024-03-12T09:00:00Z`), or the same as a string.
/// Dates without an offset are taken as UTC.
fn date_field(t: &toml::Table, key: &'static str) -> Result<Option<OffsetDateTime>, FieldError> {
    let bad = || {
        (
            key,
            "must be a date like 2024-03-12 or 2024-03-12T09:00:00Z".to_owned(),
        )
    };
    let dt = match t.get(key) {
        None => return Ok(None),
        Some(toml::Value::Datetime(dt)) => *dt,
        Some(toml::Value::String(s)) => s.parse::<toml::value::Datetime>().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    let d = dt.date.ok_or_else(bad)?;
    let month = Month::try_from(d.month).map_err(|_| bad())?;
    let date = Date::from_calendar_date(i32::from(d.year), month, d.day).map_err(|_| bad())?;
    let time = match dt.time {
        Some(tm) => {
            Time::from_hms_nano(tm.hour, tm.minute, tm.second, tm.nanosecond).map_err(|_| bad())?
        }
        None => Time::MIDNIGHT,
    };
    let offset = match dt.offset {
        None | Some(toml::value::Offset::Z) => UtcOffset::UTC,
        Some(toml::value::Offset::Custom { minutes }) => {
            UtcOffset::from_whole_seconds(i32::from(minutes) * 60).map_err(|_| bad())?
        }
    };
    let at = PrimitiveDateTime::new(date, time).assume_offset(offset);
    if time_fmt::in_feed_range(at).is_none() {
        return Err((
            key,
            format!(
                "must be between the years {} and {} in UTC (feeds cannot date anything else)",
                time_fmt::YEARS.start(),
                time_fmt::YEARS.end()
            ),
        ));
    }
    Ok(Some(at))
}

impl PostMeta {
    /// The index's sort key: newest first by date, then slug for a stable order.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", time_fmt::sort_key(self.date), self.slug)
    }

    /// A bound above the sort key of every post dated at or before `at`, whatever its
    /// slug: keys compare as UTF-8 bytes (DynamoDB and SQLite alike), a UTF-8 slug starts
    /// above `~` (0xC3 for `ñ`), and U+10FFFF (F4 8F BF BF) is above every letter.
    pub fn sort_key_upper_bound(at: OffsetDateTime) -> String {
        format!("{}#\u{10FFFF}", time_fmt::sort_key(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn slug() -> Slug {
        Slug::parse("hello").unwrap()
    }

    #[test]
    fn a_full_post_parses() {
        let src = "+++\ntitle = \"Hello & welcome\"\ndate = 2024-03-12T09:00:00Z\nupdated = 2024-04-01\nsummary = \"Hi\"\ntags = [\"Back Pain\", \"back pain\", \"Acupuncture\"]\ncomments = false\n[image]\nsrc = \"/media/a.jpg\"\nalt = \"A\"\ncaption = \"Cap\"\n+++\n# Body\n";
        let post = Post::parse(slug(), src).unwrap();
        assert_eq!(post.front.title, "Hello & welcome");
        assert_eq!(post.front.date, datetime!(2024-03-12 09:00 UTC));
        assert_eq!(post.front.updated, Some(datetime!(2024-04-01 00:00 UTC)));
        assert_eq!(post.front.tags.len(), 2, "duplicate tag slugs collapse");
        assert!(!post.front.comments_open);
        assert_eq!(
            post.front.image.as_ref().unwrap().caption.as_deref(),
            Some("Cap")
        );
        assert_eq!(post.body_markdown, "# Body\n");
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let e = Post::parse(slug(), "+++\ntitle = \"x\"\ndate = \"yesterday\"\n+++\n").unwrap_err();
        assert_eq!(e.file, "posts/hello.md");
        assert_eq!(e.field.as_deref(), Some("date"));
        assert!(
            e.to_string()
                .starts_with("posts/hello.md: field `date`: must be a date"),
            "{e}"
        );

        let e = Post::parse(slug(), "+++\ndate = 2024-01-01\n+++\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("title"));

        let e = Post::parse(
            slug(),
            "+++\ntitle = \"x\"\ndate = 2024-01-01\ntag = [\"a\"]\n+++\n",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `tag`"), "{e}");

        let e = Post::parse(slug(), "no front matter").unwrap_err();
        assert_eq!(e.field, None);

        let e = Post::parse(slug(), "+++\ntitle = \"x\ndate = 2024-01-01\n+++\n").unwrap_err();
        assert!(e.message.contains("not valid TOML"), "{e}");
    }

    #[test]
    fn drafts_and_future_posts_are_not_published() {
        let now = datetime!(2024-06-01 00:00 UTC);
        let draft = Post::parse(
            slug(),
            "+++\ntitle = \"x\"\ndate = 2024-01-01\ndraft = true\n+++\n",
        )
        .unwrap();
        let future = Post::parse(slug(), "+++\ntitle = \"x\"\ndate = 2024-07-01\n+++\n").unwrap();
        let live = Post::parse(
            slug(),
            "+++\ntitle = \"x\"\ndate = 2024-05-31T23:59:59+00:00\n+++\n",
        )
        .unwrap();
        assert!(!draft.is_published(now));
        assert!(!future.is_published(now));
        assert!(live.is_published(now));
    }
}
