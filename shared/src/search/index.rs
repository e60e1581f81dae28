//! The search index's bytes: written by `IndexBuilder` (the feeds function), read in
//! place by `SearchIndex` (the site function), which keeps only the bytes and a few
//! offsets: a 10,000-post index costs its size in memory and nothing to decode.
//!
//! Layout (integers little-endian; `varint` is LEB128):
//!
//! ```text
//! "LPSI" | version u8 | stemming u8 | 0u16
//! documents u32 | terms u32 | docs_len u32 | terms_len u32 | postings_len u32
//! doc_offsets      [u32; documents + 1]   into the docs blob
//! term_offsets     [u32; terms + 1]       into the terms blob (terms sorted by bytes)
//! posting_offsets  [u32; terms + 1]       into the postings blob
//! docs blob:     per document: kind u8 | date i64 (i64::MIN: none) |
//!                varint-prefixed slug, etag, title, summary
//! terms blob:    the terms' UTF-8, back to back
//! postings blob: per term, per document holding it (ascending):
//!                varint (document − previous document) | weight u8
//! ```
//!
//! A term's `weight` says where it occurs: bit 6 title, 5 tags, 4 headings, 3 summary,
//! bits 0–2 how often in the body (0, 1, 2–3, 4–7, … 64+). As a number it ranks: any
//! title hit (64+) outweighs every other field together (at most 63).
//!
//! Why not `fst`: the dictionary is a small share of the bytes (see BENCHMARKS.md,
//! search), a binary search over it is 16 comparisons at 50,000 terms, and we need no
//! fuzzy or prefix automaton; the postings and stored fields are most of the index.

use super::text::{Analyzer, Stemming};
use std::collections::HashMap;
use time::OffsetDateTime;

const MAGIC: &[u8; 4] = b"LPSI";
/// Bumped whenever the layout changes: an index of another version is rebuilt.
pub const VERSION: u8 = 1;
const HEADER: usize = 8 + 5 * 4;

pub const TITLE: u8 = 0x40;
pub const TAGS: u8 = 0x20;
pub const HEADINGS: u8 = 0x10;
pub const SUMMARY: u8 = 0x08;
const BODY_MASK: u8 = 0x07;

/// What a document is: a post (`/posts/<slug>`) or a page (`/<slug>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Post,
    Page,
}

/// A document's stored fields: what a result shows, and the version it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocKind,
    pub slug: String,
    /// The ETag of the object the terms came from, so the next build can reuse them.
    pub etag: String,
    pub title: String,
    pub summary: String,
    pub date: Option<OffsetDateTime>,
}

/// The searchable text of a document, by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentText {
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub headings: Vec<String>,
    pub body: String,
}

/// The body weight bits for `count` occurrences.
fn body_bucket(count: u32) -> u8 {
    match count {
        0 => 0,
        n => (32 - n.leading_zeros()).min(u32::from(BODY_MASK)) as u8,
    }
}

/// Builds an index document by document, in rank order (the first added wins ties).
pub struct IndexBuilder {
    analyzer: Analyzer,
    docs: Vec<u8>,
    doc_offsets: Vec<u32>,
    term_ids: HashMap<Box<str>, u32>,
    /// Per term id: its encoded postings, and the last document in them.
    postings: Vec<(Vec<u8>, u32)>,
}

