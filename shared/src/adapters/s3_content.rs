//! AWS content store: the content bucket through aws-sdk-s3.

use crate::domain::Slug;
use crate::ports::{
    ContentKey, ContentStore, Fetched, MediaHeaders, MediaKey, MediaLink, StoreError, StoredObject,
};
use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a pre-signed media URL works: well past the site's redirect to it, which
/// browsers keep for 10 minutes (`http::response::CACHE_MEDIA_LINK`).
pub const MEDIA_LINK_LIFE: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct S3Content {
    client: Client,
    bucket: String,
}

impl S3Content {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Content {
        S3Content {
            client,
            bucket: bucket.into(),
        }
    }
}

fn unavailable(what: &str, key: &str, e: impl std::error::Error) -> StoreError {
    StoreError::new(format!("S3 {what} {key}: {}", DisplayErrorContext(e)))
}

#[async_trait]
impl ContentStore for S3Content {
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .set_if_none_match(if_none_match.map(str::to_owned))
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                // A 304 arrives as an unmodelled service error: read the raw status.
                let status = e.raw_response().map(|r| r.status().as_u16());
                if status == Some(304) {
                    return Ok(Fetched::NotModified);
                }
                if status == Some(404) || e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    return Ok(Fetched::Missing);
                }
                return Err(unavailable("GetObject", key.as_str(), e));
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_owned();
        let last_modified = out
            .last_modified()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok());
        let content_type = out.content_type().map(str::to_owned);
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| unavailable("reading body of", key.as_str(), e))?
            .into_bytes()
            .to_vec();
        Ok(Fetched::Found(StoredObject {
            bytes,
            etag,
            last_modified,
            content_type,
        }))
    }

    async fn put(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .cache_control(cache_control)
            .send()
            .await
            .map_err(|e| unavailable("PutObject", key.as_str(), e))?;
        Ok(())
    }

    /// `If-Match: <etag>` (or `If-None-Match: *`): S3 answers 412 when the object
    /// changed, 404 when it was removed, and 409 when a concurrent conditional write won
    /// the race; each is a lost race, not a failure.
    async fn put_if(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .cache_control(cache_control);
        let request = match expected {
            Some(etag) => request.if_match(etag),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(412 | 409 | 404) => Ok(false),
                _ => Err(unavailable("PutObject (conditional)", key.as_str(), e)),
            },
        }
    }

    async fn delete(&self, key: &ContentKey) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| unavailable("DeleteObject", key.as_str(), e))?;
        Ok(())
    }

    /// `HeadObject` (a missing object is `Missing`, not a link to S3's error), then a
    /// GET pre-signed for `MEDIA_LINK_LIFE` whose answer S3 gives our headers
    /// (`response-content-type` and the rest), whatever the upload was stored with.
    /// Signing is local: one S3 call per request.
    async fn media_link(
        &self,
        key: &MediaKey,
        headers: &MediaHeaders,
    ) -> Result<Option<MediaLink>, StoreError> {
        let key = key.key().as_str();
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        if let Err(e) = head {
            let status = e.raw_response().map(|r| r.status().as_u16());
            if status == Some(404) || e.as_service_error().is_some_and(|s| s.is_not_found()) {
                return Ok(Some(MediaLink::Missing));
            }
            return Err(unavailable("HeadObject", key, e));
        }
        let presigning = PresigningConfig::expires_in(MEDIA_LINK_LIFE)
            .map_err(|e| unavailable("presigning", key, e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(headers.content_type)
            .response_cache_control(headers.cache_control)
            .set_response_content_disposition(headers.attachment.then(|| "attachment".into()))
            .presigned(presigning)
            .await
            .map_err(|e| unavailable("presigning GetObject", key, e))?;
        Ok(Some(MediaLink::Url(request.uri().to_owned())))
    }

    async fn list_post_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        Ok(self
            .list_post_versions()
            .await?
            .into_iter()
            .map(|(slug, _)| slug)
            .collect())
    }

    async fn list_page_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        Ok(self
            .list_versions(ContentKey::PAGES_PREFIX, ContentKey::page_slug_of)
            .await?
            .into_iter()
            .map(|(slug, _)| slug)
            .collect())
    }

    /// One paged `ListObjectsV2` over `posts/`: the listing carries each object's ETag.
    async fn list_post_versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        self.list_versions(ContentKey::POSTS_PREFIX, ContentKey::post_slug_of)
            .await
    }
}

impl S3Content {
    /// The slugs of `<prefix><slug>.md` objects with their ETags, sorted by slug.
    async fn list_versions(
        &self,
        prefix: &'static str,
        slug_of: fn(&str) -> Option<Slug>,
    ) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut versions = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| unavailable("ListObjectsV2", prefix, e))?;
            for object in page.contents() {
                let slug = object.key().and_then(slug_of);
                if let Some(slug) = slug {
                    versions.push((slug, object.e_tag().map(str::to_owned)));
                }
            }
        }
        versions.sort();
        Ok(versions)
    }
}
