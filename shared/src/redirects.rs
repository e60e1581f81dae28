//! Redirects as data: one `redirects.toml` object of old path → new URL (the imported
//! and hand-edited `[redirects]`, and the `[aliases]` compiled from front matter), parsed
//! once, looked up in one hash probe, validated (no loops, chains or shadowed live URLs)
//! and cached per warm instance, revalidated by ETag as the settings are.

use crate::ports::{ContentKey, ContentStore, Fetched, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The content key of the redirects object (bucket, or local content folder).
pub const REDIRECTS_KEY: &str = "redirects.toml";

pub fn redirects_key() -> ContentKey {
    ContentKey::generated(REDIRECTS_KEY).expect("a plain name")
}

/// Old path (with its query, for forms like `/?p=4`) → where it now lives. Aliases
/// (from `aliases = [...]` in front matter) live in the same map, so the site still does
/// one lookup; they are only told apart to be written back under `[aliases]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redirects {
    map: HashMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    to: String,
    alias: bool,
}

/// A redirects file that cannot be read, or an entry that must not be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectProblem {
    pub from: String,
    pub message: String,
}

impl std::error::Error for RedirectProblem {}

impl fmt::Display for RedirectProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REDIRECTS_KEY}: `{}`: {}", self.from, self.message)
    }
}

/// The lookup form of a path and query: percent-escapes decoded, no trailing slash
/// (except `/` itself), `?query` kept as given. `/About/` and `/About` are one key.
pub fn normalize(path: &str, query: Option<&str>) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let trimmed = decoded.trim_end_matches('/');
    let mut key = if trimmed.is_empty() {
        "/".to_owned()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    };
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        key.push('?');
        key.push_str(q);
    }
    key
}

/// Splits `"/x/?p=4"` into its normalized key.
pub fn normalize_url_path(path_and_query: &str) -> String {
    match path_and_query.split_once('?') {
        Some((path, query)) => normalize(path, Some(query)),
        None => normalize(path_and_query, None),
    }
}

fn valid_target(to: &str) -> bool {
    (to.starts_with('/') && !to.starts_with("//"))
        || to.starts_with("https://")
        || to.starts_with("http://")
}

impl Redirects {
    pub fn new() -> Redirects {
        Redirects::default()
    }