impl IndexBuilder {
    pub fn new(stemming: Stemming) -> IndexBuilder {
        IndexBuilder {
            analyzer: Analyzer::new(stemming),
            docs: Vec::new(),
            doc_offsets: vec![0],
            term_ids: HashMap::new(),
            postings: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.doc_offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Analyzes `text` and adds the document with its terms.
    pub fn add(&mut self, doc: &Document, text: &DocumentText) {
        let mut weights: HashMap<String, (u8, u32)> = HashMap::new();
        let mut field = |text: &str, bit: u8| {
            self.analyzer.terms(text, |t| {
                let entry = weights.entry(t.to_owned()).or_default();
                if bit == 0 {
                    entry.1 += 1;
                } else {
                    entry.0 |= bit;
                }
            });
        };
        field(&text.title, TITLE);
        field(&text.summary, SUMMARY);
        for tag in &text.tags {
            field(tag, TAGS);
        }
        for heading in &text.headings {
            field(heading, HEADINGS);
        }
        field(&text.body, 0);
        let mut terms: Vec<(String, u8)> = weights
            .into_iter()
            .map(|(t, (bits, count))| (t, bits | body_bucket(count)))
            .collect();
        // Term ids in first-seen order would depend on the hash map's: keep builds
        // byte-for-byte repeatable (an unchanged site writes nothing).
        terms.sort_unstable();
        self.add_weighted(doc, terms.iter().map(|(t, w)| (t.as_str(), *w)));
    }

    /// Adds a document whose terms and weights are known (reused from the last index).
    pub fn add_weighted<'t>(
        &mut self,
        doc: &Document,
        terms: impl IntoIterator<Item = (&'t str, u8)>,
    ) {
        let id = self.len() as u32;
        self.docs.push(match doc.kind {
            DocKind::Post => 0,
            DocKind::Page => 1,
        });
        let date = doc.date.map_or(i64::MIN, OffsetDateTime::unix_timestamp);
        self.docs.extend_from_slice(&date.to_le_bytes());
        for s in [&doc.slug, &doc.etag, &doc.title, &doc.summary] {
            put_varint(&mut self.docs, s.len() as u32);
            self.docs.extend_from_slice(s.as_bytes());
        }
        self.doc_offsets.push(self.docs.len() as u32);
        for (term, weight) in terms {
            if weight == 0 {
                continue;
            }
            let next = self.postings.len() as u32;
            let tid = *self.term_ids.entry(term.into()).or_insert(next);
            if tid == next {
                self.postings.push((Vec::new(), 0));
            }
            let (bytes, last) = &mut self.postings[tid as usize];
            // The first posting of a term is stored as its document id (delta from 0).
            put_varint(bytes, id - if bytes.is_empty() { 0 } else { *last });
            bytes.push(weight);
            *last = id;
        }
    }

    /// The index's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut terms: Vec<(Box<str>, u32)> = self.term_ids.into_iter().collect();
        terms.sort_unstable();
        let documents = self.doc_offsets.len() as u32 - 1;
        let terms_len: usize = terms.iter().map(|(t, _)| t.len()).sum();
        let postings_len: usize = self.postings.iter().map(|(p, _)| p.len()).sum();
        let tables = 4 * (self.doc_offsets.len() + 2 * (terms.len() + 1));
        let mut out =
            Vec::with_capacity(HEADER + tables + self.docs.len() + terms_len + postings_len);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.analyzer.stemming().code());
        out.extend_from_slice(&[0, 0]);
        for n in [
            documents,
            terms.len() as u32,
            self.docs.len() as u32,
            terms_len as u32,
            postings_len as u32,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for offset in &self.doc_offsets {
            out.extend_from_slice(&offset.to_le_bytes());
        }
        let mut at = 0u32;
        out.extend_from_slice(&at.to_le_bytes());
        for (term, _) in &terms {
            at += term.len() as u32;
            out.extend_from_slice(&at.to_le_bytes());
        }
        let mut at = 0u32;
        out.extend_from_slice(&at.to_le_bytes());
        for (_, tid) in &terms {
            at += self.postings[*tid as usize].0.len() as u32;
            out.extend_from_slice(&at.to_le_bytes());
        }
        out.extend_from_slice(&self.docs);
        for (term, _) in &terms {
            out.extend_from_slice(term.as_bytes());
        }
        for (_, tid) in &terms {
            out.extend_from_slice(&self.postings[*tid as usize].0);
        }
        out
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint at `*at`, moving past it; `None` past the end or when over-long.
fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let mut n = 0u32;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        n |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// Why stored bytes are not a usable index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("search index: {0}")]
pub struct IndexError(&'static str);

/// Where an index's bytes go (the benchmark's breakdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub documents: usize,
    pub dictionary: usize,
    pub postings: usize,
}

/// A document as a result shows it, borrowed from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocView<'a> {
    pub kind: DocKind,
    pub slug: &'a str,
    pub etag: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    /// Unix seconds.
    pub date: Option<i64>,
}

/// An index, read in place. `parse` checks every offset, string and posting once, so
/// reads after it cannot fail (and never panic on any bytes).
pub struct SearchIndex {
    bytes: Vec<u8>,
    stemming: Stemming,
    documents: usize,
    terms: usize,
    doc_offsets: usize,
    term_offsets: usize,
    posting_offsets: usize,
    docs: usize,
    term_blob: usize,
    postings: usize,
}

impl SearchIndex {
    /// An index with no documents (none stored yet).
    pub fn empty(stemming: Stemming) -> SearchIndex {
        SearchIndex::parse(IndexBuilder::new(stemming).finish()).expect("an empty index parses")
    }

    pub fn parse(bytes: Vec<u8>) -> Result<SearchIndex, IndexError> {
        let bad = IndexError;
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(bad("not an index"));
        }
        if bytes[4] != VERSION {
            return Err(bad("another version"));
        }
        let stemming = Stemming::from_code(bytes[5]).ok_or(bad("unknown stemming"))?;
        let word = |i: usize| read_u32(&bytes, 8 + 4 * i).unwrap_or(0) as usize;
        let (documents, terms) = (word(0), word(1));
        let (docs_len, terms_len, postings_len) = (word(2), word(3), word(4));
        if terms >= 1 << 24 {
            return Err(bad("too many terms"));
        }
        let doc_offsets = HEADER;
        let term_offsets = doc_offsets + 4 * (documents + 1);
        let posting_offsets = term_offsets + 4 * (terms + 1);
        let docs = posting_offsets + 4 * (terms + 1);
        let term_blob = docs + docs_len;
        let postings = term_blob + terms_len;
        if postings + postings_len != bytes.len() {
            return Err(bad("sections do not add up"));
        }
        let index = SearchIndex {
            bytes,
            stemming,
            documents,
            terms,
            doc_offsets,
            term_offsets,
            posting_offsets,
            docs,
            term_blob,
            postings,
        };
        index.check(docs_len, terms_len, postings_len)?;
        Ok(index)
    }

    /// Every table ascends within its blob, every string is UTF-8, terms are sorted and
    /// each posting names a document in order.
    fn check(
        &self,
        docs_len: usize,
        terms_len: usize,
        postings_len: usize,
    ) -> Result<(), IndexError> {
        let bad = IndexError;
        let ascending = |table: usize, n: usize, len: usize| {
            let mut last = 0;
            for i in 0..=n {
                let at = read_u32(&self.bytes, table + 4 * i).unwrap_or(u32::MAX) as usize;
                if at < last || at > len || (i == 0 && at != 0) || (i == n && at != len) {
                    return false;
                }
                last = at;
            }
            true
        };
        if !ascending(self.doc_offsets, self.documents, docs_len)
            || !ascending(self.term_offsets, self.terms, terms_len)
            || !ascending(self.posting_offsets, self.terms, postings_len)
        {
            return Err(bad("offsets out of order"));
        }
        for id in 0..self.documents {
            let (from, to) = self.span(self.doc_offsets, self.docs, id);
            decode_doc(&self.bytes[from..to]).ok_or(bad("bad document"))?;
        }
        let blob = &self.bytes[self.term_blob..self.postings];
        std::str::from_utf8(blob).map_err(|_| bad("terms are not UTF-8"))?;
        let mut previous: Option<&[u8]> = None;
        for tid in 0..self.terms {
            let (from, to) = self.span(self.term_offsets, self.term_blob, tid);
            let term = &self.bytes[from..to];
            if term.is_empty() || std::str::from_utf8(term).is_err() || previous >= Some(term) {
                return Err(bad("terms unsorted"));
            }
            previous = Some(term);
            let mut postings = self.postings_of(tid);
            let mut any = false;
            for (doc, _) in postings.by_ref() {
                any = true;
                if doc as usize >= self.documents {
                    return Err(bad("posting past the documents"));
                }
            }
            if !any || postings.broken {
                return Err(bad("bad postings"));
            }
        }
        Ok(())
    }

    /// Byte range of entry `i` of an offsets table, absolute.
    fn span(&self, table: usize, blob: usize, i: usize) -> (usize, usize) {
        let at = |i: usize| read_u32(&self.bytes, table + 4 * i).unwrap_or(0) as usize;
        (blob + at(i), blob + at(i + 1))
    }

    pub fn stemming(&self) -> Stemming {
        self.stemming
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.documents
    }

    pub fn is_empty(&self) -> bool {
        self.documents == 0
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.terms
    }

    /// Bytes of each part, tables included.
    pub fn sizes(&self) -> Sizes {
        Sizes {
            documents: self.term_blob - self.docs + (self.term_offsets - self.doc_offsets),
            dictionary: self.postings - self.term_blob + (self.posting_offsets - self.term_offsets),
            postings: self.bytes.len() - self.postings + (self.docs - self.posting_offsets),
        }
    }

    pub fn doc(&self, id: u32) -> Option<DocView<'_>> {
        if id as usize >= self.documents {
            return None;
        }
        let (from, to) = self.span(self.doc_offsets, self.docs, id as usize);
        decode_doc(&self.bytes[from..to])
    }

