//! The site's language: one Fluent catalogue per language (`shared/locales/*.ftl`,
//! compiled in), resolved once per language into `Messages`, plain strings and
//! pre-split patterns, so a render only pastes; messages with a count (plurals) go
//! through the cached Fluent bundle when used.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::fmt::Write as _;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// A language the site speaks, chosen by `language` in `site.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    En,
    Es,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Es];

    /// The language of a BCP 47 tag: `en`, `es`, or either with subtags (`en-US`,
    /// `es-MX`); `None` for any other language or a malformed tag.
    pub fn of_tag(tag: &str) -> Option<Language> {
        let mut parts = tag.split('-');
        let language = match parts.next()?.to_ascii_lowercase().as_str() {
            "en" => Language::En,
            "es" => Language::Es,
            _ => return None,
        };
        parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then_some(language)
    }

    /// The primary language subtag (`en`, `es`).
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
        }
    }

    /// The catalogue's Fluent source.
    pub fn catalogue(self) -> &'static str {
        match self {
            Language::En => include_str!("../../locales/en.ftl"),
            Language::Es => include_str!("../../locales/es.ftl"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

type Bundle = FluentBundle<FluentResource>;

/// The Fluent bundle of `language`, parsed once per process.
fn bundle(language: Language) -> &'static Bundle {
    static BUNDLES: [OnceLock<Bundle>; 2] = [OnceLock::new(), OnceLock::new()];
    BUNDLES[language.index()].get_or_init(|| {
        let (resource, errors) = match FluentResource::try_new(language.catalogue().to_owned()) {
            Ok(resource) => (resource, Vec::new()),
            Err((resource, errors)) => (resource, errors),
        };
        for e in errors {
            tracing::error!(language = language.code(), error = %e, "catalogue syntax");
        }
        let id: unic_langid::LanguageIdentifier = language.code().parse().unwrap_or_default();
        let mut bundle = Bundle::new_concurrent(vec![id]);
        // Plain text and mail: no Unicode isolation marks around arguments.
        bundle.set_use_isolating(false);
        if let Err(e) = bundle.add_resource(resource) {
            tracing::error!(language = language.code(), errors = ?e, "catalogue ids clash");
        }
        bundle
    })
}

/// The messages of `language`, resolved once per process: a missing or broken message
/// shows its id (and is logged) rather than failing a page.
pub fn messages(language: Language) -> &'static Messages {
    static MESSAGES: [OnceLock<Messages>; 2] = [OnceLock::new(), OnceLock::new()];
    MESSAGES[language.index()].get_or_init(|| {
        let (messages, errors) = Messages::build(language);
        for e in errors {
            tracing::error!(language = language.code(), error = %e, "catalogue message");
        }
        messages
    })
}

/// A message with arguments, split once around them: filling it is string pasting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Arg(usize),
}

impl Pattern {
    /// The message with `args` in the order its declaration names them.
    pub fn fill(&self, args: &[&str]) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Arg(i) => out.push_str(args.get(*i).copied().unwrap_or("")),
            }
        }
        out
    }
}

/// The stand-in for argument `i` while a pattern is resolved: a private-use character
/// no message holds.
fn sentinel(i: usize) -> char {
    char::from_u32(0xE000 + i as u32).unwrap_or('\u{E000}')
}

fn format_id(
    bundle: &Bundle,
    id: &str,
    args: Option<&FluentArgs>,
    errors: &mut Vec<String>,
) -> Option<String> {
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        errors.push(format!("{id}: missing"));
        return None;
    };
    let mut errs = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errs).into_owned();
    for e in errs {
        errors.push(format!("{id}: {e}"));
    }
    Some(text)
}

fn plain(bundle: &Bundle, field: &str, errors: &mut Vec<String>) -> String {
    let id = field.replace('_', "-");
    format_id(bundle, &id, None, errors).unwrap_or(id)
}

