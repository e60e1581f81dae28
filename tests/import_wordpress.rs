//! `lambdapress import wordpress`: a realistic export becomes posts (snapshots of the
//! Markdown written), tags and comment threads; twice-safe; a dry run writes nothing;
//! the same import against S3 and DynamoDB on moto.

use lambdapress::adapters::{FsContent, SqliteCommentStore, SqlitePostIndex};
use lambdapress::domain::{Comment, CommentId, Post, Secret, Slug};
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched, PostIndex};
use lambdapress_infra::import::{import_wordpress, Options, Silent, Stores, Summary};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures;
use lambdapress_tests::moto;
use lambdapress_tests::sample::ScratchDir;
use lambdapress_tests::store_hooks::{Hooked, StoreHook, Write};
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

// ---- Switching over: every old address of the export resolves on the new site ----

/// A site over the scratch folder an import wrote into, with a `site.toml`.
fn site_over(dir: &std::path::Path) -> lambdapress::site::Site {
    use std::sync::Arc;
    std::fs::create_dir_all(dir.join("content")).unwrap();
    std::fs::copy(
        lambdapress_tests::sample::sample_content_dir().join("site.toml"),
        dir.join("content/site.toml"),
    )
    .unwrap();
    let database = dir.join("data/lambdapress.sqlite");
    lambdapress::site::Site::new(
        Arc::new(FsContent::new(
            dir.join("content"),
            dir.join("data/generated"),
        )),
        Arc::new(SqlitePostIndex::open(&database).unwrap()),
        Arc::new(SqliteCommentStore::open(&database).unwrap()),
        lambdapress::site::SiteOptions {
            base_url: None,
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: std::time::Duration::ZERO,
            ..Default::default()
        },
    )
}

/// Requests `path` through an API Gateway event; one 301 is followed. Returns the
/// first status, where it led, and the final status and body.
async fn visit(site: &lambdapress::site::Site, path: &str) -> (u16, Option<String>, u16, String) {
    let response = site.handle(&fixtures::http_api("GET", path, &[])).await;
    let first = response.status().as_u16();
    let location = fixtures::header(&response, "location").map(str::to_owned);
    let Some(to) = location.clone().filter(|_| first == 301) else {
        return (first, None, first, fixtures::body_text(&response));
    };
    let response = site.handle(&fixtures::http_api("GET", &to, &[])).await;
    (
        first,
        location,
        response.status().as_u16(),
        fixtures::body_text(&response),
    )
}

