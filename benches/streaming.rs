//! What streaming through TTA.dev costs, with telemetry on (the Prometheus
//! recorder and a subscriber at `info`), in the same process and run as
//! its peers:
//!
//! - `stream_100_chunks`: reading a 100-chunk stream bare, through a
//!   `ChunkStream` alone, through a streaming primitive's call (span,
//!   metrics, time to first chunk, per-chunk counts and gaps), beside a
//!   hand-written peer (`tracing::Instrument` on the reading loop, a counter
//!   per chunk and a histogram at the end);
//! - `first_chunk_limit`: a first-chunk limit of 2 ms against an upstream
//!   that never answers, on the real clock, beside tokio's own `timeout`
//!   around the same pending future: what `stream_timeouts` adds to when a
//!   timeout fires.
//!
//! `cargo bench --bench streaming`; see docs/benchmarks.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use futures_util::stream;
use tracing::Instrument;
use tta::prelude::*;
use tta::stream::StreamExt;

const CHUNKS: u64 = 100;

fn chunks() -> impl tta::stream::Stream<Item = tta::Result<u64>> + Send + 'static {
    stream::iter((0..CHUNKS).map(Ok))
}

async fn read(mut chunks: impl tta::stream::Stream<Item = tta::Result<u64>> + Unpin) -> u64 {
    let mut sum = 0;
    while let Some(chunk) = chunks.next().await {
        sum += chunk.unwrap_or_default();
    }
    black_box(sum)
}

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        .install()
        .expect("telemetry installs in a fresh process");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let ctx = WorkflowContext::new();
    let streaming = from_fn("bench_stream", |(): (), _ctx| async move {
        ChunkStream::open(chunks()).await
    });
    let stalls = from_fn("bench_stall", |(): (), _ctx| async move {
        ChunkStream::open(stream::pending::<tta::Result<u64>>()).await
    });
    let limit = Duration::from_millis(2);
    let limited = stalls.stream_timeouts(
        StreamTimeouts::builder()
            .first_chunk(limit)
            .build()
            .expect("valid limits"),
    );
    let chunk_counter = metrics::counter!("bench_stream_chunks_total");
    let duration = metrics::histogram!("bench_stream_seconds");

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("stream_100_chunks");
    group.bench_function("bare", |b| b.to_async(&runtime).iter(|| read(chunks())));
    group.bench_function("ChunkStream::open", |b| {
        b.to_async(&runtime).iter(|| async {
            let opened = ChunkStream::open(chunks()).await.expect("a stream");
            read(opened).await
        })
    });
    group.bench_function("streaming primitive, call", |b| {
        b.to_async(&runtime).iter(|| async {
            let opened = streaming.call((), &ctx).await.expect("a stream");
            read(opened).await
        })
    });
    group.bench_function("hand-written #[instrument] peer", |b| {
        b.to_async(&runtime).iter(|| {
            let span = tracing::info_span!("bench_stream_peer");
            let (chunk_counter, duration) = (chunk_counter.clone(), duration.clone());
            async move {
                let started = std::time::Instant::now();
                let mut chunks = chunks();
                let mut sum = 0;
                while let Some(chunk) = chunks.next().await {
                    chunk_counter.increment(1);
                    sum += chunk.unwrap_or_default();
                }
                duration.record(started.elapsed().as_secs_f64());
                black_box(sum)
            }
            .instrument(span)
        })
    });
    group.finish();

    let mut group = criterion.benchmark_group("first_chunk_limit");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("tokio::time::timeout (peer)", |b| {
        b.to_async(&runtime).iter(|| async {
            let pending = std::future::pending::<()>();
            black_box(tokio::time::timeout(limit, pending).await.is_err())
        })
    });
    group.bench_function("stream_timeouts, first chunk", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(limited.call((), &ctx).await.is_err()) })
    });
    group.finish();
    criterion.final_summary();
}
