//! What hedging buys: the time to first chunk of 2,000 streamed calls to a
//! provider that starts in 40 to 60 ms 95 % of the time and in 2 s the
//! rest, without a hedge and with an adaptive one (the 95th percentile of
//! recent calls), and how many extra requests the hedge sent.
//!
//! The provider is simulated on tokio's paused clock, so the figures are
//! exact for the latency model and the run takes well under a second.
//!
//! ```text
//! cargo run --example hedging
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream;
use tokio::time::Instant;
use tta::prelude::*;
use tta::resilience::HedgeConfig;

const CALLS: usize = 2_000;

/// The bimodal provider: each call draws its own time to first chunk.
fn provider(
    requests: Arc<AtomicU64>,
) -> impl Primitive<Input = (), Output = ChunkStream<&'static str>> {
    from_fn("bimodal_provider", move |(): (), _ctx| {
        let n = requests.fetch_add(1, Ordering::Relaxed);
        let mut rng = fastrand::Rng::with_seed(n);
        let first = if rng.u32(0..100) < 5 {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(rng.u64(40..=60))
        };
        async move {
            tokio::time::sleep(first).await;
            ChunkStream::open(stream::iter([Ok("hello"), Ok(" world")])).await
        }
    })
}

/// The time to first chunk of every call, sorted.
async fn times_to_first_chunk(
    workflow: &impl Primitive<Input = (), Output = ChunkStream<&'static str>>,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let answer = workflow
            .run(())
            .await
            .expect("the simulated provider always answers");
        times.push(started.elapsed());
        answer.collect_vec().await.expect("and finishes");
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let plain_requests = Arc::new(AtomicU64::new(0));
    let plain = times_to_first_chunk(&provider(Arc::clone(&plain_requests))).await;

    let hedged_requests = Arc::new(AtomicU64::new(0));
    let hedge = HedgeConfig::builder()
        .adaptive(0.95, Duration::from_millis(100))
        .build()
        .expect("valid hedge");
    let hedged = times_to_first_chunk(&provider(Arc::clone(&hedged_requests)).hedge(hedge)).await;

    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    for (label, times) in [("no hedge", &plain), ("hedged", &hedged)] {
        println!(
            "{label:>9}: time to first chunk p50 {:>6.0} ms, p95 {:>6.0} ms, p99 {:>6.0} ms",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.95)),
            ms(percentile(times, 0.99))
        );
    }
    let (p99_plain, p99_hedged) = (percentile(&plain, 0.99), percentile(&hedged, 0.99));
    let extra = hedged_requests.load(Ordering::Relaxed) as f64 / CALLS as f64 - 1.0;
    println!(
        "hedging cut p99 time to first chunk by {:.0} % for {:.1} % extra requests",
        (1.0 - p99_hedged.as_secs_f64() / p99_plain.as_secs_f64()) * 100.0,
        extra * 100.0
    );
}
