//! The AWS adapters against moto's server on 127.0.0.1, over real HTTP with the
//! official SDK. `infra/test.sh` starts moto and sets `LAMBDAPRESS_TEST_AWS_ENDPOINT`.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_sdk_s3::config::{Credentials, Region};
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, DynamoSubscribers, S3Content};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// moto's endpoint, or `None` when it is not running. Under `LAMBDAPRESS_REQUIRE_MOTO`
/// (set by `infra/test.sh` and CI) a missing endpoint fails the test instead.
pub fn endpoint() -> Option<String> {
    match std::env::var("LAMBDAPRESS_TEST_AWS_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ if std::env::var_os("LAMBDAPRESS_REQUIRE_MOTO").is_some() => {
            panic!("LAMBDAPRESS_REQUIRE_MOTO is set but LAMBDAPRESS_TEST_AWS_ENDPOINT is not")
        }
        _ => {
            eprintln!(
                "skipped: moto is not running (run infra/test.sh to include the AWS adapter tests)"
            );
            None
        }
    }
}

/// SDK configuration for an endpoint: dummy credentials, one region, no retries, so a
/// failure shows at once. The operation timeout is generous: moto on a loaded 2-core
/// machine can take over 10 s for a big transaction, and these tests check answers, not
/// latency (the fault tests put the functions' own timeouts back: `aws::timeouts()`).
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    lambdapress::aws::config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "lambdapress-tests",
        ))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await
}

/// A name no other test in this run uses (tests share one moto server).
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh bucket on moto behind the S3 adapter.
pub async fn s3_content(endpoint: &str) -> (S3Content, aws_sdk_s3::Client, String) {
    let config = sdk_config(endpoint).await;
    let client = lambdapress::aws::s3_client(&config);
    let bucket = unique_name("content");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("moto creates the bucket");
    (
        S3Content::new(client.clone(), bucket.clone()),
        client,
        bucket,
    )
}

/// A fresh table on moto, laid out as `template.yaml` declares, and a client for it.
pub async fn fresh_table(endpoint: &str) -> (aws_sdk_dynamodb::Client, String) {
    let config = sdk_config(endpoint).await;
    let client = lambdapress::aws::dynamodb_client(&config);
    let table = unique_name("lambdapress");
    lambdapress::aws::table::create_table(&client, &table)
        .await
        .expect("moto creates the table");
    (client, table)
}

/// A fresh table on moto behind the index adapter.
pub async fn dynamo_index(endpoint: &str) -> DynamoPostIndex {
    let (client, table) = fresh_table(endpoint).await;
    DynamoPostIndex::new(client, table)
}

/// A fresh table on moto behind both the post index and the comment store.
pub async fn dynamo_stores(endpoint: &str) -> (DynamoPostIndex, DynamoCommentStore) {
    let (client, table) = fresh_table(endpoint).await;
    (
        DynamoPostIndex::new(client.clone(), table.clone()),
        DynamoCommentStore::new(client, table),
    )
}

/// A fresh table on moto behind the comment store.
pub async fn dynamo_comments(endpoint: &str) -> DynamoCommentStore {
    dynamo_stores(endpoint).await.1
}

/// A fresh table on moto behind the subscriber store (and rate counter) adapter.
pub async fn dynamo_subscribers(endpoint: &str) -> DynamoSubscribers {
    let (client, table) = fresh_table(endpoint).await;
    DynamoSubscribers::new(client, table)
}

/// moto's dump of its recorded state (`GET /moto-api/data.json`), e.g. the messages
/// SES "sent" under `ses.Message`.
pub async fn state_dump(endpoint: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("moto accepts a connection");
    stream
        .write_all(
            format!(
                "GET /moto-api/data.json HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    let (_, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    serde_json::from_str(body).expect("moto's state dump is JSON")
}

/// A moto server of the test's own that answers one request at a time, stopped on drop.
///
/// moto's usual server is threaded, and its `TransactWriteItems` is not atomic between
/// threads: it checks each condition and writes in turn without a lock (two racing
/// transactions can both pass the same condition), and it deep-copies the table first,
/// which fails with `RuntimeError: dictionary changed size during iteration` (HTTP 500,
/// `InternalFailure`) while another request writes. Real DynamoDB serialises
/// transactions on shared items (the loser gets `TransactionCanceledException` with a
/// `TransactionConflict` or `ConditionalCheckFailed` reason). Serving one request at a
/// time gives concurrency tests that serialisation: the clients still race (reads,
/// retries, interleaved transactions), each transaction is whole.
pub struct SerialMoto {
    child: std::process::Child,
    pub endpoint: String,
}

impl Drop for SerialMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a `SerialMoto` with `LAMBDAPRESS_PYTHON` (the venv with moto), when moto tests
/// run at all.
pub async fn serial_moto() -> Option<SerialMoto> {
    endpoint()?;
    let python = std::env::var("LAMBDAPRESS_PYTHON")
        .expect("LAMBDAPRESS_PYTHON (the venv with moto) runs a serial moto server");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = format!(
        "from werkzeug.serving import run_simple\n\
         from moto.server import DomainDispatcherApplication, create_backend_app\n\
         run_simple('127.0.0.1', {port}, DomainDispatcherApplication(create_backend_app), threaded=False)\n"
    );
    let child = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python starts moto");
    let moto = SerialMoto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..150 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("serial moto did not come up on {}", moto.endpoint);
}

/// Every item of a table, ordered by key (a test's view of what a store wrote).
pub async fn scan(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("moto scans the table");
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    let key = |item: &std::collections::HashMap<_, aws_sdk_dynamodb::types::AttributeValue>| {
        ["pk", "sk"].map(|k| item.get(k).and_then(|v| v.as_s().ok()).cloned())
    };
    items.sort_by_key(key);
    items
}
