//! A moto bucket as the tests see it from outside the adapters: write, read, list and
//! remove objects directly, as an owner's upload or an S3 console would.

use crate::sample::sample_content_dir;

/// One object as `Bucket::get` read it.
pub struct Stored {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub etag: String,
}

/// A bucket on moto and the test's own client for it (not the function's).
#[derive(Clone)]
pub struct Bucket {
    pub client: aws_sdk_s3::Client,
    pub name: String,
}

impl Bucket {
    pub fn new(client: aws_sdk_s3::Client, name: String) -> Bucket {
        Bucket { client, name }
    }

    /// Writes an object without any S3 event reaching a function.
    pub async fn put(&self, key: &str, bytes: impl AsRef<[u8]>) {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(bytes.as_ref().to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutObject {key}: {e}"));
    }

    /// The sample site's `site.toml`, as every site's bucket holds one.
    pub async fn put_sample_settings(&self) {
        let settings = std::fs::read(sample_content_dir().join("site.toml")).unwrap();
        self.put("site.toml", &settings).await;
    }

    pub async fn remove(&self, key: &str) {
        self.client
            .delete_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteObject {key}: {e}"));
    }

    /// The object as stored; `None` when it is absent.
    pub async fn get(&self, key: &str) -> Option<Stored> {
        let out = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .ok()?;
        let content_type = out.content_type().map(str::to_owned);
        let cache_control = out.cache_control().map(str::to_owned);
        let etag = out.e_tag().unwrap_or_default().to_owned();
        let bytes = out.body.collect().await.unwrap().into_bytes().to_vec();
        Some(Stored {
            bytes,
            content_type,
            cache_control,
            etag,
        })
    }

    /// The object's body, content type and cache control; `None` when it is absent.
    pub async fn object(&self, key: &str) -> Option<(String, Option<String>, Option<String>)> {
        let stored = self.get(key).await?;
        Some((
            String::from_utf8(stored.bytes).unwrap(),
            stored.content_type,
            stored.cache_control,
        ))
    }

    /// The object's body as text; `None` when it is absent.
    pub async fn text(&self, key: &str) -> Option<String> {
        self.object(key).await.map(|(text, _, _)| text)
    }

    /// Every key under `prefix`.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    }

    /// Keeps every version of every object from now on.
    pub async fn enable_versioning(&self) {
        self.client
            .put_bucket_versioning()
            .bucket(&self.name)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// How many versions of `key` the bucket holds (with versioning on: one per write).
    pub async fn versions(&self, key: &str) -> usize {
        let out = self
            .client
            .list_object_versions()
            .bucket(&self.name)
            .prefix(key)
            .send()
            .await
            .unwrap();
        out.versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .count()
    }
}
