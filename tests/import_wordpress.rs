//! `lambdapress import wordpress`: a realistic export becomes posts (snapshots of the
//! Markdown written), tags and comment threads; twice-safe; a dry run writes nothing;
//! the same import against S3 and DynamoDB on moto.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::{Comment, CommentId, Post, Secret, Slug};
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched, PostIndex};
use lambdapress_infra::import::{import_wordpress, Options, Silent, Stores, Summary};
use lambdapress_tests::fixtures;
use lambdapress_tests::moto;
use lambdapress_tests::sample::ScratchDir;
use std::collections::HashMap;
use std::fmt::Write as _;

const POSTS: [&str; 3] = [
    "what-are-muscle-knots",
    "acupuncture-for-better-sleep-schlaf-gut",
    "winter-holiday-hours",
];

fn secret() -> Secret {
    Secret::new(*b"import-tests-secret-0123456789abcdef").unwrap()
}

fn export() -> std::path::PathBuf {
    fixtures::path("wordpress-export.xml")
}

/// The embedded stores, as the local site has them, in a scratch folder.
struct Embedded {
    dir: ScratchDir,
    content: FsContent,
    index: SqlitePostIndex,
    comments: SqliteCommentStore,
    secret: Secret,
}

impl Embedded {
    fn open() -> Embedded {
        let dir = ScratchDir::new();
        let database = dir.0.join("data/lambdapress.sqlite");
        Embedded {
            content: FsContent::new(dir.0.join("content"), dir.0.join("data/generated")),
            index: SqlitePostIndex::open(&database).unwrap(),
            comments: SqliteCommentStore::open(&database).unwrap(),
            secret: secret(),
            dir,
        }
    }

    async fn import(&self, options: Options) -> Summary {
        let stores = Stores {
            content: &self.content,
            index: &self.index,
            comments: &self.comments,
            secret: &self.secret,
        };
        import_wordpress(&export(), &stores, options, &Silent)
            .await
            .expect("the import runs")
    }
}

async fn source(content: &dyn ContentStore, slug: &str) -> Option<String> {
    match content
        .get(&ContentKey::post(&Slug::parse(slug).unwrap()), None)
        .await
        .unwrap()
    {
        Fetched::Found(o) => Some(String::from_utf8(o.bytes).unwrap()),
        _ => None,
    }
}

/// Every stored comment of a post (approved and pending), oldest first.
async fn comments_of(store: &dyn CommentStore, slug: &str) -> Vec<Comment> {
    let post = Slug::parse(slug).unwrap();
    let mut all = store.approved_for_post(&post).await.unwrap();
    all.extend(
        store
            .pending(1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.post == post),
    );
    all.sort_by_key(|c| c.sort_key());
    all
}

/// A post's comments as an indented thread, for snapshots.
fn thread(comments: &[Comment]) -> String {
    let mut children: HashMap<Option<CommentId>, Vec<&Comment>> = HashMap::new();
    for c in comments {
        children.entry(c.parent.clone()).or_default().push(c);
    }
    fn walk(
        out: &mut String,
        children: &HashMap<Option<CommentId>, Vec<&Comment>>,
        parent: Option<CommentId>,
        depth: usize,
    ) {
        for c in children.get(&parent).into_iter().flatten() {
            let _ = writeln!(
                out,
                "{}- [{}] {} <{}> {} {}\n{}  {}",
                "  ".repeat(depth),
                c.status,
                c.author,
                c.email,
                c.website.as_ref().map(|w| w.as_str()).unwrap_or("-"),
                lambdapress::domain::time_fmt::rfc3339(c.created_at),
                "  ".repeat(depth),
                c.body_html.replace('\n', " ")
            );
            walk(out, children, Some(c.id.clone()), depth + 1);
        }
    }
    let mut out = String::new();
    walk(&mut out, &children, None, 0);
    out
}

