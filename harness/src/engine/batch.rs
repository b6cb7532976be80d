//! Setup work on many items at once (identities, logins, records): `concurrency` at a time, stopping at the
//! first failure. A target that fails while being set up ends the phase once the requests in flight are
//! done, not after every planned one (a hung target with thousands of records would otherwise take each
//! one's timeout in turn).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;

/// `work` on each item, `concurrency` at a time, in any order. Once a result is `failed`, the items not yet
/// started are left out (the failure is among the results).
pub(super) async fn until_failure<I, T, Fut>(
    items: impl IntoIterator<Item = I>,
    concurrency: usize,
    work: impl Fn(I) -> Fut,
    failed: impl Fn(&T) -> bool,
) -> Vec<T>
where
    Fut: Future<Output = T>,
{
    let stop = AtomicBool::new(false);
    let (stop, work, failed) = (&stop, &work, &failed);
    futures_util::stream::iter(items)
        .map(|item| async move {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            let result = work(item).await;
            if failed(&result) {
                stop.store(true, Ordering::SeqCst);
            }
            Some(result)
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|result| async move { result })
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn no_item_starts_after_a_failure() {
        let started = AtomicUsize::new(0);
        let results = until_failure(
            0..100,
            4,
            |i| {
                started.fetch_add(1, Ordering::SeqCst);
                async move { if i == 5 { Err(i) } else { Ok(i) } }
            },
            Result::is_err,
        )
        .await;
        assert!(results.contains(&Err(5)));
        // The failure stops what had not started: at most the items in flight with it follow.
        assert!(results.len() < 10, "{}", results.len());
        assert!(started.load(Ordering::SeqCst) < 100);
    }
}