    /// Reads `redirects.toml`: a `[redirects]` table of `"/old/" = "/new"`, and an
    /// `[aliases]` table of the same shape (kept in step with front matter).
    pub fn parse(text: &str) -> Result<Redirects, RedirectProblem> {
        let problem = |from: &str, message: String| RedirectProblem {
            from: from.to_owned(),
            message,
        };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            problem("", format!("not valid TOML: {}", e.message()))
        })?;
        let mut redirects = Redirects::new();
        for (key, value) in &table {
            if key != "redirects" && key != ALIASES {
                return Err(problem(
                    key,
                    "unknown table (known: redirects, aliases)".into(),
                ));
            }
            let Some(entries) = value.as_table() else {
                return Err(problem(
                    key,
                    "must be a table of \"/old\" = \"/new\"".into(),
                ));
            };
            for (from, to) in entries {
                let Some(to) = to.as_str() else {
                    return Err(problem(from, "the target must be a string".into()));
                };
                redirects
                    .insert_entry(from, to, key == ALIASES)
                    .map_err(|m| problem(from, m))?;
            }
        }
        Ok(redirects)
    }

    /// Adds one redirect; the old path is normalized. Refuses a target that is not a
    /// site path or an http(s) URL, and an old path that is not a path.
    pub fn insert(&mut self, from: &str, to: &str) -> Result<(), String> {
        self.insert_entry(from, to, false)
    }

    fn insert_entry(&mut self, from: &str, to: &str, alias: bool) -> Result<(), String> {
        if !from.starts_with('/') || from.starts_with("//") {
            return Err("the old address must be a path starting with one `/`".into());
        }
        if !valid_target(to) {
            return Err(format!(
                "target `{to}` must be a path on this site or an http(s) URL"
            ));
        }
        self.map.insert(
            normalize_url_path(from),
            Entry {
                to: to.to_owned(),
                alias,
            },
        );
        Ok(())
    }

    /// Makes `aliases` the aliases of `target` (`/posts/<slug>`, `/<page>`): the ones it
    /// had are dropped, the new ones added (taking over an imported entry of the same
    /// path). Whether anything changed.
    pub fn set_aliases(&mut self, target: &str, aliases: &[String]) -> Result<bool, String> {
        let mut next = self.clone();
        next.map.retain(|_, e| !(e.alias && e.to == target));
        for alias in aliases {
            next.insert_entry(alias, target, true)?;
        }
        let changed = next != *self;
        *self = next;
        Ok(changed)
    }

    /// The alias entries (old path → target), sorted.
    pub fn aliases(&self) -> BTreeMap<&str, &str> {
        self.map
            .iter()
            .filter(|(_, e)| e.alias)
            .map(|(k, e)| (k.as_str(), e.to.as_str()))
            .collect()
    }

    /// Drops every alias entry (before they are rebuilt from every post and page).
    pub fn clear_aliases(&mut self) {
        self.map.retain(|_, e| !e.alias);
    }

    /// Whether `from` (a path as written, with any query) has a redirect.
    pub fn contains(&self, from: &str) -> bool {
        self.map.contains_key(&normalize_url_path(from))
    }

    pub fn remove(&mut self, from: &str) -> Option<String> {
        self.map.remove(&normalize_url_path(from)).map(|e| e.to)
    }

    /// One hash lookup: where `path` (raw, as requested) with `query` now lives.
    pub fn target(&self, path: &str, query: Option<&str>) -> Option<&str> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(&normalize(path, query)).map(|e| e.to.as_str())
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every entry (aliases too), sorted by old path.
    pub fn entries(&self) -> BTreeMap<&str, &str> {
        self.map
            .iter()
            .map(|(k, e)| (k.as_str(), e.to.as_str()))
            .collect()
    }

    /// Points every redirect to `old` at `new` instead (a renamed post's old aliases).
    pub fn retarget(&mut self, old: &str, new: &str) {
        for e in self.map.values_mut() {
            if e.to == old && !e.alias {
                e.to = new.to_owned();
            }
        }
    }

    /// The file as written: sorted, so the same redirects are the same bytes.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# Old addresses answered with 301 before anything else (lambdapress import, rename).\n\
             # \"/old/path/\" = \"/new/path\"; `lambdapress check` refuses loops, chains and live URLs.\n\
             [redirects]\n",
        );
        let mut sorted: Vec<(&String, &Entry)> = self.map.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (from, e) in sorted.iter().filter(|(_, e)| !e.alias) {
            out.push_str(&format!("{} = {}\n", toml_quote(from), toml_quote(&e.to)));
        }
        if sorted.iter().any(|(_, e)| e.alias) {
            out.push_str(
                "\n# From `aliases = [...]` in front matter (rewritten when a post or page changes).\n\
                 [aliases]\n",
            );
            for (from, e) in sorted.iter().filter(|(_, e)| e.alias) {
                out.push_str(&format!("{} = {}\n", toml_quote(from), toml_quote(&e.to)));
            }
        }
        out
    }

    /// Problems that make an entry wrong to serve: it points at itself, at another old
    /// path (a chain, or a loop), or its old path is a live URL (`is_live` decides,
    /// given the normalized path without query).
    pub fn validate(&self, is_live: impl Fn(&str) -> bool) -> Vec<RedirectProblem> {
        let mut problems = Vec::new();
        for (from, to) in self.entries() {
            let local = to.starts_with('/').then(|| normalize_url_path(to));
            if local.as_deref() == Some(from) {
                problems.push(RedirectProblem {
                    from: from.into(),
                    message: "redirects to itself (a loop)".into(),
                });
                continue;
            }
            if let Some(next) = local
                .as_deref()
                .and_then(|t| self.map.get(t).map(|n| (t, n.to.as_str())))
            {
                let looped = normalize_url_path(next.1) == from;
                problems.push(RedirectProblem {
                    from: from.into(),
                    message: if looped {
                        format!("`{}` redirects back here (a loop)", next.0)
                    } else {
                        format!(
                            "`{}` is itself redirected to `{}` (a chain: point this at `{}`)",
                            next.0, next.1, next.1
                        )
                    },
                });
            }
            if !from.contains('?') && is_live(from) {
                problems.push(RedirectProblem {
                    from: from.into(),
                    message: "is a live address on this site; the redirect would hide it".into(),
                });
            }
        }
        problems
    }
}

const ALIASES: &str = "aliases";

/// Where a post or page lives (what its aliases redirect to), percent-encoded.
pub use crate::site::routes::{page_path, post_path};

/// What declares aliases: a post (they redirect to `/posts/<slug>`) or a page (`/<slug>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AliasOwner {
    Post(crate::domain::Slug),
    Page(crate::domain::Slug),
}

impl AliasOwner {
    /// Where its aliases redirect to.
    pub fn target(&self) -> String {
        match self {
            AliasOwner::Post(slug) => post_path(slug),
            AliasOwner::Page(slug) => page_path(slug),
        }
    }

