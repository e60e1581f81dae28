//! The sample content from `infra/sample-content`, copied into a scratch folder per test
//! so a test can add or break posts without touching the repository.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::indexer::reindex_all;
use lambdapress::site::{Site, SiteOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const BASE_URL: &str = "https://clinic.example";

/// A folder removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new() -> ScratchDir {
        let dir = std::env::temp_dir().join(crate::moto::unique_name("lambdapress-test"));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        ScratchDir(dir)
    }
}

impl Default for ScratchDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn sample_content_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/sample-content")
}

/// Copies a folder tree (the sample content) into a scratch folder.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The sample site on the embedded adapters, indexed, with its content folder.
pub struct EmbeddedSite {
    pub site: Site,
    pub content: Arc<FsContent>,
    pub index: Arc<SqlitePostIndex>,
    pub comments: Arc<SqliteCommentStore>,
    pub dir: ScratchDir,
}

impl EmbeddedSite {
    pub async fn start() -> EmbeddedSite {
        let dir = ScratchDir::new();
        copy_dir(&sample_content_dir(), &dir.0.join("content"));
        let content = Arc::new(FsContent::new(
            dir.0.join("content"),
            dir.0.join("generated"),
        ));
        let index = Arc::new(SqlitePostIndex::in_memory().unwrap());
        reindex_all(content.as_ref(), index.as_ref()).await.unwrap();
        let options = SiteOptions {
            base_url: Some(BASE_URL.into()),
            settings_ttl: Duration::ZERO,
            // Tests change content between requests: every request revalidates.
            view_ttl: Duration::ZERO,
            ..SiteOptions::default()
        };
        let comments = Arc::new(SqliteCommentStore::in_memory().unwrap());
        let site = Site::new(content.clone(), index.clone(), comments.clone(), options);
        EmbeddedSite {
            site,
            content,
            index,
            comments,
            dir,
        }
    }

    /// Writes `posts/<slug>.md` into the content folder.
    pub fn write_post(&self, slug: &str, source: &str) {
        std::fs::write(
            self.dir.0.join("content/posts").join(format!("{slug}.md")),
            source,
        )
        .unwrap();
    }
}
