//! `[business]` in site.toml: what kind of business the site is (its schema.org type),
//! its opening hours, a notice banner with an end, a map link and a booking button.

use super::SettingsError;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `type`: LocalBusiness or one of these schema.org subtypes (health and the trades a
/// small-business site is most often for). Anything else is refused by name.
pub const BUSINESS_TYPES: &[&str] = &[
    "LocalBusiness",
    "MedicalBusiness",
    "MedicalClinic",
    "Physician",
    "Dentist",
    "Physiotherapy",
    "Optician",
    "Pharmacy",
    "HealthAndBeautyBusiness",
    "DaySpa",
    "BeautySalon",
    "HairSalon",
    "NailSalon",
    "HealthClub",
    "ExerciseGym",
    "VeterinaryCare",
    "ProfessionalService",
    "LegalService",
    "Attorney",
    "AccountingService",
    "FoodEstablishment",
    "Restaurant",
    "CafeOrCoffeeShop",
    "Bakery",
    "Store",
    "HomeAndConstructionBusiness",
    "Electrician",
    "Plumber",
    "AutomotiveBusiness",
    "AutoRepair",
    "ChildCare",
    "EducationalOrganization",
];

/// schema.org `DayOfWeek`, by the two-letter codes `openingHours` uses.
const DAYS: [(&str, &str); 7] = [
    ("Mo", "Monday"),
    ("Tu", "Tuesday"),
    ("We", "Wednesday"),
    ("Th", "Thursday"),
    ("Fr", "Friday"),
    ("Sa", "Saturday"),
    ("Su", "Sunday"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessSettings {
    /// The JSON-LD `@type` of the business.
    #[serde(rename = "type")]
    pub kind: String,
    /// `[[business.hours]]`, in the order they are shown.
    pub hours: Vec<OpeningHours>,
    /// `[business.notice]`: a banner on every page until its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// An https link to the business on a map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_url: Option<String>,
    /// Where "Book an appointment" goes: an https URL or a path on this site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
    /// The booking button's text; unset, the catalogue's ("Book an appointment").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_label: Option<String>,
}

impl Default for BusinessSettings {
    fn default() -> Self {
        BusinessSettings {
            kind: "LocalBusiness".into(),
            hours: Vec::new(),
            notice: None,
            map_url: None,
            booking_url: None,
            booking_label: None,
        }
    }
}

/// One `[[business.hours]]` row: these days, from `opens` to `closes` (24-hour `HH:MM`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    pub days: Vec<String>,
    pub opens: String,
    pub closes: String,
}

/// `[business.notice]`: `text` shown until `ends` (a date-time with its UTC offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub text: String,
    pub ends: toml::value::Datetime,
}

impl Notice {
    /// The end as an instant (checked by `BusinessSettings::check`).
    pub fn ends_at(&self) -> Option<OffsetDateTime> {
        if self.ends.date.is_none() || self.ends.time.is_none() || self.ends.offset.is_none() {
            return None;
        }
        OffsetDateTime::parse(&self.ends.to_string(), &Rfc3339).ok()
    }
}

impl OpeningHours {
    /// The days' full names, in the order given.
    pub fn day_names(&self) -> Vec<&'static str> {
        self.days
            .iter()
            .filter_map(|d| DAYS.iter().find(|(code, _)| code == d).map(|(_, n)| *n))
            .collect()
    }

    /// "Monday – Friday" ("lunes – viernes") for three or more days in a row, else the
    /// names with commas, in the site's language.
    pub fn days_label(&self, t: &crate::i18n::Messages) -> String {
        let idx: Vec<usize> = self
            .days
            .iter()
            .filter_map(|d| DAYS.iter().position(|(code, _)| code == d))
            .collect();
        let run = idx.len() >= 3 && idx.windows(2).all(|w| w[1] == w[0] + 1);
        if run {
            format!("{} – {}", t.weekday(idx[0]), t.weekday(idx[idx.len() - 1]))
        } else {
            let names: Vec<&str> = idx.iter().map(|&i| t.weekday(i)).collect();
            names.join(", ")
        }
    }

    /// "9:00 – 18:00".
    pub fn times_label(&self) -> String {
        let short = |t: &str| t.strip_prefix('0').unwrap_or(t).to_owned();
        format!("{} – {}", short(&self.opens), short(&self.closes))
    }
}