#[tokio::test]
async fn a_wordpress_export_becomes_posts_tags_and_comment_threads() {
    let site = Embedded::open();
    let summary = site.import(Options::default()).await;
    insta::assert_snapshot!("summary", summary.to_string());
    assert_eq!((summary.posts, summary.drafts), (2, 1));
    assert_eq!(
        (summary.comments_approved, summary.comments_pending),
        (5, 2)
    );
    assert_eq!(summary.malformed.len(), 2, "{summary}");
    assert_eq!(summary.malformed[0].position.item, 6);

    for slug in POSTS {
        let markdown = source(&site.content, slug)
            .await
            .unwrap_or_else(|| panic!("posts/{slug}.md was written"));
        Post::parse(Slug::parse(slug).unwrap(), &markdown).expect("the site reads it");
        insta::assert_snapshot!(format!("post_{slug}"), markdown);
    }
    // The index follows as for any publish: published posts listed, the draft not.
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let listed: Vec<String> = site
        .index
        .newest(far, 0, 10)
        .await
        .unwrap()
        .posts
        .into_iter()
        .map(|p| p.slug.to_string())
        .collect();
    assert_eq!(listed, [POSTS[1], POSTS[0]]);
    let tagged = site
        .index
        .newest_tagged(&Slug::parse("back-neck").unwrap(), far, 0, 10)
        .await
        .unwrap();
    assert_eq!(tagged.posts.len(), 1);

    let knots = comments_of(&site.comments, POSTS[0]).await;
    insta::assert_snapshot!("thread_muscle_knots", thread(&knots));
    let sleep = comments_of(&site.comments, POSTS[1]).await;
    insta::assert_snapshot!("thread_better_sleep", thread(&sleep));
    assert_eq!(knots.len() + sleep.len(), 7);
    assert!(
        knots.iter().all(|c| !c.body_html.contains("<script")),
        "bodies are sanitized"
    );
}

#[tokio::test]
async fn importing_twice_changes_nothing_and_duplicates_nothing() {
    let site = Embedded::open();
    let first = site.import(Options::default()).await;
    let mut before = Vec::new();
    for slug in POSTS {
        before.push(source(&site.content, slug).await);
    }
    let comments_before = comments_of(&site.comments, POSTS[0]).await;

    let second = site.import(Options::default()).await;
    assert_eq!(first.posts_written, 3);
    assert_eq!((second.posts_written, second.posts_unchanged), (0, 3));
    assert_eq!((second.comments_stored, second.comments_existing), (0, 7));
    for (slug, before) in POSTS.iter().zip(before) {
        assert_eq!(source(&site.content, slug).await, before);
    }
    assert_eq!(comments_of(&site.comments, POSTS[0]).await, comments_before);
    assert_eq!(site.comments.pending(1000).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_post_edited_after_the_import_is_kept_unless_overwrite_is_asked() {
    let site = Embedded::open();
    site.import(Options::default()).await;
    let key = ContentKey::post(&Slug::parse(POSTS[0]).unwrap());
    let edited = source(&site.content, POSTS[0]).await.unwrap() + "\nAn owner's addition.\n";
    site.content
        .put(
            &key,
            edited.clone().into_bytes(),
            "text/markdown",
            "no-cache",
        )
        .await
        .unwrap();

    let again = site.import(Options::default()).await;
    assert_eq!(again.posts_kept, [key.to_string()]);
    assert_eq!(source(&site.content, POSTS[0]).await.unwrap(), edited);

    let overwrite = Options {
        overwrite: true,
        ..Options::default()
    };
    let replaced = site.import(overwrite).await;
    assert_eq!(replaced.posts_written, 1);
    assert!(!source(&site.content, POSTS[0])
        .await
        .unwrap()
        .contains("An owner's addition."));
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let site = Embedded::open();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let summary = site.import(dry).await;
    assert_eq!(summary.posts_written, 3, "it says what it would write");
    assert_eq!(summary.comments_stored, 7);
    assert!(summary.to_string().contains("dry run: nothing was written"));
    for slug in POSTS {
        assert_eq!(source(&site.content, slug).await, None);
    }
    assert!(!site.dir.0.join("data/generated").exists());
    assert!(site.content.list_post_slugs().await.unwrap().is_empty());
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    assert!(site
        .index
        .newest(far, 0, 10)
        .await
        .unwrap()
        .posts
        .is_empty());
    assert!(comments_of(&site.comments, POSTS[0]).await.is_empty());
    assert!(site.comments.pending(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_import_writes_to_s3_and_dynamodb_the_same_way() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, _, _) = moto::s3_content(&endpoint).await;
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    let secret = secret();
    let stores = Stores {
        content: &content,
        index: &index,
        comments: &comments,
        secret: &secret,
    };

    let first = import_wordpress(&export(), &stores, Options::default(), &Silent)
        .await
        .unwrap();
    assert_eq!((first.posts_written, first.comments_stored), (3, 7));

    // The same Markdown as on the embedded store.
    let embedded = Embedded::open();
    embedded.import(Options::default()).await;
    for slug in POSTS {
        assert_eq!(
            source(&content, slug).await,
            source(&embedded.content, slug).await
        );
    }
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    assert_eq!(index.newest(far, 0, 10).await.unwrap().posts.len(), 2);
    assert_eq!(
        thread(&comments_of(&comments, POSTS[0]).await),
        thread(&comments_of(&embedded.comments, POSTS[0]).await)
    );

    let second = import_wordpress(&export(), &stores, Options::default(), &Silent)
        .await
        .unwrap();
    assert_eq!((second.posts_unchanged, second.posts_written), (3, 0));
    assert_eq!((second.comments_stored, second.comments_existing), (0, 7));
}
