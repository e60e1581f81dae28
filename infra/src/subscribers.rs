//! Operator commands on the subscriber store: export the confirmed list, erase one
//! address. The CLI runs them on the local file or on the deployed table.

use crate::csv;
use lambdapress::domain::time_fmt::sort_key;
use lambdapress::domain::SubscriberEmail;
use lambdapress::ports::{StoreError, SubscriberStore};

/// Confirmed subscribers as CSV: `email,confirmed_at,signed_up_at,source`, with a header.
pub async fn export_csv(store: &dyn SubscriberStore) -> Result<String, StoreError> {
    let mut out = csv::row(&["email", "confirmed_at", "signed_up_at", "source"]);
    for s in store.confirmed().await? {
        out.push_str(&csv::row(&[
            s.email.as_str(),
            &s.confirmed_at.map(sort_key).unwrap_or_default(),
            &sort_key(s.signed_up_at),
            &s.source,
        ]));
    }
    Ok(out)
}

/// Removes every trace of `email` from the store; returns whether a record existed.
pub async fn erase(
    store: &dyn SubscriberStore,
    email: &SubscriberEmail,
) -> Result<bool, StoreError> {
    store.erase(email).await
}