    pub fn term(&self, tid: u32) -> &str {
        let (from, to) = self.span(self.term_offsets, self.term_blob, tid as usize);
        std::str::from_utf8(&self.bytes[from..to]).unwrap_or("")
    }

    /// The id of `term`, by binary search over the sorted dictionary.
    pub fn find(&self, term: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.terms);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.term(mid as u32).as_bytes().cmp(term.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// (document, weight) for each document holding term `tid`, ascending.
    pub fn postings_of(&self, tid: usize) -> Postings<'_> {
        let (from, to) = self.span(self.posting_offsets, self.postings, tid);
        Postings::new(&self.bytes[from..to])
    }

    /// Each document's terms with their weights (`tid << 8 | weight`), for a build that
    /// reuses unchanged documents: 4 bytes a posting.
    pub fn forward(&self) -> Vec<Vec<u32>> {
        let mut docs = vec![Vec::new(); self.documents];
        for tid in 0..self.terms {
            for (doc, weight) in self.postings_of(tid) {
                docs[doc as usize].push(((tid as u32) << 8) | u32::from(weight));
            }
        }
        docs
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn decode_doc(bytes: &[u8]) -> Option<DocView<'_>> {
    let kind = match bytes.first()? {
        0 => DocKind::Post,
        1 => DocKind::Page,
        _ => return None,
    };
    let date = i64::from_le_bytes(bytes.get(1..9)?.try_into().ok()?);
    let mut at = 9;
    let mut next = || {
        let len = get_varint(bytes, &mut at)? as usize;
        let s = std::str::from_utf8(bytes.get(at..at.checked_add(len)?)?).ok()?;
        at += len;
        Some(s)
    };
    let (slug, etag, title, summary) = (next()?, next()?, next()?, next()?);
    if at != bytes.len() {
        return None;
    }
    Some(DocView {
        kind,
        slug,
        etag,
        title,
        summary,
        date: (date != i64::MIN).then_some(date),
    })
}

/// One term's postings, decoded as they are read.
pub struct Postings<'a> {
    bytes: &'a [u8],
    at: usize,
    doc: u32,
    first: bool,
    broken: bool,
}

