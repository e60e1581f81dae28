//! Rate-counter port: counts events per key in fixed windows that expire by themselves.

use super::StoreError;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Fixed-window counters (e.g. signups per hashed client address per 10 minutes).
#[async_trait]
pub trait RateCounter: Send + Sync {
    /// Adds one to `key`'s counter for the window starting at `window_start` and returns
    /// the new count. The counter may be dropped any time after `expires_at`.
    async fn hit(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}
