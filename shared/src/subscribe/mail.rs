//! The confirmation mail: confirm link, one-click unsubscribe headers (RFC 8058).

use crate::ports::Mail;

pub fn confirmation(
    to: &str,
    site_title: &str,
    confirm_url: &str,
    unsubscribe_url: &str,
    valid_hours: i64,
) -> Mail {
    let text = format!(
        "Hello,\r\n\r\nSomeone (hopefully you) asked to receive new posts from {site_title} at this address.\r\n\
         To confirm, open this link within {valid_hours} hours and press the Confirm button:\r\n\r\n\
         {confirm_url}\r\n\r\n\
         If you did not ask for this, ignore this message: nothing more will be sent unless you confirm.\r\n\r\n\
         -- \r\nUnsubscribe: {unsubscribe_url}\r\n"
    );
    Mail {
        to: to.to_owned(),
        subject: format!("Confirm your subscription to {site_title}"),
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
