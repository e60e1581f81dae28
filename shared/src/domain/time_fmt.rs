//! Date formats the site speaks: RFC 3339 for storage and JSON-LD, a sortable UTC key
//! for indexes, and a human date for pages.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The years every format here can write in UTC: RFC 2822 (RSS) has no year before 1900,
/// RFC 3339 (Atom, JSON Feed, sitemap) none after 9999. The post parser rejects dates
/// outside them; formatters clamp into them rather than panic.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// `t` in UTC if its UTC year is one every feed format can write.
pub fn in_feed_range(t: OffsetDateTime) -> Option<OffsetDateTime> {
    t.checked_to_offset(UtcOffset::UTC)
        .filter(|utc| YEARS.contains(&utc.year()))
}

/// `t` in UTC, clamped into `YEARS`: never panics, whatever the index holds.
pub fn clamp_utc(t: OffsetDateTime) -> OffsetDateTime {
    if let Some(utc) = in_feed_range(t) {
        return utc;
    }
    let first = time::macros::datetime!(1900-01-01 00:00 UTC);
    let last = time::macros::datetime!(9999-12-31 23:59:59 UTC);
    if t < first {
        first
    } else {
        last
    }
}

/// Fixed-width UTC timestamp that sorts lexically in time order ("2024-03-12T09:00:00Z").
pub fn sort_key(t: OffsetDateTime) -> String {
    clamp_utc(t)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .expect("a UTC date always formats")
}

/// Like `sort_key` with milliseconds ("2024-03-12T09:00:00.123Z"), for records that
/// arrive many to a second (comments).
pub fn sort_key_millis(t: OffsetDateTime) -> String {
    clamp_utc(t)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .expect("a UTC date always formats")
}

/// RFC 3339; a time it cannot write (an offset with seconds, a year past 9999) is
/// written clamped in UTC instead of panicking.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| {
        clamp_utc(t)
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1900-01-01T00:00:00Z".to_owned())
    })
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// The date as a visitor reads it, in the site's language: "March 12, 2024" (as the
/// reference page shows dates), "12 de marzo de 2024".
pub fn human_date(t: OffsetDateTime, language: &crate::i18n::Messages) -> String {
    language.date(t)
}

/// RFC 7231 HTTP date ("Tue, 12 Mar 2024 09:00:00 GMT").
pub fn http_date(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .expect("a UTC date always formats")
}

pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(
        s.trim(),
        format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
    .ok()
    .map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sort_keys_are_utc_and_fixed_width() {
        assert_eq!(
            sort_key(datetime!(2024-03-12 11:00 +02:00)),
            "2024-03-12T09:00:00Z"
        );
    }

    #[test]
    fn http_dates_round_trip() {
        let t = datetime!(2024-03-12 09:00:00 UTC);
        assert_eq!(http_date(t), "Tue, 12 Mar 2024 09:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(t)), Some(t));
    }

    #[test]
    fn human_dates_read_naturally_in_each_language() {
        use crate::i18n::{messages, Language};
        let t = datetime!(2024-03-02 09:00 UTC);
        assert_eq!(human_date(t, messages(Language::En)), "March 2, 2024");
        assert_eq!(human_date(t, messages(Language::Es)), "2 de marzo de 2024");
        let t = datetime!(2026-12-02 23:30 -08:00);
        assert_eq!(human_date(t, messages(Language::En)), "December 2, 2026");
        assert_eq!(
            human_date(t, messages(Language::Es)),
            "2 de diciembre de 2026"
        );
    }
}