    /// The aliases its object declares as stored now: none when it is gone, a draft, or
    /// does not parse (the indexer and `check` report that; its redirects go meanwhile).
    async fn declared(&self, content: &dyn ContentStore) -> Result<Vec<String>, StoreError> {
        let (slug, key) = match self {
            AliasOwner::Post(slug) => (slug, ContentKey::post(slug)),
            AliasOwner::Page(slug) => (slug, ContentKey::page(slug)),
        };
        let Fetched::Found(object) = content.get(&key, None).await? else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8_lossy(&object.bytes);
        Ok(match self {
            AliasOwner::Post(_) => crate::domain::Post::parse(slug.clone(), &text)
                .ok()
                .filter(|p| !p.front.draft)
                .map(|p| p.front.aliases),
            AliasOwner::Page(_) => crate::domain::Page::parse(slug.clone(), &text)
                .ok()
                .filter(|p| !p.draft)
                .map(|p| p.aliases),
        }
        .unwrap_or_default())
    }
}

/// Which aliases a sync brings in line: those of some posts and pages, or all of them.
enum Scope<'a> {
    Owners(&'a [AliasOwner]),
    Everything,
}

/// How many times a sync re-reads and retries after losing a race before it fails (and
/// the event that asked for it is retried by Lambda).
const LOST_RACES: u32 = 16;

/// Brings the `[aliases]` of `owners` in line with their front matter as stored now:
/// what an S3 event, the local watcher and the indexer call. One read of
/// `redirects.toml`, one read per owner, and a write only if something changed.
///
/// Safe with concurrent runs and crashes, because:
/// - the write is conditional on the ETag read (`If-Match`, or `If-None-Match: *` when
///   there was no file), so two events never both edit the same version: the loser
///   reads both again and redoes its change on top of the winner's. An owner's edit to
///   `[redirects]` uploaded meanwhile is never overwritten either.
/// - `redirects.toml` is read *before* the owners' objects: any write that succeeds was
///   computed from objects read after every earlier successful write, so an event that
///   read an older version of a post cannot land over one that read a newer one.
/// - the file is one PUT (the old bytes or the new, never half), and `[aliases]` is
///   derived data: a run that dies before writing leaves it as it was, and the retried
///   event, the hourly reconcile or `reindex` derives it again. The indexer syncs aliases
///   *before* it writes the post's index entry, so an entry that is current implies
///   aliases that are too (the reconcile compares ETags with the index).
pub async fn sync_aliases(
    content: &dyn ContentStore,
    owners: &[AliasOwner],
) -> Result<bool, StoreError> {
    if owners.is_empty() {
        return Ok(false);
    }
    Ok(update_aliases(content, Scope::Owners(owners)).await?.0)
}

/// Rewrites the whole `[aliases]` table from every published post's and page's front
/// matter (`lambdapress reindex`, the local site's start), with the same conditional
/// write as `sync_aliases`. Returns how many aliases there are.
pub async fn rebuild_aliases(content: &dyn ContentStore) -> Result<usize, StoreError> {
    Ok(update_aliases(content, Scope::Everything).await?.1)
}

/// The read, derive, conditional-write loop of `sync_aliases` and `rebuild_aliases`:
/// whether it wrote, and how many aliases the file now has.
async fn update_aliases(
    content: &dyn ContentStore,
    scope: Scope<'_>,
) -> Result<(bool, usize), StoreError> {
    for attempt in 0..LOST_RACES {
        let (existing, mut redirects) = match content.get(&redirects_key(), None).await? {
            Fetched::Found(object) => {
                match Redirects::parse(&String::from_utf8_lossy(&object.bytes)) {
                    Ok(parsed) => (Some(object), parsed),
                    // An owner's edit that does not parse is never replaced, and never holds
                    // up publishing: the site keeps its last good copy, `check` names it.
                    Err(e) => {
                        tracing::error!(error = %e, "aliases not synced: redirects.toml does not parse");
                        return Ok((false, 0));
                    }
                }
            }
            Fetched::Missing | Fetched::NotModified => (None, Redirects::new()),
        };
        let before = redirects.clone();
        let everything;
        let owners = match scope {
            Scope::Owners(owners) => owners,
            Scope::Everything => {
                redirects.clear_aliases();
                everything = every_owner(content).await?;
                &everything[..]
            }
        };
        for owner in owners {
            let declared = owner.declared(content).await?;
            // The parsers validate aliases; one refused here changes nothing.
            if let Err(e) = redirects.set_aliases(&owner.target(), &declared) {
                tracing::error!(owner = ?owner, error = %e, "aliases not applied");
            }
        }
        let n = redirects.aliases().len();
        // Compared as entries, not bytes: an owner's file is only rewritten (and its
        // comments and order normalized) when an alias really changed.
        let unchanged = match &existing {
            Some(_) => redirects == before,
            None => n == 0,
        };
        if unchanged {
            return Ok((false, n));
        }
        let text = redirects.to_toml();
        if content
            .put_if(
                &redirects_key(),
                text.into_bytes(),
                "application/toml",
                "no-cache",
                existing.as_ref().map(|o| o.etag.as_str()),
            )
            .await?
        {
            return Ok((true, n));
        }
        // Lost a race: wait a little (more each time, spread by the clock) and redo.
        let spread = u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_micros() % 50_000)
                .unwrap_or(0),
        );
        tokio::time::sleep(Duration::from_micros(u64::from(attempt) * 10_000 + spread)).await;
    }
    Err(StoreError::new(format!(
        "{REDIRECTS_KEY}: changed under every one of {LOST_RACES} attempts; try again"
    )))
}

