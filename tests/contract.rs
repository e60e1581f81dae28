//! Every adapter of a port passes the same contract suite: the embedded ones always,
//! the AWS ones against moto's server.

use lambdapress::adapters::{FsContent, SqlitePostIndex};
use lambdapress_tests::sample::ScratchDir;
use lambdapress_tests::{contract, moto};

#[tokio::test]
async fn embedded_content_store_meets_the_contract() {
    let dir = ScratchDir::new();
    let store = FsContent::new(dir.0.join("content"), dir.0.join("generated"));
    contract::content_store(&store).await;
}

#[tokio::test]
async fn s3_content_store_meets_the_contract() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (store, _, _) = moto::s3_content(&endpoint).await;
    contract::content_store(&store).await;
}

#[tokio::test]
async fn sqlite_post_index_meets_the_contract() {
    contract::post_index(&SqlitePostIndex::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_post_index_persists_in_its_file() {
    let dir = ScratchDir::new();
    let path = dir.0.join("index.sqlite");
    contract::post_index(&SqlitePostIndex::open(&path).unwrap()).await;
    assert!(path.exists());
}

#[tokio::test]
async fn dynamodb_post_index_meets_the_contract() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    contract::post_index(&moto::dynamo_index(&endpoint).await).await;
}

#[tokio::test]
async fn utf8_slugs_and_tags_in_the_embedded_stores() {
    contract::post_index_utf8(&SqlitePostIndex::in_memory().unwrap()).await;
    let dir = ScratchDir::new();
    let store = FsContent::new(dir.0.join("content"), dir.0.join("generated"));
    contract::content_store_utf8(&store).await;
}

#[tokio::test]
async fn utf8_slugs_and_tags_in_s3_and_dynamodb() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    contract::post_index_utf8(&moto::dynamo_index(&endpoint).await).await;
    let (store, _, _) = moto::s3_content(&endpoint).await;
    contract::content_store_utf8(&store).await;
}

#[tokio::test]
async fn dynamodb_listings_reach_deep_pages_in_date_order() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let index = moto::dynamo_index(&endpoint).await;
    use lambdapress::ports::PostIndex;
    for day in 1..=28u8 {
        let meta = lambdapress::domain::PostMeta {
            slug: lambdapress::domain::Slug::parse(&format!("day-{day}")).unwrap(),
            title: format!("Day {day}"),
            summary: String::new(),
            date: time::Date::from_calendar_date(2024, time::Month::February, day)
                .unwrap()
                .midnight()
                .assume_utc(),
            updated: None,
            tags: vec![],
            comments_open: true,
        };
        index.upsert(&meta).await.unwrap();
    }
    let now = time::macros::datetime!(2024-12-31 00:00 UTC);
    let page = index.newest(now, 20, 5).await.unwrap();
    let got: Vec<_> = page.posts.iter().map(|p| p.slug.to_string()).collect();
    assert_eq!(got, ["day-8", "day-7", "day-6", "day-5", "day-4"]);
    assert!(page.has_more);
    let last = index.newest(now, 25, 5).await.unwrap();
    assert_eq!(last.posts.len(), 3);
    assert!(!last.has_more);
}

#[tokio::test]
async fn dynamodb_reindexing_a_post_leaves_its_comments_alone() {
    use lambdapress::domain::{
        AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, PostMeta, Slug,
        Tag,
    };
    use lambdapress::ports::{CommentStore, PostIndex};
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    // The post's index entry and its comments share the `POST#<slug>` partition.
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    let slug = Slug::parse("shared-partition").unwrap();
    let date = time::macros::datetime!(2024-03-12 09:00 UTC);
    let mut meta = PostMeta {
        slug: slug.clone(),
        title: "Shared".into(),
        summary: String::new(),
        date,
        updated: None,
        tags: vec![Tag::parse("Old").unwrap()],
        comments_open: true,
    };
    index.upsert(&meta).await.unwrap();
    let comment = Comment {
        id: CommentId::generate(),
        post: slug.clone(),
        parent: None,
        author: AuthorName::parse("Ann").unwrap(),
        email: CommentEmail::parse("ann@example.com").unwrap(),
        website: None,
        body: CommentBody::parse("Hello").unwrap(),
        body_html: "<p>Hello</p>".into(),
        status: CommentStatus::Approved,
        created_at: date,
        client_hash: "c".into(),
        fingerprint: "shared-partition-fp".into(),
    };
    comments.insert(&comment).await.unwrap();

    meta.tags = vec![Tag::parse("New").unwrap()];
    index.upsert(&meta).await.unwrap();
    index.remove(&slug).await.unwrap();
    index.upsert(&meta).await.unwrap();

    assert_eq!(
        comments.get(&comment.id).await.unwrap(),
        Some(comment.clone())
    );
    assert_eq!(comments.approved_for_post(&slug).await.unwrap(), [comment]);
    assert_eq!(index.get(&slug).await.unwrap().unwrap().tags, meta.tags);
}
