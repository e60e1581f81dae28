//! The confirmation mail: confirm link, one-click unsubscribe headers (RFC 8058).

use crate::i18n::Messages;
use crate::ports::Mail;

/// The mail, in `t`'s language.
pub fn confirmation(
    to: &str,
    site_title: &str,
    confirm_url: &str,
    unsubscribe_url: &str,
    valid_hours: i64,
    t: &Messages,
) -> Mail {
    let text = format!(
        "{greeting}\r\n\r\n{asked}\r\n{open}\r\n\r\n{confirm_url}\r\n\r\n{ignore}\r\n\r\n-- \r\n{unsubscribe}\r\n",
        greeting = t.confirm_mail_greeting,
        asked = t.confirm_mail_asked(site_title),
        open = t.confirm_mail_open(valid_hours),
        ignore = t.confirm_mail_ignore,
        unsubscribe = t.mail_unsubscribe_line(unsubscribe_url),
    );
    Mail {
        to: to.to_owned(),
        subject: t.confirm_mail_subject(site_title),
        text,
        html: None,
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe_url}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    }
}
