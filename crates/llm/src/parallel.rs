//! Bounded parallelism: run k calls with at most `concurrency` in flight, so a
//! review's wall time approaches ceil(k / concurrency) × one call's latency
//! while staying inside the model's concurrent-request limit.

use futures_util::stream::{self, StreamExt};
use std::future::Future;

/// Runs `f` over `items` with at most `concurrency` futures in flight (at
/// least one), and returns the results in input order. Unordered completion
/// keeps a slow head from holding back the slots behind it.
pub async fn run_bounded<I, F, Fut>(items: I, concurrency: usize, mut f: F) -> Vec<Fut::Output>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    let mut out: Vec<(usize, Fut::Output)> = stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| {
            let fut = f(item);
            async move { (i, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    argus_core::sort::sort_by_key(&mut out, |(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}