/// Every post and page of the store (for a full rebuild of `[aliases]`).
async fn every_owner(content: &dyn ContentStore) -> Result<Vec<AliasOwner>, StoreError> {
    let mut owners: Vec<AliasOwner> = content
        .list_post_slugs()
        .await?
        .into_iter()
        .map(AliasOwner::Post)
        .collect();
    owners.extend(
        content
            .list_page_slugs()
            .await?
            .into_iter()
            .map(AliasOwner::Page),
    );
    Ok(owners)
}

/// A TOML basic string (JSON's string escapes are valid TOML).
fn toml_quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The redirects a warm instance holds, with the store's ETag and when it was checked.
///
/// Every request asks it first (an old address is answered before any other read), so
/// within the TTL an answer is one lock and one `Arc` clone, and the lookup one hash
/// probe. After the TTL one request revalidates (a conditional read; the file is parsed
/// only when its ETag changed) while the others go on with the copy they have: a
/// redirects file of a megabyte is read at most once per window, not once per request.
pub struct RedirectsCache {
    ttl: Duration,
    entry: Mutex<Option<Checked>>,
}

struct Checked {
    etag: String,
    redirects: Arc<Redirects>,
    at: Instant,
}

impl RedirectsCache {
    /// `ttl` zero revalidates on every request (tests that edit the file between them).
    pub fn new(ttl: Duration) -> RedirectsCache {
        RedirectsCache {
            ttl,
            entry: Mutex::new(None),
        }
    }

