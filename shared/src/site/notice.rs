//! `[business.notice]` and caching: a page made while the notice shows must not outlive
//! its end, neither in the view cache nor in a browser's or CDN's cache.

use crate::domain::SiteSettings;
use crate::http::response::CACHE_REVALIDATE;
use std::time::Instant;
use time::OffsetDateTime;

/// How long after it is made a page may still be used by a cache without asking:
/// `CACHE_PAGE`'s `max-age` plus its `stale-while-revalidate`.
const PAGE_FRESHNESS: time::Duration = time::Duration::seconds(60 + 600);

/// When the notice shown on pages made now ends (`None`: no notice shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoticeWindow {
    ends: Option<OffsetDateTime>,
}

impl NoticeWindow {
    pub const NONE: NoticeWindow = NoticeWindow { ends: None };

    pub fn of(settings: &SiteSettings, now: OffsetDateTime) -> NoticeWindow {
        NoticeWindow {
            ends: settings.business.notice_at(now).map(|(_, ends)| ends),
        }
    }

    /// Part of a page view's version: no notice, a notice, a notice ending within a
    /// cache's freshness. Crossing either boundary remakes the view (with the headers
    /// below) instead of keeping the old one.
    pub fn tag(self, now: OffsetDateTime) -> u64 {
        match self.ends {
            None => 0,
            Some(ends) if ends - now <= PAGE_FRESHNESS => 2,
            Some(_) => 1,
        }
    }

    /// `cache_control`, unless the notice ends before a cache would ask again: then every
    /// use revalidates (a 304 while the page is unchanged, the page without the notice
    /// after its end, whose version and ETag differ).
    pub fn cache_control(self, now: OffsetDateTime, cache_control: &'static str) -> &'static str {
        match self.tag(now) {
            2 => CACHE_REVALIDATE,
            _ => cache_control,
        }
    }

    /// The instant the view cache must stop serving the view without revalidating it.
    pub fn fresh_until(self, now: OffsetDateTime) -> Option<Instant> {
        let left = self.ends? - now;
        let left = std::time::Duration::try_from(left).unwrap_or_default();
        Some(Instant::now() + left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_end_of_a_notice_bounds_every_cache() {
        let ends = datetime!(2027-01-03 08:00 UTC);
        let w = NoticeWindow { ends: Some(ends) };
        let early = ends - time::Duration::hours(2);
        let late = ends - time::Duration::minutes(5);
        assert_eq!(w.tag(early), 1);
        assert_eq!(w.cache_control(early, "x"), "x");
        assert_eq!(w.tag(late), 2);
        assert_eq!(w.cache_control(late, "x"), CACHE_REVALIDATE);
        let until = w.fresh_until(late).unwrap();
        let left = until - Instant::now();
        assert!(left <= std::time::Duration::from_secs(300), "{left:?}");
        assert_eq!(NoticeWindow::NONE.tag(late), 0);
        assert_eq!(NoticeWindow::NONE.fresh_until(late), None);
    }
}