/// Minutes since midnight of a `HH:MM` (`24:00` allowed as a closing time).
fn minutes(t: &str, closing: bool) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if closing => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl BusinessSettings {
    /// Checks every field; the error names the setting (`business.hours[2].opens`).
    pub fn check(&self) -> Result<(), SettingsError> {
        let bad = |field: &str, m: String| SettingsError(format!("business.{field}: {m}"));
        if !BUSINESS_TYPES.contains(&self.kind.as_str()) {
            return Err(bad(
                "type",
                format!(
                    "`{}` is not one of the schema.org types known here: {}",
                    self.kind,
                    BUSINESS_TYPES.join(", ")
                ),
            ));
        }
        if self.hours.len() > 14 {
            return Err(bad("hours", "at most 14 rows".into()));
        }
        for (i, row) in self.hours.iter().enumerate() {
            let field = |f: &str| format!("hours[{}].{f}", i + 1);
            if row.days.is_empty() {
                return Err(bad(&field("days"), "name at least one day".into()));
            }
            for day in &row.days {
                if !DAYS.iter().any(|(code, _)| code == day) {
                    return Err(bad(
                        &field("days"),
                        format!("`{day}` is not a day; write Mo, Tu, We, Th, Fr, Sa or Su"),
                    ));
                }
            }
            let opens = minutes(&row.opens, false).ok_or_else(|| {
                bad(
                    &field("opens"),
                    format!("`{}` is not a time like 09:00", row.opens),
                )
            })?;
            let closes = minutes(&row.closes, true).ok_or_else(|| {
                bad(
                    &field("closes"),
                    format!("`{}` is not a time like 18:00", row.closes),
                )
            })?;
            if closes <= opens {
                return Err(bad(
                    &field("closes"),
                    format!("`{}` is not after opens `{}`", row.closes, row.opens),
                ));
            }
        }
        if let Some(notice) = &self.notice {
            let len = notice.text.trim().chars().count();
            if len == 0 || len > 300 {
                return Err(bad("notice.text", "1 to 300 characters".into()));
            }
            if notice.ends_at().is_none() {
                return Err(bad(
                    "notice.ends",
                    format!(
                        "`{}` needs a date, a time and a UTC offset, like 2027-01-03T00:00:00-08:00",
                        notice.ends
                    ),
                ));
            }
        }
        if let Some(url) = &self.map_url {
            if !url.starts_with("https://") || !super::settings::is_link(url) {
                return Err(bad("map_url", format!("`{url}` must be an https:// link")));
            }
        }
        if let Some(url) = &self.booking_url {
            let ok = url.starts_with("https://") || url.starts_with('/');
            if !ok || !super::settings::is_link(url) {
                return Err(bad(
                    "booking_url",
                    format!("`{url}` must be an https:// link or a /path on this site"),
                ));
            }
        }
        if let Some(label) = &self.booking_label {
            let label = label.trim().chars().count();
            if label == 0 || label > 40 {
                return Err(bad("booking_label", "1 to 40 characters".into()));
            }
        }
        Ok(())
    }

    /// The notice's text while it is shown at `now`, with its end.
    pub fn notice_at(&self, now: OffsetDateTime) -> Option<(&str, OffsetDateTime)> {
        let notice = self.notice.as_ref()?;
        let ends = notice.ends_at()?;
        (now < ends).then_some((notice.text.as_str(), ends))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn business(src: &str) -> BusinessSettings {
        toml::from_str(src).unwrap()
    }

    fn error(src: &str) -> String {
        business(src).check().unwrap_err().to_string()
    }

    #[test]
    fn hours_are_validated_and_labelled() {
        let b = business(
            "type = \"MedicalClinic\"\n[[hours]]\ndays = [\"Mo\", \"Tu\", \"We\", \"Th\", \"Fr\"]\nopens = \"09:00\"\ncloses = \"18:00\"\n[[hours]]\ndays = [\"Sa\"]\nopens = \"10:00\"\ncloses = \"14:00\"\n",
        );
        b.check().unwrap();
        let en = crate::i18n::messages(crate::i18n::Language::En);
        assert_eq!(b.hours[0].days_label(en), "Monday – Friday");
        assert_eq!(b.hours[0].times_label(), "9:00 – 18:00");
        assert_eq!(b.hours[1].days_label(en), "Saturday");
        let two = OpeningHours {
            days: vec!["Mo".into(), "We".into()],
            opens: "09:00".into(),
            closes: "24:00".into(),
        };
        assert_eq!(two.days_label(en), "Monday, Wednesday");
        let es = crate::i18n::messages(crate::i18n::Language::Es);
        assert_eq!(b.hours[0].days_label(es), "lunes – viernes");
        assert_eq!(two.days_label(es), "lunes, miércoles");
        for (src, says) in [
            (
                "[[hours]]\ndays = [\"Mon\"]\nopens = \"09:00\"\ncloses = \"17:00\"",
                "business.hours[1].days: `Mon` is not a day",
            ),
            (
                "[[hours]]\ndays = [\"Mo\"]\nopens = \"9:00\"\ncloses = \"17:00\"",
                "business.hours[1].opens",
            ),
            (
                "[[hours]]\ndays = [\"Mo\"]\nopens = \"09:00\"\ncloses = \"25:00\"",
                "business.hours[1].closes",
            ),
            (
                "[[hours]]\ndays = [\"Mo\"]\nopens = \"18:00\"\ncloses = \"09:00\"",
                "is not after opens",
            ),
            (
                "[[hours]]\ndays = []\nopens = \"09:00\"\ncloses = \"17:00\"",
                "at least one day",
            ),
        ] {
            let e = error(src);
            assert!(e.contains(says), "{src}: {e}");
        }
    }

    #[test]
    fn the_type_is_local_business_or_a_known_subtype() {
        assert!(business("").check().is_ok());
        assert_eq!(business("").kind, "LocalBusiness");
        assert!(business("type = \"Physiotherapy\"").check().is_ok());
        let e = error("type = \"Spaceport\"");
        assert!(e.contains("business.type: `Spaceport`"), "{e}");
        assert!(error("type = \"<script>\"").contains("business.type"));
    }

    #[test]
    fn links_are_https_or_local_paths() {
        assert!(
            business("map_url = \"https://maps.example/?q=1\"\nbooking_url = \"/contact\"")
                .check()
                .is_ok()
        );
        for (src, field) in [
            ("map_url = \"http://maps.example\"", "business.map_url"),
            ("map_url = \"javascript:alert(1)\"", "business.map_url"),
            ("booking_url = \"//evil.example\"", "business.booking_url"),
            (
                "booking_url = \"https://x.example/a b\"",
                "business.booking_url",
            ),
            (
                "booking_url = \"https://x.example/\\\"onclick\"",
                "business.booking_url",
            ),
            ("booking_label = \"\"", "business.booking_label"),
        ] {
            assert!(error(src).contains(field), "{src}");
        }
    }

    #[test]
    fn a_notice_shows_until_its_end_and_needs_an_offset() {
        let b = business(
            "[notice]\ntext = \"Closed Dec 24 – Jan 2\"\nends = 2027-01-03T00:00:00-08:00\n",
        );
        b.check().unwrap();
        let end = time::macros::datetime!(2027-01-03 08:00 UTC);
        let before = end - time::Duration::seconds(1);
        assert_eq!(b.notice_at(before), Some(("Closed Dec 24 – Jan 2", end)));
        assert_eq!(b.notice_at(end), None);
        for ends in ["2027-01-03", "2027-01-03T00:00:00"] {
            let e = error(&format!("[notice]\ntext = \"x\"\nends = {ends}\n"));
            assert!(e.contains("business.notice.ends"), "{ends}: {e}");
        }
    }
}
