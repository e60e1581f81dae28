//! The comment store's contract against the SQLite adapter and, on moto, DynamoDB.

use lambdapress::adapters::SqliteCommentStore;
use lambdapress_tests::sample::ScratchDir;
use lambdapress_tests::{comments_contract, moto};
use std::sync::Arc;

#[tokio::test]
async fn sqlite_comment_store_meets_the_contract() {
    comments_contract::comment_store(&SqliteCommentStore::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_comment_store_persists_beside_the_post_index() {
    let dir = ScratchDir::new();
    let path = dir.0.join("lambdapress.sqlite");
    let _index = lambdapress::adapters::SqlitePostIndex::open(&path).unwrap();
    comments_contract::comment_store(&SqliteCommentStore::open(&path).unwrap()).await;
}

#[tokio::test]
async fn sqlite_flood_windows_are_atomic() {
    comments_contract::throttle(&SqliteCommentStore::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_stores_500_concurrent_comments_exactly_once() {
    let dir = ScratchDir::new();
    let store = SqliteCommentStore::open(&dir.0.join("c.sqlite")).unwrap();
    comments_contract::concurrent_inserts(Arc::new(store), 1000).await;
}

#[tokio::test]
async fn dynamodb_comment_store_meets_the_contract() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    comments_contract::comment_store(&moto::dynamo_comments(&endpoint).await).await;
}

#[tokio::test]
async fn dynamodb_flood_windows_are_atomic() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    comments_contract::throttle(&moto::dynamo_comments(&endpoint).await).await;
}

#[tokio::test]
async fn dynamodb_stores_500_concurrent_comments_exactly_once() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let store = moto::dynamo_comments(&endpoint).await;
    comments_contract::concurrent_inserts(Arc::new(store), 100).await;
}
