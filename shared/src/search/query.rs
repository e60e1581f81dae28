//! A visitor's query: bounded, analyzed like the index, and answered with ranked hits
//! (every term must match; title hits above body hits; newest first on a tie).

use super::index::SearchIndex;
use super::text::Analyzer;

/// `q` longer than this (bytes, as sent) is refused.
pub const MAX_QUERY_BYTES: usize = 200;
/// Words in `q` (stop words included) beyond this are refused.
pub const MAX_QUERY_WORDS: usize = 12;

/// Why a query is refused (400), in the words the search page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Your search is too long. Please use at most {MAX_QUERY_BYTES} characters.")]
    TooLong,
    #[error("Your search has too many words. Please use at most {MAX_QUERY_WORDS}.")]
    TooManyWords,
}

/// A query that may be run: its text as typed (trimmed) and its distinct terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    pub terms: Vec<String>,
}

impl SearchQuery {
    pub fn parse(raw: &str, analyzer: &Analyzer) -> Result<SearchQuery, QueryError> {
        if raw.len() > MAX_QUERY_BYTES {
            return Err(QueryError::TooLong);
        }
        let text = raw.trim();
        if analyzer.word_count(text) > MAX_QUERY_WORDS {
            return Err(QueryError::TooManyWords);
        }
        let mut terms: Vec<String> = Vec::new();
        analyzer.terms(text, |t| {
            if !terms.iter().any(|have| have == t) {
                terms.push(t.to_owned());
            }
        });
        Ok(SearchQuery {
            text: text.to_owned(),
            terms,
        })
    }
}

/// A matching document and its rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub doc: u32,
    /// The sum of each term's weight in the document.
    pub score: u32,
}

impl SearchIndex {
    /// Every document holding all of `query`'s terms, best first. A query with no terms
    /// (only stop words) matches nothing.
    pub fn search(&self, query: &SearchQuery) -> Vec<Hit> {
        let mut lists = Vec::with_capacity(query.terms.len());
        for term in &query.terms {
            match self.find(term) {
                Some(tid) => lists.push(tid as usize),
                None => return Vec::new(),
            }
        }
        let Some(&first) = lists.first() else {
            return Vec::new();
        };
        let mut hits: Vec<Hit> = self
            .postings_of(first)
            .map(|(doc, w)| Hit {
                doc,
                score: u32::from(w),
            })
            .collect();
        for &tid in &lists[1..] {
            if hits.is_empty() {
                break;
            }
            hits = intersect(&hits, self.postings_of(tid));
        }
        hits.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }
}

/// The hits also in `postings` (both ascending by document), their weights added.
fn intersect(hits: &[Hit], postings: impl Iterator<Item = (u32, u8)>) -> Vec<Hit> {
    let mut out = Vec::with_capacity(hits.len());
    let mut hits = hits.iter().peekable();
    for (doc, weight) in postings {
        while hits.next_if(|h| h.doc < doc).is_some() {}
        match hits.peek() {
            Some(h) if h.doc == doc => {
                out.push(Hit {
                    doc,
                    score: h.score + u32::from(weight),
                });
                hits.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::index::{DocKind, Document, DocumentText, IndexBuilder};
    use crate::search::text::Stemming;

    fn add(b: &mut IndexBuilder, slug: &str, text: DocumentText) {
        b.add(
            &Document {
                kind: DocKind::Post,
                slug: slug.into(),
                etag: String::new(),
                title: text.title.clone(),
                summary: text.summary.clone(),
                date: None,
            },
            &text,
        );
    }

    /// Newest first: "body-new" (0), "title" (1), "heading" (2), "body-old" (3).
    fn index() -> SearchIndex {
        let mut b = IndexBuilder::new(Stemming::English);
        add(
            &mut b,
            "body-new",
            DocumentText {
                title: "Sleep better".into(),
                body: "A knot in the neck. Stretch the muscle.".into(),
                ..DocumentText::default()
            },
        );
        add(
            &mut b,
            "title",
            DocumentText {
                title: "What are muscle knots?".into(),
                body: "They hurt.".into(),
                ..DocumentText::default()
            },
        );
        add(
            &mut b,
            "heading",
            DocumentText {
                title: "Desk work".into(),
                headings: vec!["Knots from sitting".into()],
                body: "Muscle tension.".into(),
                ..DocumentText::default()
            },
        );
        add(
            &mut b,
            "body-old",
            DocumentText {
                title: "Old news".into(),
                body: "muscle knot knots knotted".into(),
                ..DocumentText::default()
            },
        );
        SearchIndex::parse(b.finish()).unwrap()
    }

    fn slugs(index: &SearchIndex, q: &str) -> Vec<String> {
        let query = SearchQuery::parse(q, &Analyzer::new(index.stemming())).unwrap();
        index
            .search(&query)
            .iter()
            .map(|h| index.doc(h.doc).unwrap().slug.to_owned())
            .collect()
    }

    #[test]
    fn title_hits_rank_above_headings_above_body_and_ties_go_newest_first() {
        let index = index();
        assert_eq!(
            slugs(&index, "knots"),
            ["title", "heading", "body-old", "body-new"]
        );
        // A tie (one body mention each) goes to the newest.
        assert_eq!(
            slugs(&index, "muscle"),
            ["title", "body-new", "heading", "body-old"]
        );
        // Singular or plural, any case: the same stem.
        assert_eq!(slugs(&index, "KNOT"), slugs(&index, "knots"));
    }

    #[test]
    fn every_term_must_match() {
        let index = index();
        assert_eq!(
            slugs(&index, "muscle knots"),
            ["title", "heading", "body-old", "body-new"]
        );
        assert_eq!(slugs(&index, "knots neck"), ["body-new"]);
        assert!(slugs(&index, "knots unicorn").is_empty());
        assert!(slugs(&index, "the of and").is_empty(), "stop words only");
        assert!(slugs(&index, "").is_empty());
    }

    #[test]
    fn oversized_queries_are_refused() {
        let analyzer = Analyzer::new(Stemming::English);
        assert_eq!(
            SearchQuery::parse(&"k".repeat(MAX_QUERY_BYTES + 1), &analyzer),
            Err(QueryError::TooLong)
        );
        // Bytes, not characters: 101 two-byte letters are 202 bytes.
        assert_eq!(
            SearchQuery::parse(&"é".repeat(101), &analyzer),
            Err(QueryError::TooLong)
        );
        let words = vec!["knot"; MAX_QUERY_WORDS + 1].join(" ");
        assert_eq!(
            SearchQuery::parse(&words, &analyzer),
            Err(QueryError::TooManyWords)
        );
        let ok = SearchQuery::parse(&["knot"; MAX_QUERY_WORDS].join(" "), &analyzer).unwrap();
        assert_eq!(ok.terms, ["knot"], "repeats count once");
        assert_eq!(
            SearchQuery::parse("  <b>knots</b>  ", &analyzer)
                .unwrap()
                .text,
            "<b>knots</b>"
        );
    }
}
