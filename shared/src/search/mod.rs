//! Site search: the analyzer (`text`), the index's bytes (`index`), what a post or page
//! contributes (`extract`) and queries (`query`). The feeds function writes the index to
//! `search/index.bin` when posts or pages change; the site function reads it once per
//! warm instance and answers `/search?q=` from memory.

pub mod extract;
pub mod index;
pub mod query;
pub mod text;

pub use index::{DocKind, DocView, Document, DocumentText, IndexBuilder, SearchIndex};
pub use query::{Hit, QueryError, SearchQuery};
pub use text::{Analyzer, Stemming};

use crate::ports::ContentKey;

/// Where the index lives in the content bucket (never served as it is).
pub const INDEX_KEY: &str = "search/index.bin";

pub fn index_key() -> ContentKey {
    ContentKey::generated(INDEX_KEY).expect("a plain key")
}