impl<'a> Postings<'a> {
    fn new(bytes: &'a [u8]) -> Postings<'a> {
        Postings {
            bytes,
            at: 0,
            doc: 0,
            first: true,
            broken: false,
        }
    }
}

impl Iterator for Postings<'_> {
    type Item = (u32, u8);

    fn next(&mut self) -> Option<(u32, u8)> {
        if self.at >= self.bytes.len() || self.broken {
            return None;
        }
        let step = get_varint(self.bytes, &mut self.at);
        let weight = self.bytes.get(self.at).copied();
        self.at += 1;
        let doc = step.and_then(|s| match self.first {
            true => Some(s),
            false if s > 0 => self.doc.checked_add(s),
            false => None,
        });
        match (doc, weight) {
            (Some(doc), Some(weight)) if weight != 0 => {
                self.doc = doc;
                self.first = false;
                Some((doc, weight))
            }
            _ => {
                self.broken = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn doc(slug: &str, title: &str) -> Document {
        Document {
            kind: DocKind::Post,
            slug: slug.into(),
            etag: format!("\"{slug}-v1\""),
            title: title.into(),
            summary: format!("About {title}"),
            date: Some(datetime!(2024-03-12 09:00 UTC)),
        }
    }

    fn text(title: &str, body: &str) -> DocumentText {
        DocumentText {
            title: title.into(),
            body: body.into(),
            ..DocumentText::default()
        }
    }

    fn sample() -> SearchIndex {
        let mut b = IndexBuilder::new(Stemming::English);
        b.add(
            &doc("knots", "Muscle knots"),
            &text("Muscle knots", "Knots hurt. A knot is tight."),
        );
        b.add(
            &doc("sleep", "Better sleep"),
            &text("Better sleep", "Sleep and muscle"),
        );
        SearchIndex::parse(b.finish()).unwrap()
    }

    #[test]
    fn body_counts_fall_in_log_buckets_below_every_field() {
        assert_eq!(
            [0, 1, 2, 3, 4, 7, 8, 63, 64, 10_000].map(body_bucket),
            [0, 1, 2, 2, 3, 3, 4, 6, 7, 7]
        );
        const { assert!(TITLE > TAGS | HEADINGS | SUMMARY | BODY_MASK) };
    }

    #[test]
    fn an_index_round_trips_documents_terms_and_postings() {
        let index = sample();
        assert_eq!(index.len(), 2);
        assert_eq!(index.stemming(), Stemming::English);
        let knots = index.doc(0).unwrap();
        assert_eq!((knots.slug, knots.title), ("knots", "Muscle knots"));
        assert_eq!(knots.etag, "\"knots-v1\"");
        assert_eq!(
            knots.date,
            Some(datetime!(2024-03-12 09:00 UTC).unix_timestamp())
        );
        assert!(index.doc(2).is_none());
        let knot = index.find("knot").unwrap();
        let postings: Vec<_> = index.postings_of(knot as usize).collect();
        // Title, and twice in the body ("Knots", "knot").
        assert_eq!(postings, [(0, TITLE | 2)]);
        let muscle = index.find("muscl").unwrap();
        let postings: Vec<_> = index.postings_of(muscle as usize).collect();
        assert_eq!(postings, [(0, TITLE), (1, 1)]);
        assert_eq!(index.find("absent"), None);
        let forward = index.forward();
        assert_eq!(forward[1].len(), 3, "sleep, better, muscle: {forward:?}");
    }

    #[test]
    fn rebuilding_from_the_forward_lists_gives_the_same_bytes() {
        let index = sample();
        let forward = index.forward();
        let mut again = IndexBuilder::new(Stemming::English);
        for (id, terms) in forward.iter().enumerate() {
            let d = index.doc(id as u32).unwrap();
            let stored = Document {
                kind: d.kind,
                slug: d.slug.into(),
                etag: d.etag.into(),
                title: d.title.into(),
                summary: d.summary.into(),
                date: d
                    .date
                    .map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap()),
            };
            again.add_weighted(
                &stored,
                terms.iter().map(|p| (index.term(p >> 8), (p & 0xff) as u8)),
            );
        }
        assert_eq!(again.finish(), index.as_bytes());
    }

    #[test]
    fn damaged_bytes_are_refused_never_a_panic() {
        let good = sample().as_bytes().to_vec();
        assert!(SearchIndex::parse(Vec::new()).is_err());
        assert!(SearchIndex::parse(good[..good.len() - 1].to_vec()).is_err());
        let mut other_version = good.clone();
        other_version[4] = VERSION + 1;
        assert!(SearchIndex::parse(other_version).is_err());
        // Every single-byte change either still parses (a changed letter) or is refused;
        // reads of whatever parses stay in bounds.
        for at in 0..good.len() {
            for value in [0u8, 0x7f, 0xff] {
                let mut bytes = good.clone();
                bytes[at] = value;
                if let Ok(index) = SearchIndex::parse(bytes) {
                    for tid in 0..index.term_count() {
                        let _ = index.postings_of(tid).count();
                        let _ = index.find(index.term(tid as u32));
                    }
                    for id in 0..index.len() as u32 {
                        assert!(index.doc(id).is_some());
                    }
                }
            }
        }
        assert!(SearchIndex::empty(Stemming::Spanish).is_empty());
    }
}
