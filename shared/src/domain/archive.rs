//! The archive's summary: every tag with its number of published posts, and every month
//! with its number. The feeds function makes it from the published list it already reads
//! for the sitemap and stores it in the post index, so `/tags` and `/archive` are one
//! read each, however many posts there are.

use super::{PostMeta, Tag};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Month, OffsetDateTime, Time};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArchiveSummary {
    /// By name (case-insensitive), then slug.
    pub tags: Vec<TagCount>,
    /// Newest first.
    pub months: Vec<MonthCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: Tag,
    pub posts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCount {
    pub month: YearMonth,
    pub posts: u32,
}

/// A summary larger than this many tags keeps the most used (the DynamoDB item stays
/// far below its 400 KB limit).
pub const MAX_SUMMARY_TAGS: usize = 2_000;

impl ArchiveSummary {
    /// The summary of `posts` (the published ones). A tag's name is the one its newest
    /// post spells it with.
    pub fn of(posts: &[PostMeta]) -> ArchiveSummary {
        let mut tags: BTreeMap<&str, (Tag, u32, OffsetDateTime)> = BTreeMap::new();
        let mut months: BTreeMap<YearMonth, u32> = BTreeMap::new();
        for post in posts {
            *months.entry(YearMonth::of(post.date)).or_default() += 1;
            for tag in &post.tags {
                let entry = tags
                    .entry(tag.slug.as_str())
                    .or_insert((tag.clone(), 0, post.date));
                entry.1 += 1;
                if post.date > entry.2 {
                    entry.0 = tag.clone();
                    entry.2 = post.date;
                }
            }
        }
        let mut tags: Vec<TagCount> = tags
            .into_values()
            .map(|(tag, posts, _)| TagCount { tag, posts })
            .collect();
        if tags.len() > MAX_SUMMARY_TAGS {
            tags.sort_by(|a, b| b.posts.cmp(&a.posts).then(a.tag.slug.cmp(&b.tag.slug)));
            tags.truncate(MAX_SUMMARY_TAGS);
        }
        tags.sort_by(|a, b| {
            a.tag
                .name
                .to_lowercase()
                .cmp(&b.tag.name.to_lowercase())
                .then(a.tag.slug.cmp(&b.tag.slug))
        });
        ArchiveSummary {
            tags,
            months: months
                .into_iter()
                .rev()
                .map(|(month, posts)| MonthCount { month, posts })
                .collect(),
        }
    }
}

impl YearMonth {
    pub fn of(t: OffsetDateTime) -> YearMonth {
        let utc = t.to_offset(time::UtcOffset::UTC);
        YearMonth {
            year: utc.year(),
            month: u8::from(utc.month()),
        }
    }

    /// `2024/03` as `/archive/2024/03` spells it; `None` for anything else.
    pub fn parse(year: &str, month: &str) -> Option<YearMonth> {
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        if !year
            .bytes()
            .chain(month.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let (year, month): (i32, u8) = (year.parse().ok()?, month.parse().ok()?);
        let ym = YearMonth { year, month };
        // The last year of `YEARS` is left out so that every month has a next one.
        let years = *crate::domain::time_fmt::YEARS.start()..*crate::domain::time_fmt::YEARS.end();
        (years.contains(&year) && (1..=12).contains(&month)).then_some(ym)
    }

    /// The first instant of the month, UTC.
    pub fn start(self) -> OffsetDateTime {
        let month = Month::try_from(self.month).unwrap_or(Month::January);
        Date::from_calendar_date(self.year, month, 1)
            .unwrap_or(Date::MIN)
            .with_time(Time::MIDNIGHT)
            .assume_utc()
    }

    /// The last second of the month, UTC.
    pub fn end(self) -> OffsetDateTime {
        let next = if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        };
        next.start() - time::Duration::seconds(1)
    }

    /// `/archive/2024/03`.
    pub fn path(self) -> String {
        format!("/archive/{:04}/{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Slug;
    use time::macros::datetime;

    fn post(slug: &str, date: OffsetDateTime, tags: &[&str]) -> PostMeta {
        PostMeta {
            slug: Slug::parse(slug).unwrap(),
            title: slug.into(),
            summary: String::new(),
            date,
            updated: None,
            comments_open: true,
            tags: tags
                .iter()
                .map(|t| Tag {
                    name: (*t).into(),
                    slug: Slug::from_text(t).unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn tags_and_months_are_counted() {
        let s = ArchiveSummary::of(&[
            post("c", datetime!(2024-03-31 23:30 -08:00), &["Sleep"]),
            post(
                "b",
                datetime!(2024-03-02 10:00 UTC),
                &["sleep", "Acupuncture"],
            ),
            post("a", datetime!(2023-12-01 10:00 UTC), &["Acupuncture"]),
        ]);
        let tags: Vec<(&str, u32)> = s
            .tags
            .iter()
            .map(|t| (t.tag.name.as_str(), t.posts))
            .collect();
        assert_eq!(tags, [("Acupuncture", 2), ("Sleep", 2)]);
        let months: Vec<(String, u32)> = s
            .months
            .iter()
            .map(|m| {
                let en = crate::i18n::messages(crate::i18n::Language::En);
                (en.month_label(m.month.year, m.month.month), m.posts)
            })
            .collect();
        // 2024-03-31 23:30 -08:00 is April 1 in UTC.
        assert_eq!(
            months,
            [
                ("April 2024".into(), 1),
                ("March 2024".into(), 1),
                ("December 2023".into(), 1)
            ]
        );
    }

    #[test]
    fn months_parse_strictly_and_know_their_bounds() {
        let m = YearMonth::parse("2024", "02").unwrap();
        assert_eq!(m.start(), datetime!(2024-02-01 00:00 UTC));
        assert_eq!(m.end(), datetime!(2024-02-29 23:59:59 UTC));
        assert_eq!(
            YearMonth::parse("2024", "12").unwrap().end(),
            datetime!(2024-12-31 23:59:59 UTC)
        );
        assert_eq!(m.path(), "/archive/2024/02");
        for (y, mo) in [
            ("2024", "2"),
            ("2024", "13"),
            ("2024", "00"),
            ("24", "02"),
            ("+024", "02"),
            ("2024", "0x"),
        ] {
            assert_eq!(YearMonth::parse(y, mo), None, "{y}/{mo}");
        }
    }
}