fn pattern(bundle: &Bundle, field: &str, names: &[&str], errors: &mut Vec<String>) -> Pattern {
    let id = field.replace('_', "-");
    let mut args = FluentArgs::new();
    for (i, name) in names.iter().enumerate() {
        args.set(*name, FluentValue::from(sentinel(i).to_string()));
    }
    let Some(text) = format_id(bundle, &id, Some(&args), errors) else {
        return Pattern {
            pieces: vec![Piece::Text(id)],
        };
    };
    let mut pieces = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        match (0..names.len()).find(|&i| sentinel(i) == c) {
            Some(i) => {
                if !run.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut run)));
                }
                pieces.push(Piece::Arg(i));
            }
            None => run.push(c),
        }
    }
    if !run.is_empty() {
        pieces.push(Piece::Text(run));
    }
    Pattern { pieces }
}

/// A count a plural message is chosen by (templates hand over values or references).
pub trait Count {
    fn count(&self) -> u64;
}

impl Count for usize {
    fn count(&self) -> u64 {
        *self as u64
    }
}

impl Count for u32 {
    fn count(&self) -> u64 {
        u64::from(*self)
    }
}

impl Count for u64 {
    fn count(&self) -> u64 {
        *self
    }
}

impl<T: Count> Count for &T {
    fn count(&self) -> u64 {
        (**self).count()
    }
}

/// Declares the catalogue as the code uses it: `plain` messages become `String` fields,
/// `patterns` methods taking their arguments in order, `plurals` methods taking the
/// count first; each name is its Fluent id with `-` for `_`.
macro_rules! catalogue {
    (
        plain { $($p:ident),* $(,)? }
        patterns { $($f:ident ( $($arg:ident),* )),* $(,)? }
        plurals { $($c:ident ( $n:ident $(; $($s:ident),*)? )),* $(,)? }
    ) => {
        /// Every visitor-facing string of one language (see the module's note).
        #[derive(Debug)]
        pub struct Messages {
            pub language: Language,
            $(pub $p: String,)*
            $($f: Pattern,)*
        }

        /// Every message id the code asks for (as field names), with its arguments.
        pub const IDS: &[(&str, &[&str])] = &[
            $((stringify!($p), &[]),)*
            $((stringify!($f), &[$(stringify!($arg)),*]),)*
            $((stringify!($c), &[stringify!($n) $($(, stringify!($s))*)?]),)*
        ];

        impl Messages {
            /// The messages and every problem met resolving them (none, for a complete
            /// catalogue: a test holds both languages to that).
            pub fn build(language: Language) -> (Messages, Vec<String>) {
                let bundle = bundle(language);
                let mut errors = Vec::new();
                let messages = Messages {
                    language,
                    $($p: plain(bundle, stringify!($p), &mut errors),)*
                    $($f: pattern(bundle, stringify!($f), &[$(stringify!($arg)),*], &mut errors),)*
                };
                // Each plural once with a sample count, so a broken one shows here.
                $(
                    let mut args = FluentArgs::new();
                    args.set(stringify!($n), FluentValue::from(2));
                    $($(args.set(stringify!($s), FluentValue::from("x"));)*)?
                    let _ = format_id(bundle, &stringify!($c).replace('_', "-"), Some(&args), &mut errors);
                )*
                (messages, errors)
            }

            $(
                pub fn $f(&self, $($arg: impl std::fmt::Display),*) -> String {
                    let args = [$($arg.to_string()),*];
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    self.$f.fill(&args)
                }
            )*

            $(
                pub fn $c(&self, $n: impl Count $($(, $s: &str)*)?) -> String {
                    let mut args = FluentArgs::new();
                    args.set(stringify!($n), FluentValue::from($n.count()));
                    $($(args.set(stringify!($s), FluentValue::from($s));)*)?
                    let id = stringify!($c).replace('_', "-");
                    let mut errors = Vec::new();
                    format_id(bundle(self.language), &id, Some(&args), &mut errors).unwrap_or(id)
                }
            )*
        }
    };
}

