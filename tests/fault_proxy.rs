//! The fault proxy itself: it forwards to moto, and injects the faults it is told to.

use lambdapress_tests::fault_proxy::{Fault, FaultProxy, Match};
use lambdapress_tests::moto;

#[tokio::test]
async fn forwards_and_injects_faults_per_operation() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await;
    let (client, table) = moto::fresh_table(&proxy.endpoint).await;
    let describe = || client.describe_table().table_name(&table).send();
    assert!(describe().await.is_ok(), "passes through");
    proxy.fail_times(Match::target("DescribeTable"), Fault::Throttle, 1);
    let err = describe().await.expect_err("throttled once");
    assert!(
        format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))
            .contains("ThrottlingException"),
        "{err:?}"
    );
    assert!(describe().await.is_ok(), "a limited fault runs out");
    proxy.fail(Match::target("DescribeTable"), Fault::ServerError);
    assert!(describe().await.is_err());
    assert!(
        client.list_tables().send().await.is_ok(),
        "other operations pass"
    );
    proxy.clear();
    assert!(describe().await.is_ok(), "recovered");
    assert_eq!(proxy.count("DescribeTable"), 5);
    assert!(proxy.seen().iter().all(|s| s.response_bytes > 0));
}
