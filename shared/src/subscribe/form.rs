//! Reading what a visitor or a script sent: urlencoded forms, JSON bodies, query strings.

use super::error::SubscribeError;
use crate::http::{Body, Request};

/// Bodies larger than this are not a subscribe form.
const MAX_BODY: usize = 16 * 1024;

/// How the caller wants its answer: a browser form gets pages and redirects, a script
/// sending JSON gets JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Form,
    Json,
}

impl Format {
    pub fn of(req: &Request) -> Format {
        let json = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
            });
        if json {
            Format::Json
        } else {
            Format::Form
        }
    }
}

/// Name/value pairs from a body or a query string; the first value of a name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `application/x-www-form-urlencoded` (also the query string's format).
    pub fn urlencoded(input: &str) -> Fields {
        Fields(
            input
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode_component(name), decode_component(value))
                })
                .collect(),
        )
    }

    pub fn query(req: &Request) -> Fields {
        Fields::urlencoded(req.uri().query().unwrap_or(""))
    }

    /// The request body as fields, read as its content type says.
    pub fn body(req: &Request, format: Format) -> Result<Fields, SubscribeError> {
        let bytes: &[u8] = match req.body() {
            Body::Empty => &[],
            Body::Text(t) => t.as_bytes(),
            Body::Binary(b) => b,
            _ => &[],
        };
        if bytes.len() > MAX_BODY {
            return Err(SubscribeError::BadRequest);
        }
        match format {
            Format::Form => {
                let content_type = req
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("application/x-www-form-urlencoded");
                // Multipart would need a parser for a form that never sends it.
                if content_type.to_ascii_lowercase().starts_with("multipart/") {
                    return Err(SubscribeError::BadRequest);
                }
                let text = std::str::from_utf8(bytes).map_err(|_| SubscribeError::BadRequest)?;
                Ok(Fields::urlencoded(text))
            }
            Format::Json if bytes.is_empty() => Ok(Fields::default()),
            Format::Json => {
                let value: serde_json::Value =
                    serde_json::from_slice(bytes).map_err(|_| SubscribeError::BadRequest)?;
                let object = value.as_object().ok_or(SubscribeError::BadRequest)?;
                Ok(Fields(
                    object
                        .iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                        .collect(),
                ))
            }
        }
    }
}

fn decode_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The page a signup came from, kept as consent evidence and used as a link back:
/// a local absolute path only, so it can never point to another site.
pub fn source_page(raw: Option<&str>) -> String {
    // A page's path as its links spell it (`/posts/c%C3%B3mo-dormir`); a raw UTF-8 one
    // (from a script) is percent-encoded first, so it is kept, never turned into `/`.
    let encoded =
        percent_encoding::utf8_percent_encode(raw.unwrap_or("").trim(), percent_encoding::CONTROLS)
            .to_string();
    let raw = encoded.as_str();
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= 512
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'"' && b != b'<' && b != b'>');
    if ok {
        raw.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_forms_decode_plus_and_percent() {
        let f =
            Fields::urlencoded("email=Ann%2BNews%40Example.com&source=%2Fposts%2Fa&website=&x=a+b");
        assert_eq!(f.get("email"), Some("Ann+News@Example.com"));
        assert_eq!(f.get("source"), Some("/posts/a"));
        assert_eq!(f.get("website"), Some(""));
        assert_eq!(f.get("x"), Some("a b"));
        assert_eq!(f.get("missing"), None);
    }

    #[test]
    fn source_pages_stay_on_this_site() {
        assert_eq!(
            source_page(Some("/posts/what-are-muscle-knots")),
            "/posts/what-are-muscle-knots"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/a\\b",
            "posts",
            "/a b",
            "/\"><script>",
        ] {
            assert_eq!(source_page(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(source_page(None), "/");
        assert_eq!(
            source_page(Some("/posts/c%C3%B3mo-dormir")),
            "/posts/c%C3%B3mo-dormir"
        );
        assert_eq!(
            source_page(Some("/posts/cómo-dormir")),
            "/posts/c%C3%B3mo-dormir"
        );
        assert_eq!(source_page(Some("/a\nb")), "/a%0Ab");
    }
}