async fn import_at(embedded: &Embedded, export: &std::path::Path) -> Summary {
    let stores = Stores {
        content: &embedded.content,
        index: &embedded.index,
        comments: &embedded.comments,
        secret: &embedded.secret,
    };
    import_wordpress(export, &stores, Options::default(), &Silent)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_old_address_of_a_year_month_permalink_export_resolves() {
    let embedded = Embedded::open();
    let summary = embedded.import(Options::default()).await;
    assert!(summary.redirects > 10, "{summary}");
    let site = site_over(&embedded.dir.0);
    let knots = "/posts/what-are-muscle-knots";
    for (old, to, contains) in [
        ("/2024/03/what-are-muscle-knots/", knots, "Muscle Knots"),
        ("/2024/03/what-are-muscle-knots", knots, "Muscle Knots"),
        ("/?p=10", knots, "Muscle Knots"),
        (
            "/2024/03/what-are-muscle-knots/back-tension/",
            knots,
            "Muscle Knots",
        ),
        ("/?attachment_id=12", knots, "Muscle Knots"),
        (
            "/category/muscle-pain/",
            "/tags/muscle-pain",
            "Muscle Knots",
        ),
        ("/tag/acupuncture/", "/tags/acupuncture", "Muscle Knots"),
        ("/?tag=acupuncture", "/tags/acupuncture", "Muscle Knots"),
        ("/author/mei/", "/", "Muscle Knots"),
        ("/2024/03/", "/", "Muscle Knots"),
        ("/2024/", "/", "Muscle Knots"),
        ("/feed/", "/feed.xml", ""),
        ("/?feed=rss2", "/feed.xml", ""),
        ("/comments/feed/", "/comments/feed.xml", ""),
        (
            "/2024/03/what-are-muscle-knots/feed/",
            "/posts/what-are-muscle-knots/comments.xml",
            "",
        ),
    ] {
        let (first, location, _, body) = visit(&site, old).await;
        assert_eq!(first, 301, "{old}");
        assert_eq!(location.as_deref(), Some(to), "{old}");
        assert!(body.contains(contains), "{old} → {to}: {body:.300}");
    }
    // A WordPress query no redirect knows is a 404, not the home page; a draft's too.
    for unknown in ["/?p=999", "/?page_id=999", "/?p=30"] {
        assert_eq!(visit(&site, unknown).await.0, 404, "{unknown}");
    }
    // The site's own addresses are not shadowed.
    assert_eq!(visit(&site, knots).await.0, 200);
    assert_eq!(visit(&site, "/").await.0, 200);

    let again = embedded.import(Options::default()).await;
    assert_eq!(again.redirects_added, 0, "{again}");
}

#[tokio::test]
async fn every_old_address_of_a_postname_permalink_export_resolves() {
    let embedded = Embedded::open();
    let export = fixtures::path("wordpress-export-postname.xml");
    let first = import_at(&embedded, &export).await;
    assert_eq!(first.posts_written, 2, "{first}");
    let site = site_over(&embedded.dir.0);
    for (old, to) in [
        ("/hello-compost/", "/posts/hello-compost"),
        ("/tomatoes-in-pots/", "/posts/tomatoes-in-pots"),
        ("/?p=103", "/posts/tomatoes-in-pots"),
        ("/hello-compost/heap-photo/", "/posts/hello-compost"),
        ("/hello-compost/feed/", "/posts/hello-compost/comments.xml"),
        ("/category/soil-care/", "/tags/soil-care"),
        ("/tag/compost/", "/tags/compost"),
        ("/category/uncategorized/", "/"),
        ("/2023/07/", "/"),
    ] {
        let (status, location, _, _) = visit(&site, old).await;
        assert_eq!((status, location.as_deref()), (301, Some(to)), "{old}");
    }
    let (_, _, end, body) = visit(&site, "/tomatoes-in-pots/").await;
    assert_eq!(end, 200);
    assert!(body.contains("Deep pots"), "{body:.300}");

    // Twice: redirects.toml is byte for byte the same and not rewritten.
    let path = embedded.dir.0.join("data/generated/redirects.toml");
    let before = std::fs::read(&path).unwrap();
    let again = import_at(&embedded, &export).await;
    assert_eq!(
        (again.redirects_added, again.posts_written),
        (0, 0),
        "{again}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn a_dry_run_writes_no_redirects() {
    let embedded = Embedded::open();
    let summary = embedded
        .import(Options {
            dry_run: true,
            ..Options::default()
        })
        .await;
    assert!(summary.redirects_added > 0, "{summary}");
    assert!(!embedded
        .dir
        .0
        .join("data/generated/redirects.toml")
        .exists());
}

#[tokio::test]
async fn redirects_are_one_object_in_s3_served_before_the_page() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    use std::sync::Arc;
    let (content, s3, bucket) = moto::s3_content(&endpoint).await;
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    let secret = secret();
    let stores = Stores {
        content: &content,
        index: &index,
        comments: &comments,
        secret: &secret,
    };
    let export = fixtures::path("wordpress-export-postname.xml");
    let summary = import_wordpress(&export, &stores, Options::default(), &Silent)
        .await
        .unwrap();
    assert!(summary.redirects_added > 0);
    let object = s3
        .get_object()
        .bucket(&bucket)
        .key("redirects.toml")
        .send()
        .await
        .expect("one redirects object in the bucket");
    let text = object.body.collect().await.unwrap().into_bytes();
    let text = String::from_utf8(text.to_vec()).unwrap();
    assert!(
        text.contains("\"/hello-compost\" = \"/posts/hello-compost\""),
        "{text}"
    );

    let site = lambdapress::site::Site::new(
        Arc::new(lambdapress::adapters::S3Content::new(
            s3.clone(),
            bucket.clone(),
        )),
        Arc::new(moto::dynamo_index(&endpoint).await),
        Arc::new(moto::dynamo_comments(&endpoint).await),
        lambdapress::site::SiteOptions::default(),
    );
    let response = site
        .handle(&fixtures::http_api("GET", "/?p=103", &[]))
        .await;
    assert_eq!(response.status(), 301);
    assert_eq!(
        fixtures::header(&response, "location"),
        Some("/posts/tomatoes-in-pots")
    );
    let response = site
        .handle(&fixtures::http_api("GET", "/?p=404404", &[]))
        .await;
    assert_eq!(response.status(), 404);

    // A hand-made alias in front matter joins the same object when the post is indexed,
    // and is served the same way (API Gateway REST and HTTP API events alike).
    let slug = Slug::parse("hello-compost").unwrap();
    let Fetched::Found(post) = content.get(&ContentKey::post(&slug), None).await.unwrap() else {
        panic!("the imported post is in the bucket");
    };
    let source = String::from_utf8(post.bytes).unwrap().replacen(
        "+++\n",
        "+++\naliases = [\"/compost-basics/\"]\n",
        1,
    );
    publish(&content, &index, &slug, source.into_bytes()).await;
    let site = lambdapress::site::Site::new(
        Arc::new(lambdapress::adapters::S3Content::new(
            s3.clone(),
            bucket.clone(),
        )),
        Arc::new(moto::dynamo_index(&endpoint).await),
        Arc::new(moto::dynamo_comments(&endpoint).await),
        lambdapress::site::SiteOptions::default(),
    );
    for request in [
        fixtures::http_api("GET", "/compost-basics/", &[]),
        fixtures::rest_api("GET", "/compost-basics", &[]),
    ] {
        let response = site.handle(&request).await;
        assert_eq!(response.status(), 301);
        assert_eq!(
            fixtures::header(&response, "location"),
            Some("/posts/hello-compost")
        );
    }
}

// ---- The switch-over: pages, menu, media, links, site.toml, and switch-check ----

const OLD_HOST: &str = "https://old-clinic.example";

/// A tiny static server on 127.0.0.1 for a copy of `wp-content/uploads` (the test
/// fixtures), counting requests by path; never the internet.
struct UploadsServer {
    origin: String,
    hits: std::sync::Arc<std::sync::Mutex<HashMap<String, usize>>>,
}

impl UploadsServer {
    async fn start() -> UploadsServer {
        use hyper_util::rt::TokioIo;
        use std::sync::{Arc, Mutex};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let root = fixtures::path("wp-uploads");
        let counted = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (root, hits) = (root.clone(), counted.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                        let path = req.uri().path().to_owned();
                        *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
                        let file = path
                            .strip_prefix("/wp-content/uploads/")
                            .filter(|p| !p.contains(".."))
                            .and_then(|p| std::fs::read(root.join(p)).ok());
                        let response = match file {
                            Some(bytes) => hyper::Response::new(http_body_util::Full::new(
                                bytes::Bytes::from(bytes),
                            )),
                            None => {
                                let mut r = hyper::Response::new(http_body_util::Full::new(
                                    bytes::Bytes::new(),
                                ));
                                *r.status_mut() = hyper::StatusCode::NOT_FOUND;
                                r
                            }
                        };
                        async move { Ok::<_, std::convert::Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        UploadsServer { origin, hits }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

/// The switch-over export with the old site's address replaced by `origin`.
fn switch_export_at(dir: &std::path::Path, origin: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixtures::path("wordpress-export-switch.xml")).unwrap();
    let path = dir.join("export.xml");
    std::fs::write(&path, text.replace(OLD_HOST, origin)).unwrap();
    path
}

fn read_generated(embedded: &Embedded, key: &str) -> Option<Vec<u8>> {
    std::fs::read(embedded.dir.0.join("data/generated").join(key)).ok()
}

async fn import_switch(embedded: &Embedded, export: &std::path::Path, options: Options) -> Summary {
    let stores = Stores {
        content: &embedded.content,
        index: &embedded.index,
        comments: &embedded.comments,
        secret: &embedded.secret,
    };
    import_wordpress(export, &stores, options, &Silent)
        .await
        .expect("the import runs")
}

fn download() -> Options {
    Options {
        media: lambdapress_infra::import::MediaSource::Download(
            lambdapress_infra::import::DownloadOptions {
                timeout: std::time::Duration::from_secs(10),
                retries: 1,
                ..Default::default()
            },
        ),
        ..Options::default()
    }
}

#[tokio::test]
async fn pages_menu_media_and_links_come_over_and_a_second_run_changes_nothing() {
    let server = UploadsServer::start().await;
    let embedded = Embedded::open();
    let export = switch_export_at(&embedded.dir.0, &server.origin);
    let summary = import_switch(&embedded, &export, download()).await;
    let text = summary.to_string();

    // Pages, the one on a route of the site renamed (and said so).
    assert_eq!((summary.pages, summary.pages_written), (4, 4), "{text}");
    for page in ["about", "services", "massage", "archive-page"] {
        assert!(
            read_generated(&embedded, &format!("pages/{page}.md")).is_some(),
            "{page}: {text}"
        );
    }
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("`archive` is a route") && n.contains("archive-page")),
        "{text}"
    );

    // Media: originals copied under media/uploads/YYYY/MM, never the thumbnail; the
    // missing PDF listed, not fatal.
    assert_eq!(
        read_generated(&embedded, "media/uploads/2023/02/knot.jpg").as_deref(),
        Some(&b"\xff\xd8\xff\xe0 knot original"[..])
    );
    assert!(read_generated(&embedded, "media/uploads/2023/03/bed.jpg").is_some());
    assert!(read_generated(&embedded, "media/uploads/2023/02/knot-300x188.jpg").is_none());
    assert_eq!(
        server.hits("/wp-content/uploads/2023/02/knot-300x188.jpg"),
        0
    );
    assert_eq!(summary.media.copied, 2, "{text}");
    assert_eq!(
        summary
            .media
            .missing
            .iter()
            .map(|(u, _)| u.as_str())
            .collect::<Vec<_>>(),
        vec!["2023/02/chart.pdf"],
        "{text}"
    );
    assert!(
        text.contains("MISSING media uploads/2023/02/chart.pdf"),
        "{text}"
    );

    // Links and images point at the new site; the one elsewhere is untouched.
    let knots = source(&embedded.content, "muscle-knots").await.unwrap();
    for expected in [
        "/media/uploads/2023/02/knot.jpg",
        "(/about)",
        "(/posts/sleep-better)",
        "(/tags/massage)",
        "(/media/uploads/2023/02/chart.pdf)",
        "https://example.org/knots",
        "src = \"/media/uploads/2023/02/knot.jpg\"\nalt = \"A knot in the shoulder\"",
    ] {
        assert!(knots.contains(expected), "{expected} in\n{knots}");
    }
    assert!(
        !knots.contains(&server.origin) && !knots.contains("300x188"),
        "{knots}"
    );
    let sleep = source(&embedded.content, "sleep-better").await.unwrap();
    assert!(
        sleep.contains("/media/uploads/2023/03/bed.jpg") && sleep.contains("(/posts/muscle-knots)"),
        "{sleep}"
    );
    let services =
        String::from_utf8(read_generated(&embedded, "pages/services.md").unwrap()).unwrap();
    assert!(
        services.contains("/media/uploads/2023/02/knot.jpg"),
        "{services}"
    );
    let about = String::from_utf8(read_generated(&embedded, "pages/about.md").unwrap()).unwrap();
    assert!(about.contains("(/services)"), "{about}");
    let comments = comments_of(&embedded.comments, "muscle-knots").await;
    assert!(
        comments[0]
            .body_html
            .contains(&format!("href=\"{}/posts/sleep-better\"", server.origin)),
        "{:?}",
        comments[0].body_html
    );

    // site.toml from the channel, with the primary menu in order.
    let site = String::from_utf8(read_generated(&embedded, "site.toml").unwrap()).unwrap();
    let settings = lambdapress::domain::SiteSettings::parse(&site).unwrap();
    assert_eq!(settings.title, "Old Clinic & Spa");
    assert_eq!(settings.description, "Massage and sleep, since 2009");
    assert_eq!(settings.language, "en-GB");
    assert_eq!(settings.base_url, server.origin);
    let menu: Vec<(String, String)> = settings
        .menu
        .iter()
        .map(|m| (m.label.clone(), m.href()))
        .collect();
    assert_eq!(
        menu,
        [
            ("Home", "/"),
            ("About the Clinic", "/about"),
            ("Massage", "/tags/massage"),
            ("Services", "/services"),
            ("Book", "https://book.example/old-clinic"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(summary.menu, Some(("Primary Menu".into(), 5)));
    // The sub-menu entry comes along under its parent.
    let services: Vec<(String, String)> = settings.menu[3]
        .children
        .iter()
        .map(|m| (m.label.clone(), m.href()))
        .collect();
    assert_eq!(
        services,
        [("Massage page".to_owned(), "/massage".to_owned())]
    );
    assert!(
        !summary.notes.iter().any(|n| n.contains("sub-menu")),
        "{text}"
    );

    // A second run: nothing written, nothing downloaded again.
    let requests = server.total();
    let files_before = snapshot_dir(&embedded.dir.0.join("data/generated"));
    let again = import_switch(&embedded, &export, download()).await;
    assert_eq!(
        (
            again.posts_written,
            again.pages_written,
            again.redirects_added
        ),
        (0, 0, 0),
        "{again}"
    );
    assert_eq!((again.media.copied, again.media.present), (0, 2), "{again}");
    assert_eq!(server.hits("/wp-content/uploads/2023/02/knot.jpg"), 1);
    // Only the missing file is asked for again.
    assert_eq!(
        server.total() - requests,
        server.hits("/wp-content/uploads/2023/02/chart.pdf") / 2
    );
    assert_eq!(
        snapshot_dir(&embedded.dir.0.join("data/generated")),
        files_before
    );
}

/// Every file under `dir` with its bytes.
fn snapshot_dir(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_dry_run_downloads_and_writes_nothing() {
    let server = UploadsServer::start().await;
    let embedded = Embedded::open();
    let export = switch_export_at(&embedded.dir.0, &server.origin);
    let summary = import_switch(
        &embedded,
        &export,
        Options {
            dry_run: true,
            ..download()
        },
    )
    .await;
    assert_eq!(summary.media.copied, 3, "{summary}");
    assert_eq!(summary.pages, 4, "{summary}");
    assert!(summary.site.contains("would be written"), "{summary}");
    assert_eq!(server.total(), 0);
    assert!(snapshot_dir(&embedded.dir.0.join("data/generated")).is_empty());
}

#[tokio::test]
async fn an_existing_site_toml_keeps_its_settings_and_gets_the_menu_or_a_proposal() {
    let embedded = Embedded::open();
    let export = fixtures::path("wordpress-export-switch.xml");
    let generated = embedded.dir.0.join("data/generated");
    std::fs::create_dir_all(&generated).unwrap();
    let own = "title = \"Mine\"\nbase_url = \"https://mine.example\"\n[owner]\nname = \"Me\"\n[address]\nstreet = \"1 Main St\"\nlocality = \"Town\"\n";
    std::fs::write(generated.join("site.toml"), own).unwrap();
    let summary = import_switch(&embedded, &export, Options::default()).await;
    let site = std::fs::read_to_string(generated.join("site.toml")).unwrap();
    assert!(site.starts_with(own), "{site}");
    let settings = lambdapress::domain::SiteSettings::parse(&site).unwrap();
    assert_eq!(settings.title, "Mine");
    assert_eq!(settings.menu.len(), 5, "{site}");
    assert!(summary.site.contains("menu added"), "{summary}");

    // With a menu of its own, nothing is written: the export's is proposed.
    let own_menu = format!("{own}[[menu]]\nlabel = \"Home\"\npage = \"\"\n");
    std::fs::write(generated.join("site.toml"), &own_menu).unwrap();
    let summary = import_switch(&embedded, &export, Options::default()).await;
    assert_eq!(
        std::fs::read_to_string(generated.join("site.toml")).unwrap(),
        own_menu
    );
    let proposal = summary.site_proposal.unwrap_or_default();
    assert!(
        proposal.contains("language = \"en-GB\"") && proposal.contains("label = \"Book\""),
        "{proposal}"
    );
}

/// Writes a post and indexes it, as a publish does.
async fn publish(content: &dyn ContentStore, index: &dyn PostIndex, slug: &Slug, source: Vec<u8>) {
    content
        .put(&ContentKey::post(slug), source, "text/markdown", "no-cache")
        .await
        .unwrap();
    lambdapress::indexer::sync_post(content, index, slug)
        .await
        .unwrap();
}

/// The local site (`lambdapress serve`) over `dir`, started in this process.
async fn local_site(dir: &std::path::Path) -> String {
    let config = lambdapress_infra::local::LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        content_dir: dir.join("content"),
        data_dir: dir.join("data"),
    };
    let site = lambdapress_infra::local::LocalSite::bind(&config)
        .await
        .unwrap();
    let base = site.base_url.clone();
    tokio::spawn(site.run());
    base
}

#[tokio::test]
async fn switch_check_passes_on_the_imported_local_site_and_fails_when_an_image_is_gone() {
    use lambdapress_infra::import::switch_check::switch_check;
    let dir = ScratchDir::new();
    std::fs::create_dir_all(dir.0.join("content")).unwrap();
    let export = fixtures::path("wordpress-export-switch.xml");
    let summary = import_locally(&dir.0, &export).await;
    assert_eq!(summary.media.copied, 2, "{summary}");
    let site = local_site(&dir.0).await;
    let report = switch_check(&export, &site).await.unwrap();
    passed_with(
        &report,
        &[
            "ok   url    /2023/02/muscle-knots → /posts/muscle-knots: 200",
            "ok   url    /?page_id=30 → /about: 200",
            "ok   url    /services/massage → /massage: 200",
            // `/archive` is the site's monthly archive now (a redirect never shadows a
            // live route): the old page is reached by its id and at its new slug.
            "ok   url    /?page_id=33 → /archive-page: 200 (301)",
            "ok   url    /category/massage → /tags/massage: 200",
            "ok   url    /feed → /feed.xml: 200",
            "ok   image  /media/uploads/2023/03/bed.jpg",
            "ok   links  /posts/muscle-knots",
        ],
    );

    // One image gone: the check fails and says which.
    std::fs::remove_file(dir.0.join("data/generated/media/uploads/2023/03/bed.jpg")).unwrap();
    let site = local_site(&dir.0).await;
    let report = switch_check(&export, &site).await.unwrap();
    only_image_missing(&report, "/media/uploads/2023/03/bed.jpg");
}

/// Imports `export` into the local stores under `dir` (uploads from the fixtures' copy).
async fn import_locally(dir: &std::path::Path, export: &std::path::Path) -> Summary {
    import_locally_from(dir, export, &fixtures::path("wp-uploads")).await
}

/// Imports `export` into the local stores under `dir`, its media copied from `uploads`.
async fn import_locally_from(
    dir: &std::path::Path,
    export: &std::path::Path,
    uploads: &std::path::Path,
) -> Summary {
    let config = lambdapress_infra::local::LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        content_dir: dir.join("content"),
        data_dir: dir.join("data"),
    };
    let local = lambdapress_infra::local::LocalStores::open(&config).unwrap();
    let stores = Stores {
        content: local.content.as_ref(),
        index: local.index.as_ref(),
        comments: local.comments.as_ref(),
        secret: &local.secret,
    };
    let options = Options {
        media: lambdapress_infra::import::MediaSource::Dir(uploads.to_path_buf()),
        ..Options::default()
    };
    import_wordpress(export, &stores, options, &Silent)
        .await
        .unwrap()
}

/// The switch fixture's site with `posts` generated posts: each shows a shared image and
/// one of its own that was never uploaded, and links to the one before at its old address.
fn many_posts_export(posts: usize) -> String {
    let fixture = std::fs::read_to_string(fixtures::path("wordpress-export-switch.xml")).unwrap();
    let mut xml = fixture[..fixture.find("\t<item>").unwrap()].to_owned();
    for i in 1..=posts {
        let day = 1 + i % 28;
        write!(
            xml,
            r#"	<item>
		<title><![CDATA[Generated Post {i}]]></title>
		<link>https://old-clinic.example/2023/05/generated-{i}/</link>
		<dc:creator><![CDATA[mia]]></dc:creator>
		<content:encoded><![CDATA[<p>Post {i}. <img src="https://old-clinic.example/wp-content/uploads/2023/02/knot.jpg" alt="" /> <img src="/wp-content/uploads/2023/05/gone-{i}.jpg" alt="" /></p>
<p>Before it: <a href="https://old-clinic.example/2023/05/generated-{before}/">post {before}</a>.</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{id}</wp:post_id>
		<wp:post_date><![CDATA[2023-05-{day:02} 09:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2023-05-{day:02} 09:00:00]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[generated-{i}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
	</item>
"#,
            before = if i == 1 { posts } else { i - 1 },
            id = 5000 + i,
        )
        .unwrap();
    }
    xml + "</channel>\n</rss>\n"
}

#[tokio::test]
async fn switch_check_gives_the_same_report_one_or_eight_requests_at_a_time() {
    use lambdapress_infra::import::switch_check::switch_check_with;
    let dir = ScratchDir::new();
    std::fs::create_dir_all(dir.0.join("content")).unwrap();
    let export = dir.0.join("many.xml");
    std::fs::write(&export, many_posts_export(60)).unwrap();
    import_locally(&dir.0, &export).await;
    let site = local_site(&dir.0).await;
    let one = switch_check_with(&export, &site, 1).await.unwrap();
    let eight = switch_check_with(&export, &site, 8).await.unwrap();
    assert_eq!(one.to_string(), eight.to_string());
    assert_eq!(one, eight);
    let text = one.to_string();
    // Every generated post's old address and `?p=` id were asked for and resolve.
    for i in [1, 30, 60] {
        let id = 5000 + i;
        for line in [
            format!("ok   url    /2023/05/generated-{i} → /posts/generated-{i}: 200"),
            format!("ok   url    /?p={id} → /posts/generated-{i}: 200"),
            format!("ok   links  /posts/generated-{i} no link to the old site"),
        ] {
            assert!(text.contains(&line), "{line}:\n{text}");
        }
    }
    // The shared image is checked once; each post's missing one fails, said once, on it.
    assert_eq!(
        text.matches("ok   image  /media/uploads/2023/02/knot.jpg")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(one.failures(), 60, "{text}");
    for i in [1, 30, 60] {
        let line = format!(
            "FAIL image  /media/uploads/2023/05/gone-{i}.jpg 404 Not Found (on /posts/generated-{i})"
        );
        assert!(text.contains(&line), "{line}:\n{text}");
    }
}

/// A switch-check report with every check passed, these lines among them.
fn passed_with(report: &lambdapress_infra::import::switch_check::Report, lines: &[&str]) {
    let text = report.to_string();
    assert_eq!(report.failures(), 0, "{text}");
    for expected in lines {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("switch-check: all passed"),
        "{text}"
    );
}

/// A switch-check report whose one failure is `image`, not served (the CLI exits 1).
fn only_image_missing(report: &lambdapress_infra::import::switch_check::Report, image: &str) {
    let text = report.to_string();
    assert_eq!(report.failures(), 1, "{text}");
    assert!(text.contains(&format!("FAIL image  {image} 404")), "{text}");
    assert!(text.lines().last().unwrap().contains("1 FAILED"), "{text}");
}

#[tokio::test]
async fn aliases_in_front_matter_are_served_as_redirects_in_one_lookup() {
    let dir = ScratchDir::new();
    let site = site_over(&dir.0);
    let content = FsContent::new(dir.0.join("content"), dir.0.join("data/generated"));
    let index = SqlitePostIndex::open(&dir.0.join("data/lambdapress.sqlite")).unwrap();
    let slug = Slug::parse("knots").unwrap();
    let source = "+++\ntitle = \"Knots\"\ndate = 2024-03-01\naliases = [\"/old-knots/\", \"/?p=77\"]\n+++\nBody\n";
    publish(&content, &index, &slug, source.as_bytes().to_vec()).await;
    for path in ["/old-knots/", "/old-knots", "/?p=77"] {
        let (first, location, last, _) = visit(&site, path).await;
        assert_eq!(
            (first, location.as_deref(), last),
            (301, Some("/posts/knots"), 200),
            "{path}"
        );
    }
    // Taking an alias out of the front matter takes its redirect out.
    let source = source.replace("\"/old-knots/\", ", "");
    publish(&content, &index, &slug, source.into_bytes()).await;
    let text = std::fs::read_to_string(dir.0.join("data/generated/redirects.toml")).unwrap();
    assert!(!text.contains("old-knots"), "{text}");
    assert_eq!(visit(&site, "/old-knots").await.0, 404);
    assert_eq!(visit(&site, "/?p=77").await.0, 301);
    let text = std::fs::read_to_string(dir.0.join("data/generated/redirects.toml")).unwrap();
    assert!(
        text.contains("[aliases]\n\"/?p=77\" = \"/posts/knots\"\n"),
        "{text}"
    );
    // A bad alias is refused by the parser, naming the field.
    let e = Post::parse(
        slug,
        "+++\ntitle = \"K\"\ndate = 2024-03-01\naliases = [\"https://x.example/a\"]\n+++\n",
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("aliases"));
}

// ---- The switch-over on the AWS adapters: S3 and DynamoDB on moto ----

/// One function answering every request: the site function, as API Gateway puts it in
/// front of the Lambda.
struct OneFunction(std::sync::Arc<dyn lambdapress::http::HttpFunction>);

impl lambdapress_infra::local::Router for OneFunction {
    fn for_request(&self, _: &lambda_http::Request) -> &dyn lambdapress::http::HttpFunction {
        self.0.as_ref()
    }
}

/// The stores of a deployed stack, on moto: a bucket, and one table for the index and
/// the comments.
struct Aws {
    bucket: Bucket,
    content: std::sync::Arc<lambdapress::adapters::S3Content>,
    index: std::sync::Arc<lambdapress::adapters::DynamoPostIndex>,
    comments: std::sync::Arc<lambdapress::adapters::DynamoCommentStore>,
}

impl Aws {
    async fn open(endpoint: &str) -> Aws {
        use std::sync::Arc;
        let (content, s3, bucket) = moto::s3_content(endpoint).await;
        let (client, table) = moto::fresh_table(endpoint).await;
        Aws {
            bucket: Bucket::new(s3, bucket),
            content: Arc::new(content),
            index: Arc::new(lambdapress::adapters::DynamoPostIndex::new(
                client.clone(),
                table.clone(),
            )),
            comments: Arc::new(lambdapress::adapters::DynamoCommentStore::new(
                client, table,
            )),
        }
    }

    /// The feeds function on these stores (what the bucket's S3 events invoke).
    fn feeds(&self, base_url: Option<String>) -> lambdapress::feeds::Feeds {
        lambdapress::feeds::Feeds::new(self.content.clone(), self.index.clone())
            .with_comments(self.comments.clone())
            .with_options(lambdapress::feeds::FeedsOptions {
                base_url,
                ..Default::default()
            })
    }

    /// The site function on these stores behind a real HTTP listener on 127.0.0.1.
    async fn serve_site(&self) -> String {
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let site = lambdapress::site::Site::new(
            self.content.clone(),
            self.index.clone(),
            self.comments.clone(),
            lambdapress::site::SiteOptions {
                base_url: Some(base.clone()),
                settings_ttl: std::time::Duration::ZERO,
                view_ttl: std::time::Duration::ZERO,
                ..Default::default()
            },
        );
        tokio::spawn(lambdapress_infra::local::serve_connections(
            listener,
            Arc::new(OneFunction(Arc::new(site))),
            false,
        ));
        base
    }
}

#[tokio::test]
async fn switch_check_passes_on_the_aws_adapters_and_fails_when_an_image_leaves_the_bucket() {
    use lambdapress_infra::import::switch_check::switch_check;
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let aws = Aws::open(&endpoint).await;
    let secret = secret();
    let stores = Stores {
        content: aws.content.as_ref(),
        index: aws.index.as_ref(),
        comments: aws.comments.as_ref(),
        secret: &secret,
    };
    // Two sites' exports into one stack: /%year%/%monthnum%/%postname%/ with media,
    // pages, a menu and threaded comments, and /%postname%/.
    let switch = fixtures::path("wordpress-export-switch.xml");
    let postname = fixtures::path("wordpress-export-postname.xml");
    for export in [&switch, &postname] {
        let summary = import_wordpress(
            export,
            &stores,
            Options {
                media: lambdapress_infra::import::MediaSource::Dir(fixtures::path("wp-uploads")),
                ..Options::default()
            },
            &Silent,
        )
        .await
        .unwrap();
        assert!(
            summary.posts_written >= 2 && summary.redirects_added > 0,
            "{summary}"
        );
        if export == &switch {
            assert_eq!(summary.media.copied, 2, "{summary}");
            assert!(
                summary.pages_written >= 3 && summary.menu.is_some(),
                "{summary}"
            );
            assert!(summary.comments_stored > 0, "{summary}");
        }
    }
    assert!(aws
        .bucket
        .keys("media/uploads/2023/03/")
        .await
        .contains(&"media/uploads/2023/03/bed.jpg".to_owned()));

    // What the bucket's S3 events for the written posts and pages make the feeds
    // function do (index, feeds, sitemap, aliases); then the site function, over HTTP.
    let mut written = aws.bucket.keys("posts/").await;
    written.extend(aws.bucket.keys("pages/").await);
    written.retain(|k| k.ends_with(".md"));
    let keys: Vec<&str> = written.iter().map(String::as_str).collect();
    let site = aws.serve_site().await;
    aws.feeds(Some(site.clone()))
        .handle(fixtures::s3_event("s3-object-created.json", &keys))
        .await
        .unwrap();

    let report = switch_check(&switch, &site).await.unwrap();
    passed_with(
        &report,
        &[
            "ok   url    /2023/02/muscle-knots → /posts/muscle-knots: 200",
            "ok   url    /?page_id=30 → /about: 200",
            "ok   url    /services/massage → /massage: 200",
            "ok   url    /category/massage → /tags/massage: 200",
            "ok   url    /feed → /feed.xml: 200",
            "ok   image  /media/uploads/2023/03/bed.jpg",
            "ok   image  /media/uploads/2023/02/knot.jpg",
            "ok   links  /posts/muscle-knots",
            "ok   links  /about",
        ],
    );
    let report = switch_check(&postname, &site).await.unwrap();
    let text = report.to_string();
    for expected in [
        "ok   url    /hello-compost → /posts/hello-compost: 200",
        "ok   url    /?p=103 → /posts/tomatoes-in-pots: 200",
        "ok   url    /tag/compost → /tags/compost: 200",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    let resolved = report
        .checks
        .iter()
        .filter(|c| c.kind == "url")
        .all(|c| c.ok);
    assert!(resolved, "{text}");

    // One image gone from the bucket: the check fails (the CLI exits 1) and names it.
    aws.bucket.remove("media/uploads/2023/03/bed.jpg").await;
    let report = switch_check(&switch, &site).await.unwrap();
    only_image_missing(&report, "/media/uploads/2023/03/bed.jpg");
}

fn site_toml() -> String {
    std::fs::read_to_string(lambdapress_tests::sample::sample_content_dir().join("site.toml"))
        .unwrap()
}

fn page_source(title: &str, aliases: &[&str]) -> String {
    let aliases: Vec<String> = aliases.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "+++\ntitle = \"{title}\"\naliases = [{}]\n+++\nAbout {title}.\n",
        aliases.join(", ")
    )
}

fn post_source(title: &str, aliases: &[&str], draft: bool) -> String {
    let aliases: Vec<String> = aliases.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "+++\ntitle = \"{title}\"\ndate = 2024-03-01\ndraft = {draft}\naliases = [{}]\n+++\nBody of {title}.\n",
        aliases.join(", ")
    )
}

#[tokio::test]
async fn page_and_post_aliases_follow_s3_events_without_a_reindex_even_when_events_race() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let aws = Aws::open(&endpoint).await;
    aws.bucket.put("site.toml", &site_toml()).await;
    // The owner's own redirect, hand-edited: no alias sync may lose it.
    aws.bucket
        .put(
            "redirects.toml",
            "[redirects]\n\"/old-shop/\" = \"https://shop.example/\"\n",
        )
        .await;
    let feeds = aws.feeds(None);

    let mut keys = Vec::new();
    for n in 0..6 {
        let key = format!("pages/page-{n}.md");
        aws.bucket
            .put(
                &key,
                &page_source(&format!("Page {n}"), &[&format!("/old-page-{n}/")]),
            )
            .await;
        keys.push(key);
        let key = format!("posts/post-{n}.md");
        aws.bucket
            .put(
                &key,
                &post_source(&format!("Post {n}"), &[&format!("/?p={n}")], false),
            )
            .await;
        keys.push(key);
    }
    // Two events at once: A (a page) has read redirects.toml and is held just before
    // its write while B (a post) runs whole. A's conditional write is then refused (the
    // file changed under it), so A reads again and writes both. (Held on purpose: moto's
    // threaded server does not make its own If-Match check atomic with the write.)
    let held = std::sync::Arc::new(Hooked::new(
        lambdapress::adapters::S3Content::new(aws.bucket.client.clone(), aws.bucket.name.clone()),
        HoldFirst::default(),
    ));
    let feeds_a = lambdapress::feeds::Feeds::new(held.clone(), aws.index.clone());
    let a = tokio::spawn(async move {
        feeds_a
            .handle(fixtures::s3_event(
                "s3-object-created.json",
                &["pages/page-0.md"],
            ))
            .await
    });
    held.hook.held.notified().await;
    feeds
        .handle(fixtures::s3_event(
            "s3-object-created.json",
            &["posts/post-0.md"],
        ))
        .await
        .unwrap();
    held.hook.release.notify_one();
    a.await.unwrap().unwrap();
    assert_eq!(
        held.hook.refused.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "A's first write was on a stale version"
    );
    // The others in one batch of records.
    let rest: Vec<&str> = keys[2..].iter().map(String::as_str).collect();
    feeds
        .handle(fixtures::s3_event("s3-object-created.json", &rest))
        .await
        .unwrap();
    let text = aws.bucket.text("redirects.toml").await.unwrap();
    let parsed = lambdapress::redirects::Redirects::parse(&text).unwrap();
    for n in 0..6 {
        assert_eq!(
            parsed.target(&format!("/old-page-{n}"), None),
            Some(format!("/page-{n}").as_str()),
            "{text}"
        );
        assert_eq!(
            parsed.target("/", Some(&format!("p={n}"))),
            Some(format!("/posts/post-{n}").as_str()),
            "{text}"
        );
    }
    assert_eq!(
        parsed.target("/old-shop", None),
        Some("https://shop.example/"),
        "{text}"
    );

    // Served by the site function at once, with no reindex.
    let site = lambdapress::site::Site::new(
        aws.content.clone(),
        aws.index.clone(),
        aws.comments.clone(),
        lambdapress::site::SiteOptions {
            settings_ttl: std::time::Duration::ZERO,
            view_ttl: std::time::Duration::ZERO,
            ..Default::default()
        },
    );
    let (first, location, last, _) = visit(&site, "/old-page-2/").await;
    assert_eq!(
        (first, location.as_deref(), last),
        (301, Some("/page-2"), 200)
    );

    // A page's aliases changed, a post made a draft, a page deleted: each event takes
    // its old aliases out.
    aws.bucket
        .put("pages/page-0.md", &page_source("Page 0", &["/about-us/"]))
        .await;
    aws.bucket
        .put("posts/post-1.md", &post_source("Post 1", &["/?p=1"], true))
        .await;
    aws.bucket.remove("pages/page-3.md").await;
    feeds
        .handle(fixtures::s3_event(
            "s3-object-created.json",
            &["pages/page-0.md", "posts/post-1.md"],
        ))
        .await
        .unwrap();
    feeds
        .handle(fixtures::s3_event(
            "s3-object-removed.json",
            &["pages/page-3.md"],
        ))
        .await
        .unwrap();
    let text = aws.bucket.text("redirects.toml").await.unwrap();
    let parsed = lambdapress::redirects::Redirects::parse(&text).unwrap();
    assert_eq!(parsed.target("/about-us", None), Some("/page-0"), "{text}");
    for gone in ["/old-page-0", "/old-page-3"] {
        assert_eq!(parsed.target(gone, None), None, "{gone}: {text}");
    }
    assert_eq!(parsed.target("/", Some("p=1")), None, "{text}");
    assert_eq!(parsed.target("/", Some("p=2")), Some("/posts/post-2"));
    assert_eq!(
        parsed.target("/old-shop", None),
        Some("https://shop.example/")
    );
    assert_eq!(visit(&site, "/old-page-3").await.0, 404);
}

#[tokio::test]
async fn the_local_watcher_keeps_page_aliases_as_the_s3_events_do() {
    let dir = ScratchDir::new();
    std::fs::create_dir_all(dir.0.join("content/pages")).unwrap();
    std::fs::write(dir.0.join("content/site.toml"), site_toml()).unwrap();
    std::fs::write(
        dir.0.join("content/pages/about.md"),
        page_source("About", &["/about-us/"]),
    )
    .unwrap();
    let site = local_site(&dir.0).await;
    // At start (the local site's reindex) the alias is served.
    assert_eq!(
        get(&site, "/about-us/").await,
        (301, Some("/about".to_owned()))
    );
    // An edit of the page file is seen by the watcher within a few seconds.
    std::fs::write(
        dir.0.join("content/pages/about.md"),
        page_source("About", &["/who-we-are/"]),
    )
    .unwrap();
    let mut answered = (0, None);
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        answered = get(&site, "/who-we-are").await;
        if answered.0 == 301 {
            break;
        }
    }
    assert_eq!(answered, (301, Some("/about".to_owned())));
    assert_eq!(get(&site, "/about-us").await.0, 404);
}

/// A GET over HTTP (no redirect followed): the status and the Location.
async fn get(base: &str, path: &str) -> (u16, Option<String>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client
        .get(format!("{base}{path}").parse().unwrap())
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), location)
}

/// Holds the content bucket's first conditional write until the test releases it (an
/// event caught between its read and its write), and counts refused writes.
#[derive(Default)]
struct HoldFirst {
    held: tokio::sync::Notify,
    release: tokio::sync::Notify,
    passed: std::sync::atomic::AtomicBool,
    refused: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl StoreHook for HoldFirst {
    async fn before(
        &self,
        _key: &ContentKey,
        write: Write,
    ) -> Result<(), lambdapress::ports::StoreError> {
        if write == Write::PutIf && !self.passed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.held.notify_one();
            self.release.notified().await;
        }
        Ok(())
    }

    fn after_put_if(&self, wrote: bool) {
        if !wrote {
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// The switch fixture with one more post as WordPress exports a Spanish one: its slug
/// percent-encoded UTF-8 (lowercase hex, as WordPress writes it), a tag "Niños", and an
/// image whose file name has an accent and a space.
fn utf8_export(dir: &std::path::Path) -> std::path::PathBuf {
    let fixture = std::fs::read_to_string(fixtures::path("wordpress-export-switch.xml")).unwrap();
    let end = fixture.rfind("</channel>").unwrap();
    let item = r#"	<item>
		<title><![CDATA[Cómo dormir mejor]]></title>
		<link>https://old-clinic.example/2023/05/c%c3%b3mo-dormir/</link>
		<dc:creator><![CDATA[mia]]></dc:creator>
		<content:encoded><![CDATA[<p>Dormir bien. <img src="https://old-clinic.example/wp-content/uploads/2023/05/a%C3%B1o%20nuevo-300x200.jpg" alt="Año nuevo" /></p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>77</wp:post_id>
		<wp:post_date><![CDATA[2023-05-02 09:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2023-05-02 09:00:00]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[c%c3%b3mo-dormir]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<category domain="post_tag" nicename="ni%c3%b1os"><![CDATA[Niños]]></category>
	</item>
"#;
    let path = dir.join("export-utf8.xml");
    std::fs::write(
        &path,
        format!("{}{item}{}", &fixture[..end], &fixture[end..]),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn a_percent_encoded_utf8_slug_and_an_accented_spaced_image_come_over_and_switch_check_passes(
) {
    use lambdapress_infra::import::switch_check::switch_check;
    let dir = ScratchDir::new();
    std::fs::create_dir_all(dir.0.join("content")).unwrap();
    let uploads = dir.0.join("wp-uploads");
    lambdapress_tests::sample::copy_dir(&fixtures::path("wp-uploads"), &uploads);
    std::fs::create_dir_all(uploads.join("2023/05")).unwrap();
    let jpeg = std::fs::read(fixtures::path("wp-uploads/2023/03/bed.jpg")).unwrap();
    std::fs::write(uploads.join("2023/05/año nuevo.jpg"), &jpeg).unwrap();
    let export = utf8_export(&dir.0);

    let summary = import_locally_from(&dir.0, &export, &uploads).await;
    assert_eq!(summary.media.copied, 3, "{summary}");
    // The fixture's uploads never had the chart (as in the other switch tests).
    let missing: Vec<_> = summary
        .media
        .missing
        .iter()
        .map(|(u, _)| u.as_str())
        .collect();
    assert_eq!(missing, ["2023/02/chart.pdf"], "{summary}");
    let text = summary.to_string();
    assert!(!text.contains("Niños\" dropped"), "{text}");

    // The slug decoded, the tag kept, the image under its own UTF-8 name in its folder.
    let slug = Slug::parse("cómo-dormir").unwrap();
    // The local site's content store over the same folders (LocalStores' layout).
    let content = FsContent::new(dir.0.join("content"), dir.0.join("data/generated"));
    let source = source(&content, "cómo-dormir")
        .await
        .expect("posts/cómo-dormir.md is written");
    let post = Post::parse(slug.clone(), &source).unwrap();
    let tags: Vec<_> = post.front.tags.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(tags, ["niños"]);
    assert!(
        source.contains("/media/uploads/2023/05/a%C3%B1o%20nuevo.jpg"),
        "the size variant's link goes to the original, percent-encoded: {source}"
    );
    assert_eq!(
        std::fs::read(
            dir.0
                .join("data/generated/media/uploads/2023/05/año nuevo.jpg")
        )
        .unwrap(),
        jpeg
    );

    let site = local_site(&dir.0).await;
    let report = switch_check(&export, &site).await.unwrap();
    let text = report.to_string();
    passed_with(
        &report,
        &[
            "ok   image  /media/uploads/2023/05/a%C3%B1o%20nuevo.jpg",
            "ok   links  /posts/c%C3%B3mo-dormir",
        ],
    );
    assert!(text.contains("/posts/c%C3%B3mo-dormir: 200"), "{text}");
    // The old addresses land on the new ones.
    let stores_site = site_over(&dir.0);
    for (old, new) in [
        ("/2023/05/c%c3%b3mo-dormir/", "/posts/c%C3%B3mo-dormir"),
        ("/?p=77", "/posts/c%C3%B3mo-dormir"),
        ("/tag/ni%c3%b1os/", "/tags/ni%C3%B1os"),
        ("/tag/ni%C3%B1os/", "/tags/ni%C3%B1os"),
    ] {
        let (first, location, last, _) = visit(&stores_site, old).await;
        assert_eq!(
            (first, location.as_deref(), last),
            (301, Some(new), 200),
            "{old}"
        );
    }
}