catalogue! {
    plain {
        month_1, month_2, month_3, month_4, month_5, month_6, month_7, month_8, month_9,
        month_10, month_11, month_12,
        day_monday, day_tuesday, day_wednesday, day_thursday, day_friday, day_saturday,
        day_sunday,
        skip_to_content, notice_label, menu_main_label, menu_toggle, search_label,
        search_placeholder, search_button, feeds_label, feed_posts_rss, feed_posts_atom,
        feed_posts_json, feed_comments_rss, opening_hours, book_appointment, honeypot_label,
        email_placeholder, subscribe_box_heading, subscribe_email_label, subscribe_button,
        home_link, back_to_site, tags_label,
        post_updated, comments_heading, comments_empty, comment_reply, comment_pages_label,
        comments_older, comments_newer, comments_newest, comment_cancel_reply, comment_leave,
        comment_notes_private, comment_notes_markdown, comment_body_label, form_name_label,
        comment_email_label, comment_website_label, comment_submit, comments_closed,
        moderation_note_all, moderation_note_first, comment_held, comment_published,
        comment_held_owner_not_told,
        contact_heading, contact_sent, contact_sent_short, contact_email_label,
        contact_message_label, contact_notes, contact_submit, business_heading, business_map,
        latest_posts, no_posts, pages_label, newer_posts, older_posts, topics_heading,
        archive_all_months, archive_heading, archive_all_topics,
        search_heading, search_not_ready, search_topics_link, search_pages_label,
        search_previous, search_more,
        error_not_found, error_not_found_text, error_bad_comment_page,
        error_bad_comment_page_text, error_method, error_method_get_text, error_method_text,
        error_too_large, error_too_large_text, error_unavailable, error_unavailable_text,
        error_form_unreadable, error_form_type, error_fields, error_no_page_text,
        field_name_missing, field_name_not_plain, field_email_missing, field_email_invalid,
        field_website_invalid, field_comment_missing, field_comment_hidden,
        field_message_missing, field_message_hidden, field_parent_elsewhere,
        field_not_a_comment,
        comment_error_check, comment_error_not_sent, comment_error_too_long,
        comment_error_no_post, comment_error_no_post_text, comment_error_closed_text,
        comment_error_slow, comment_error_slow_text, comment_error_repeat,
        comment_error_repeat_text, comment_error_unavailable_text,
        moderate_heading, moderate_on, moderate_approve, moderate_spam, moderate_delete,
        moderate_approved, moderate_spammed, moderate_deleted, moderate_go_to_post,
        moderate_status_pending, moderate_status_approved, moderate_status_spam,
        moderate_bad_link, moderate_bad_link_text, moderate_bad_action,
        moderate_bad_action_text, moderate_gone, moderate_gone_text, moderate_used,
        moderate_used_text, moderate_meanwhile, moderate_meanwhile_text,
        contact_error_check, contact_error_not_sent, contact_error_too_long,
        contact_error_no_form, contact_error_slow_text, contact_error_mail_text,
        contact_error_unavailable_text,
        subscribe_title_fallback, subscribe_confirm_heading, subscribe_confirm_text,
        subscribe_confirm_button, subscribe_ended_heading, subscribe_ended_text,
        unsubscribe_heading, unsubscribe_text, unsubscribe_button, unsubscribed_heading,
        unsubscribed_text, subscribe_heading, subscribe_text, subscribe_thanks_heading,
        subscribe_thanks_text, subscribed_heading, subscribed_text, subscribe_accepted,
        subscribe_error_email, subscribe_error_email_text, subscribe_error_form,
        subscribe_error_rate, subscribe_error_expired, subscribe_error_expired_text,
        subscribe_error_old_key, subscribe_error_old_key_text, subscribe_error_bad_link,
        subscribe_error_bad_link_text, subscribe_error_mail, subscribe_error_mail_text,
        subscribe_error_unavailable_text, subscriber_email_empty,
        subscriber_email_missing_at, subscriber_email_bad_domain,
        subscriber_email_bad_character,
        confirm_mail_greeting, confirm_mail_ignore, newsletter_read_on_site,
        newsletter_unsubscribe, newsletter_unsubscribe_one_click, toc_title,
        owner_mail_author, owner_mail_email, owner_mail_website, owner_mail_approve,
        owner_mail_spam, owner_mail_delete, owner_mail_notes,
    }
    patterns {
        date_long(month, day, year),
        month_year(month, year),
        reading_time(minutes),
        comment_page_of(page, pages),
        comment_reply_to(name),
        tag_heading(tag),
        tag_description(tag, site),
        month_heading(month),
        month_description(month, site),
        title_page(title, page),
        heading_page(heading, page),
        topics_description(site),
        archive_description(site),
        search_title_query(query),
        search_description(site),
        search_nothing(query),
        search_count_page(page),
        search_too_long(max),
        search_too_many_words(max),
        search_bad_page(max),
        field_name_too_long(max),
        field_email_too_long(max),
        field_website_too_long(max),
        field_comment_too_long(max),
        field_message_too_long(max),
        moderate_press(button),
        contact_mail_subject(name, site),
        contact_mail_intro(name, email, url),
        contact_mail_footer(name),
        subscriber_email_too_long(max),
        subscriber_email_bad_local(max),
        confirm_mail_subject(site),
        confirm_mail_asked(site),
        confirm_mail_open(hours),
        mail_unsubscribe_line(url),
        newsletter_why(url),
        feed_comments_title(site),
        feed_comments_description(site),
        feed_post_comments_title(post),
        feed_post_comments_description(post, site),
        feed_comment_item_title(post, author),
        owner_mail_subject(post),
        owner_mail_waiting(post),
    }
    plurals {
        comment_count(count),
        post_count(count),
        search_count(count; query),
        subscribe_error_rate_text(minutes),
        digest_subject(count; site),
    }
}

