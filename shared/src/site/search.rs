//! `/search?q=&page=`: the query bounded and analyzed, run against the search index the
//! feeds function stores, and one page of ranked results in the site's layout.
//!
//! A warm instance keeps the index (its bytes, read in place) in a `SearchCache`: no
//! store call within the view cache's freshness window, then one conditional GET (304
//! keeps it; new bytes replace it). The results page itself is rendered per request
//! (queries are endless; the work is in memory) and is never indexed by crawlers.

use super::{render_sized, Site, SiteError};
use crate::domain::time_fmt::{human_date, rfc3339};
use crate::http::response::{self, CACHE_NONE, CACHE_PAGE, HTML};
use crate::http::{Body, Request, Response};
use crate::ports::Fetched;
use crate::render::chrome::SiteChrome;
use crate::render::pages::{SearchPage, SearchResultView};
use crate::search::{Analyzer, DocKind, QueryError, SearchIndex, SearchQuery};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The stored index as last read: `index` is `None` when its bytes were unusable (kept
/// by ETag, so a damaged object is not downloaded again on every search).
struct Loaded {
    etag: String,
    index: Option<Arc<SearchIndex>>,
    checked_at: Instant,
}

/// The search index of a warm instance.
pub struct SearchCache {
    window: Duration,
    entry: Mutex<Option<Loaded>>,
}

impl SearchCache {
    pub fn new(window: Duration) -> SearchCache {
        SearchCache {
            window,
            entry: Mutex::new(None),
        }
    }

    /// The index if checked within the window.
    fn fresh(&self) -> Option<Option<Arc<SearchIndex>>> {
        let entry = self.lock();
        entry
            .as_ref()
            .filter(|e| !self.window.is_zero() && e.checked_at.elapsed() < self.window)
            .map(|e| e.index.clone())
    }

    fn stale(&self) -> Option<(String, Option<Arc<SearchIndex>>)> {
        self.lock()
            .as_ref()
            .map(|e| (e.etag.clone(), e.index.clone()))
    }

    fn store(&self, loaded: Option<Loaded>) {
        *self.lock() = loaded;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Loaded>> {
        self.entry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A query string the search page cannot run: shown beside the field, with 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchInputError {
    Query(QueryError),
    Page,
}

impl SearchInputError {
    fn message(self, t: &crate::i18n::Messages) -> String {
        use crate::search::query::{MAX_QUERY_BYTES, MAX_QUERY_WORDS};
        match self {
            SearchInputError::Query(QueryError::TooLong) => t.search_too_long(MAX_QUERY_BYTES),
            SearchInputError::Query(QueryError::TooManyWords) => {
                t.search_too_many_words(MAX_QUERY_WORDS)
            }
            SearchInputError::Page => t.search_bad_page(super::routes::MAX_PAGE),
        }
    }
}

/// `q` and `page` as sent (the first of each).
struct SearchParams {
    q: String,
    page: Result<u32, SearchInputError>,
}

impl SearchParams {
    fn of(req: &Request) -> SearchParams {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
        let first = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let page = match first("page") {
            None => Ok(1),
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=super::routes::MAX_PAGE).contains(n))
                .ok_or(SearchInputError::Page),
        };
        SearchParams {
            q: first("q").cloned().unwrap_or_default(),
            page,
        }
    }
}

impl Site {
    /// The search page for `req`: 200 with results (or the form alone for no `q`), 400
    /// with the form and what is wrong, 404 past the last page of results.
    pub(super) async fn search(&self, req: &Request) -> Response<Body> {
        let params = SearchParams::of(req);
        let settings = match self.chrome().await {
            Ok(settings) => settings,
            Err(e) => return self.error_response(&e).await,
        };
        match self.search_page(&settings, &params).await {
            Ok(html) => response::build(
                200,
                &[
                    ("content-type", HTML),
                    ("cache-control", CACHE_PAGE),
                    ("x-robots-tag", "noindex"),
                ],
                Body::Text(html),
            ),
            Err(Refused::Input(e)) => {
                // What was typed, cut to the cap at a character boundary, shown back.
                let mut shown = params.q.as_str();
                let mut cut = shown.len().min(crate::search::query::MAX_QUERY_BYTES);
                while !shown.is_char_boundary(cut) {
                    cut -= 1;
                }
                shown = shown[..cut].trim();
                let mut page = SearchPage::new(&settings, shown);
                page.error = Some(e.message(settings.t));
                match render_sized(&page, 12 * 1024) {
                    Ok(html) => response::build(
                        400,
                        &[
                            ("content-type", HTML),
                            ("cache-control", CACHE_NONE),
                            ("x-robots-tag", "noindex"),
                        ],
                        Body::Text(html),
                    ),
                    Err(e) => self.error_response(&e).await,
                }
            }
            Err(Refused::Site(e)) => self.error_response(&e).await,
        }
    }

    async fn search_page(
        &self,
        settings: &SiteChrome,
        params: &SearchParams,
    ) -> Result<String, Refused> {
        let page_number = params.page.map_err(Refused::Input)?;
        let by_settings = Analyzer::for_language(&settings.language);
        let mut query = SearchQuery::parse(&params.q, &by_settings)
            .map_err(|e| Refused::Input(SearchInputError::Query(e)))?;
        let text = query.text.clone();
        let mut page = SearchPage::new(settings, &text);
        if text.is_empty() {
            return Ok(render_sized(&page, 12 * 1024)?);
        }
        page.searched = true;
        let Some(index) = self.search_index().await? else {
            page.not_ready = true;
            return Ok(render_sized(&page, 12 * 1024)?);
        };
        if index.stemming() != by_settings.stemming() {
            // `language` changed since the index was built: query as it was built.
            query = SearchQuery::parse(&params.q, &Analyzer::new(index.stemming()))
                .map_err(|e| Refused::Input(SearchInputError::Query(e)))?;
        }
        let hits = index.search(&query);
        let per_page = usize::from(settings.posts_per_page.max(1));
        let offset = (page_number as usize - 1) * per_page;
        if page_number > 1 && offset >= hits.len() {
            return Err(Refused::Site(SiteError::NotFound));
        }
        page.total = hits.len();
        page.page = page_number;
        page.results = hits
            .iter()
            .skip(offset)
            .take(per_page)
            .filter_map(|hit| result_view(&index, hit.doc, settings.t))
            .collect();
        page.newer = (page_number > 1).then(|| SearchPage::page_href(&text, page_number - 1));
        page.older =
            (offset + per_page < hits.len()).then(|| SearchPage::page_href(&text, page_number + 1));
        let hint = 8 * 1024 + page.results.len() * 512;
        Ok(render_sized(&page, hint)?)
    }

    /// The stored index, from memory while fresh, else revalidated by ETag. `None`: none
    /// is stored yet, or its bytes are unusable (logged).
    async fn search_index(&self) -> Result<Option<Arc<SearchIndex>>, SiteError> {
        if let Some(fresh) = self.search.fresh() {
            return Ok(fresh);
        }
        let stale = self.search.stale();
        let key = crate::search::index_key();
        let etag = stale.as_ref().map(|(etag, _)| etag.as_str());
        let loaded = match self.content.get(&key, etag).await? {
            Fetched::NotModified => {
                let (etag, index) = stale.expect("NotModified only answers a conditional read");
                Loaded {
                    etag,
                    index,
                    checked_at: Instant::now(),
                }
            }
            Fetched::Found(object) => Loaded {
                index: SearchIndex::parse(object.bytes)
                    .inspect_err(|e| tracing::error!(error = %e, "search index unusable"))
                    .ok()
                    .map(Arc::new),
                etag: object.etag,
                checked_at: Instant::now(),
            },
            Fetched::Missing => {
                tracing::warn!("no search index stored yet");
                self.search.store(None);
                return Ok(None);
            }
        };
        let index = loaded.index.clone();
        self.search.store(Some(loaded));
        Ok(index)
    }
}

/// Why a search page is not the results: the visitor's input (400, in the page) or the
/// site's (its error page).
enum Refused {
    Input(SearchInputError),
    Site(SiteError),
}

impl From<SiteError> for Refused {
    fn from(e: SiteError) -> Self {
        Refused::Site(e)
    }
}

/// A hit as the results list shows it.
fn result_view(
    index: &SearchIndex,
    doc: u32,
    t: &crate::i18n::Messages,
) -> Option<SearchResultView> {
    let doc = index.doc(doc)?;
    // The slug was a slug when indexed; checked again, so no other text becomes a link.
    let slug = crate::domain::Slug::parse(doc.slug).ok()?;
    let date = doc
        .date
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
    Some(SearchResultView {
        href: match doc.kind {
            DocKind::Post => super::routes::post_path(&slug),
            DocKind::Page => super::routes::page_path(&slug),
        },
        title: doc.title.to_owned(),
        summary: doc.summary.to_owned(),
        date: date.map(|d| (rfc3339(d), human_date(d, t))),
    })
}