    /// The redirects: from memory within the TTL, else revalidated with one conditional
    /// read. A missing object is no redirects; an unreadable one is logged and the last
    /// good copy (or none) is kept, so a bad edit never takes the site down.
    pub async fn get(&self, content: &dyn ContentStore) -> Result<Arc<Redirects>, StoreError> {
        let stale = {
            let mut entry = self.lock();
            match entry.as_mut() {
                Some(checked) if !self.ttl.is_zero() => {
                    if checked.at.elapsed() < self.ttl {
                        return Ok(checked.redirects.clone());
                    }
                    // This request revalidates; the others keep this copy meanwhile
                    // (and after a failed read, until the next window).
                    checked.at = Instant::now();
                }
                _ => {}
            }
            entry
                .as_ref()
                .map(|c| (c.etag.clone(), c.redirects.clone()))
        };
        let etag = stale
            .as_ref()
            .map(|(e, _)| e.as_str())
            .filter(|e| !e.is_empty());
        let (etag, redirects) = match content.get(&redirects_key(), etag).await? {
            Fetched::NotModified => stale.expect("NotModified answers a conditional read"),
            Fetched::Missing => (String::new(), Arc::new(Redirects::new())),
            Fetched::Found(object) => {
                match Redirects::parse(&String::from_utf8_lossy(&object.bytes)) {
                    Ok(r) => (object.etag, Arc::new(r)),
                    Err(e) => {
                        tracing::error!(error = %e, "redirects not loaded");
                        let keep = stale.map(|(_, r)| r).unwrap_or_default();
                        (object.etag, keep)
                    }
                }
            }
        };
        *self.lock() = Some(Checked {
            etag,
            redirects: redirects.clone(),
            at: Instant::now(),
        });
        Ok(redirects)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Checked>> {
        self.entry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// WordPress's query-string addresses on `/` (`?p=4`, `?page_id=6`, ...): one that no
/// redirect knows is a 404, never the home page (a soft 404).
pub fn is_wordpress_query(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            matches!(
                name,
                "p" | "page_id" | "attachment_id" | "cat" | "tag" | "feed" | "author" | "m"
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_to_one_key() {
        assert_eq!(normalize("/about/", None), "/about");
        assert_eq!(normalize("/", Some("p=4")), "/?p=4");
        assert_eq!(normalize("/caf%C3%A9/", None), "/café");
        assert_eq!(normalize("/caf%c3%a9", None), "/café");
        assert_eq!(normalize_url_path("/?page_id=6"), "/?page_id=6");
    }

    #[test]
    fn lookup_matches_path_and_query() {
        let mut r = Redirects::new();
        r.insert("/2024/03/knots/", "/posts/knots").unwrap();
        r.insert("/?p=10", "/posts/knots").unwrap();
        assert_eq!(r.target("/2024/03/knots", None), Some("/posts/knots"));
        assert_eq!(r.target("/2024/03/knots/", None), Some("/posts/knots"));
        assert_eq!(r.target("/", Some("p=10")), Some("/posts/knots"));
        assert_eq!(r.target("/", Some("p=11")), None);
        assert_eq!(r.target("/", None), None);
    }

    #[test]
    fn round_trips_through_toml() {
        let mut r = Redirects::new();
        r.insert("/a \"quoted\"/", "/posts/a").unwrap();
        r.insert("/?p=1", "https://elsewhere.example/x").unwrap();
        let back = Redirects::parse(&r.to_toml()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_toml(), r.to_toml());
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(Redirects::parse("[redirects]\n\"/a\" = \"javascript:alert(1)\"").is_err());
        assert!(Redirects::parse("[redirects]\n\"/a\" = \"//evil.example\"").is_err());
        assert!(Redirects::parse("[redirects]\n\"a\" = \"/b\"").is_err());
        assert!(Redirects::parse("[other]\n\"/a\" = \"/b\"").is_err());
        assert!(Redirects::parse("[redirects]\n\"/a\" = 3").is_err());
    }

    #[test]
    fn loops_chains_and_shadowing_are_found() {
        let mut r = Redirects::new();
        r.insert("/self/", "/self").unwrap();
        r.insert("/a", "/b/").unwrap();
        r.insert("/b", "/posts/b").unwrap();
        r.insert("/x", "/y").unwrap();
        r.insert("/y", "/x").unwrap();
        r.insert("/posts/live", "/posts/other").unwrap();
        r.insert("/?p=1", "/posts/b").unwrap();
        let problems = r.validate(|p| p == "/posts/live");
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let has = |from: &str, word: &str| {
            problems
                .iter()
                .any(|p| p.from == from && p.message.contains(word))
        };
        assert!(has("/self", "loop"), "{text:?}");
        assert!(has("/a", "chain"), "{text:?}");
        assert!(has("/x", "loop") && has("/y", "loop"), "{text:?}");
        assert!(has("/posts/live", "live"), "{text:?}");
        assert!(!problems.iter().any(|p| p.from == "/b" || p.from == "/?p=1"));
    }

    #[test]
    fn aliases_share_the_lookup_and_are_written_apart() {
        let mut r = Redirects::new();
        r.insert("/2020/01/old/", "/posts/old").unwrap();
        assert!(r
            .set_aliases("/posts/knots", &["/knots/".into(), "/?p=9".into()])
            .unwrap());
        assert!(!r
            .set_aliases("/posts/knots", &["/knots/".into(), "/?p=9".into()])
            .unwrap());
        assert_eq!(r.target("/knots", None), Some("/posts/knots"));
        assert_eq!(r.target("/", Some("p=9")), Some("/posts/knots"));
        let text = r.to_toml();
        assert!(
            text.contains("[aliases]\n\"/?p=9\" = \"/posts/knots\"\n\"/knots\""),
            "{text}"
        );
        let back = Redirects::parse(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.aliases().len(), 2);
        r.set_aliases("/posts/knots", &["/k".into()]).unwrap();
        assert_eq!(r.target("/knots", None), None);
        assert_eq!(r.target("/k/", None), Some("/posts/knots"));
        assert_eq!(r.target("/2020/01/old", None), Some("/posts/old"));
        assert!(r.set_aliases("/posts/x", &["//evil".into()]).is_err());
    }

    #[test]
    fn wordpress_queries_are_recognized() {
        assert!(is_wordpress_query(Some("p=4")));
        assert!(is_wordpress_query(Some("utm=1&page_id=6")));
        assert!(!is_wordpress_query(Some("reply=abc")));
        assert!(!is_wordpress_query(None));
    }
}