impl Messages {
    /// The month's name, 1 = January (anything else: January).
    pub fn month(&self, month: u8) -> &str {
        match month {
            2 => &self.month_2,
            3 => &self.month_3,
            4 => &self.month_4,
            5 => &self.month_5,
            6 => &self.month_6,
            7 => &self.month_7,
            8 => &self.month_8,
            9 => &self.month_9,
            10 => &self.month_10,
            11 => &self.month_11,
            12 => &self.month_12,
            _ => &self.month_1,
        }
    }

    /// The weekday's name, 0 = Monday .. 6 = Sunday.
    pub fn weekday(&self, day: usize) -> &str {
        match day {
            1 => &self.day_tuesday,
            2 => &self.day_wednesday,
            3 => &self.day_thursday,
            4 => &self.day_friday,
            5 => &self.day_saturday,
            6 => &self.day_sunday,
            _ => &self.day_monday,
        }
    }

    /// "December 2, 2026" / "2 de diciembre de 2026" (the date as `t`'s offset has it).
    pub fn date(&self, t: OffsetDateTime) -> String {
        let mut day = String::new();
        let _ = write!(day, "{}", t.day());
        self.date_long(self.month(u8::from(t.month())), day, t.year())
    }

    /// "December 2026" / "diciembre de 2026".
    pub fn month_label(&self, year: i32, month: u8) -> String {
        self.month_year(self.month(month), year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn tags_choose_the_language_or_none() {
        for (tag, want) in [
            ("en", Some(Language::En)),
            ("en-US", Some(Language::En)),
            ("ES-mx", Some(Language::Es)),
            ("es-419", Some(Language::Es)),
            ("de", None),
            ("en-", None),
            ("english", None),
            ("", None),
        ] {
            assert_eq!(Language::of_tag(tag), want, "{tag}");
        }
    }

    #[test]
    fn both_catalogues_resolve_every_message_the_code_asks_for() {
        for language in Language::ALL {
            let (_, errors) = Messages::build(language);
            assert!(errors.is_empty(), "{language:?}: {errors:#?}");
        }
    }

    #[test]
    fn patterns_fill_their_arguments_in_order() {
        let es = messages(Language::Es);
        assert_eq!(
            es.tag_description("Sueño", "Clínica"),
            "Artículos sobre Sueño de Clínica"
        );
        assert_eq!(es.comment_page_of(2, 5), "Página 2 de 5 de comentarios");
        assert_eq!(messages(Language::En).comment_count(1usize), "1 comment");
        assert_eq!(messages(Language::En).comment_count(3usize), "3 comments");
        assert_eq!(es.comment_count(1usize), "1 comentario");
        assert_eq!(es.comment_count(3usize), "3 comentarios");
        assert_eq!(es.search_count(0usize, "té"), "0 resultados para «té»");
    }

    /// Each message id of a catalogue with the sorted names of the variables it uses.
    fn ids_and_arguments(source: &str) -> std::collections::BTreeMap<String, Vec<String>> {
        use fluent_syntax::ast;
        fn expression(e: &ast::Expression<&str>, out: &mut Vec<String>) {
            match e {
                ast::Expression::Select { selector, variants } => {
                    inline(selector, out);
                    for v in variants {
                        pattern(&v.value, out);
                    }
                }
                ast::Expression::Inline(i) => inline(i, out),
            }
        }
        fn inline(i: &ast::InlineExpression<&str>, out: &mut Vec<String>) {
            match i {
                ast::InlineExpression::VariableReference { id } => out.push(id.name.to_owned()),
                ast::InlineExpression::Placeable { expression: e } => expression(e, out),
                _ => {}
            }
        }
        fn pattern(p: &ast::Pattern<&str>, out: &mut Vec<String>) {
            for element in &p.elements {
                if let ast::PatternElement::Placeable { expression: e } = element {
                    expression(e, out);
                }
            }
        }
        let resource = fluent_syntax::parser::parse(source).expect("the catalogue parses");
        let mut ids = std::collections::BTreeMap::new();
        for entry in resource.body {
            match entry {
                ast::Entry::Message(m) => {
                    let mut args = Vec::new();
                    if let Some(value) = &m.value {
                        pattern(value, &mut args);
                    }
                    assert!(m.attributes.is_empty(), "{}: no attributes", m.id.name);
                    args.sort();
                    args.dedup();
                    assert!(
                        ids.insert(m.id.name.to_owned(), args).is_none(),
                        "{} twice",
                        m.id.name
                    );
                }
                ast::Entry::Term(t) => panic!("no terms: {}", t.id.name),
                ast::Entry::Junk { content } => panic!("unparsed: {content}"),
                _ => {}
            }
        }
        ids
    }

    #[test]
    fn the_catalogues_hold_the_same_ids_with_the_same_arguments_as_the_code() {
        let en = ids_and_arguments(Language::En.catalogue());
        let es = ids_and_arguments(Language::Es.catalogue());
        assert_eq!(en, es, "en.ftl and es.ftl differ");
        let code: std::collections::BTreeMap<String, Vec<String>> = IDS
            .iter()
            .map(|(field, args)| {
                let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
                args.sort();
                (field.replace('_', "-"), args)
            })
            .collect();
        assert_eq!(code.len(), IDS.len(), "an id declared twice");
        assert_eq!(en, code, "catalogue and code differ");
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let t = datetime!(2026-12-02 09:00 UTC);
        assert_eq!(messages(Language::En).date(t), "December 2, 2026");
        assert_eq!(messages(Language::Es).date(t), "2 de diciembre de 2026");
        assert_eq!(messages(Language::En).month_label(2024, 3), "March 2024");
        assert_eq!(messages(Language::Es).month_label(2024, 3), "marzo de 2024");
    }
}
