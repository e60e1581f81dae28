//! Date formats the site speaks: RFC 3339 for storage and JSON-LD, a sortable UTC key
//! for indexes, and a human date for pages.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Fixed-width UTC timestamp that sorts lexically in time order ("2024-03-12T09:00:00Z").
pub fn sort_key(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .expect("a UTC date always formats")
}

/// Like `sort_key` with milliseconds ("2024-03-12T09:00:00.123Z"), for records that
/// arrive many to a second (comments).
pub fn sort_key_millis(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .expect("a UTC date always formats")
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("an OffsetDateTime always formats as RFC 3339")
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// "March 12, 2024", as the reference page shows dates.
pub fn human_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[month repr:long] [day padding:none], [year]"
    ))
    .expect("a date always formats")
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
    fn human_dates_read_naturally() {
        assert_eq!(human_date(datetime!(2024-03-02 09:00 UTC)), "March 2, 2024");
    }
}
