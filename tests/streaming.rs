//! Streaming primitives on the paused clock: a streamed call is one
//! execution from the call to the last chunk; wrappers act only before the
//! first chunk; every limit fires on time; the metrics say what happened.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;
use tta::catalog;
use tta::llm::Usage;
use tta::prelude::*;
use tta::resilience::{HedgeConfig, RetryBudget};
use tta::stream::{StreamExt, StreamTimeouts};
use tta_test_support::metrics;
use tta_test_support::scripted_stream::{Event, Script, Scripted};
use tta_test_support::spans;

const MS: Duration = Duration::from_millis(1);

fn active(kind: &str) -> f64 {
    metrics::gauge(catalog::ACTIVE_EXECUTIONS, &[("primitive_type", kind)]).unwrap_or(0.0)
}

fn outcomes(name: &str, outcome: &str) -> u64 {
    metrics::counter(
        catalog::STREAM_OUTCOMES_TOTAL,
        &[("primitive_name", name), ("outcome", outcome)],
    )
}

fn executions(name: &str, status: &str) -> u64 {
    metrics::counter(
        catalog::PRIMITIVE_EXECUTIONS_TOTAL,
        &[("primitive_name", name), ("status", status)],
    )
}

fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .backoff(Backoff::constant(MS))
        .jitter(Jitter::None)
        .build()
        .unwrap()
}

async fn drain(mut stream: ChunkStream<String>) -> (Vec<String>, Option<Error>) {
    let mut chunks = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => chunks.push(chunk),
            Err(error) => return (chunks, Some(error)),
        }
    }
    (chunks, None)
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_streamed_call_resolves_at_the_first_chunk_and_runs_until_the_last() {
    metrics::install();
    let (_guard, captured) = spans::capture();
    let name = "stream_lifecycle";
    let provider = Scripted::new(
        name,
        Kind::new(name),
        vec![],
        Script::chunks(100 * MS, 10 * MS, 5),
    );
    let started = Instant::now();
    let stream = provider.run(()).await.unwrap();
    assert_eq!(
        started.elapsed(),
        100 * MS,
        "the call resolves at the first chunk"
    );
    assert_eq!(active(name), 1.0, "still running while the stream is read");
    assert!(captured.events_named("primitive_complete").is_empty());

    let (chunks, error) = drain(stream).await;
    assert!(error.is_none());
    assert_eq!(chunks, ["0:0", "0:1", "0:2", "0:3", "0:4"]);
    assert_eq!(active(name), 0.0);

    let complete = captured.events_named("primitive_complete");
    assert_eq!(complete.len(), 1, "one execution, finished once");
    assert_eq!(complete[0].field("duration_ms"), Some("140.0"));
    let duration = metrics::histogram(
        catalog::EXECUTION_DURATION_SECONDS,
        &[("primitive_name", name)],
    );
    assert_eq!(duration, [0.14]);
    let to_first = metrics::histogram(
        catalog::STREAM_TIME_TO_FIRST_CHUNK_SECONDS,
        &[("primitive_name", name)],
    );
    assert_eq!(to_first, [0.1]);
    let per_chunk = metrics::histogram(
        catalog::STREAM_TIME_PER_CHUNK_SECONDS,
        &[("primitive_name", name)],
    );
    assert_eq!(per_chunk, [0.01; 4]);
    assert_eq!(
        metrics::counter(catalog::STREAM_CHUNKS_TOTAL, &[("primitive_name", name)]),
        5
    );
    assert_eq!(outcomes(name, "completed"), 1);
    assert_eq!(executions(name, "success"), 1);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_dropped_stream_is_a_cancelled_execution_at_every_level() {
    metrics::install();
    let name = "stream_dropped";
    let provider = Scripted::new(
        name,
        Kind::new(name),
        vec![],
        Script::chunks(10 * MS, 10 * MS, 50),
    );
    let workflow = provider
        .retry(quick_retry(3))
        .named("stream_dropped_workflow");
    let mut stream = workflow.run(()).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), "0:0");
    assert_eq!(stream.next().await.unwrap().unwrap(), "0:1");
    assert_eq!(active(name), 1.0);
    drop(stream);

    assert_eq!(active(name), 0.0, "a dropped stream releases the gauge");
    assert_eq!(outcomes(name, "cancelled"), 1);
    assert_eq!(executions(name, "error"), 1);
    assert_eq!(
        executions("stream_dropped_workflow", "error"),
        1,
        "the run is cancelled too"
    );
    let cancelled = metrics::counter(
        catalog::PRIMITIVE_ERRORS_TOTAL,
        &[("primitive_name", name), ("error_kind", "cancelled")],
    );
    assert_eq!(cancelled, 1);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_error_after_the_first_chunk_is_the_last_item_and_is_never_retried() {
    metrics::install();
    let name = "stream_mid_failure";
    let script = Script::chunks(10 * MS, 10 * MS, 3).then(10 * MS, Event::Fail);
    let provider = Scripted::new(
        name,
        Kind::new(name),
        vec![script],
        Script::chunks(MS, MS, 3),
    );
    let retried = provider
        .retry(quick_retry(5))
        .named("stream_mid_failure_retry");
    let (chunks, error) = drain(retried.run(()).await.unwrap()).await;
    assert_eq!(
        chunks,
        ["0:0", "0:1", "0:2"],
        "the chunks of one upstream, once each"
    );
    assert!(error.unwrap().is_transient());
    assert_eq!(
        retried.inner().inner().calls(),
        1,
        "no retry after the first chunk"
    );
    assert_eq!(outcomes(name, "failed_mid_stream"), 1);
    assert_eq!(executions(name, "error"), 1);
    assert_eq!(executions("stream_mid_failure_retry", "error"), 1);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn failures_before_the_first_chunk_are_retried_and_counted() {
    metrics::install();
    let name = "stream_early_failures";
    let provider = Scripted::new(
        name,
        Kind::new(name),
        vec![Script::fail_first(5 * MS), Script::fail_first(5 * MS)],
        Script::chunks(5 * MS, MS, 2),
    );
    let retried = provider.retry(quick_retry(3));
    let (chunks, error) = drain(retried.run(()).await.unwrap()).await;
    assert!(error.is_none());
    assert_eq!(chunks, ["2:0", "2:1"]);
    assert_eq!(outcomes(name, "failed_before_first_chunk"), 2);
    assert_eq!(outcomes(name, "completed"), 1);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_time_to_first_chunk_limit_fires_on_its_deadline_over_a_thousand_runs() {
    metrics::install();
    let name = "stream_ttfc_limit";
    let limit = 200 * MS;
    let mut rng = fastrand::Rng::with_seed(17);
    let delays: Vec<Duration> = (0..1_000).map(|_| MS * rng.u32(1..400) + MS / 2).collect();
    let scripts = delays
        .iter()
        .map(|first| Script::chunks(*first, MS, 2))
        .collect();
    let provider = Scripted::new(name, Kind::new(name), scripts, Script::default());
    let limited = provider.stream_timeouts(
        StreamTimeouts::builder()
            .first_chunk(limit)
            .build()
            .unwrap(),
    );

    let mut overshoots = Vec::new();
    for first in &delays {
        let started = Instant::now();
        match limited.run(()).await {
            Ok(stream) => {
                assert!(*first < limit, "answered after {first:?}, past the limit");
                assert_eq!(stream.collect_vec().await.unwrap().len(), 2);
            }
            Err(error) => {
                assert!(
                    *first > limit,
                    "timed out although the chunk came at {first:?}"
                );
                assert!(matches!(error, Error::Timeout { after } if after == limit));
                overshoots.push(started.elapsed() - limit);
            }
        }
    }
    overshoots.sort();
    let p99 = overshoots[overshoots.len() * 99 / 100];
    assert!(overshoots.len() > 400, "{} timeouts", overshoots.len());
    assert!(p99 <= 20 * MS, "p99 overshoot {p99:?}");
    let timeouts = metrics::counter(
        catalog::TIMEOUTS_TOTAL,
        &[("primitive_name", "stream_timeouts(stream_ttfc_limit)")],
    );
    assert_eq!(timeouts, overshoots.len() as u64);
    assert_eq!(active(name), 0.0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn idle_and_total_limits_end_a_started_stream_with_a_timeout() {
    metrics::install();
    let (_guard, captured) = spans::capture();
    let name = "stream_idle_total";
    let stalls = Script::chunks(10 * MS, 10 * MS, 2).then(Duration::ZERO, Event::Stall);
    let slow = Script::chunks(10 * MS, 40 * MS, 100);
    let provider = Scripted::new(name, Kind::new(name), vec![stalls, slow], Script::default());
    let limits = StreamTimeouts::builder()
        .idle(50 * MS)
        .total(300 * MS)
        .build()
        .unwrap();
    let limited = provider.stream_timeouts(limits);

    let started = Instant::now();
    let (chunks, error) = drain(limited.run(()).await.unwrap()).await;
    assert_eq!(chunks, ["0:0", "0:1"]);
    assert!(matches!(error, Some(Error::Timeout { after }) if after == 50 * MS));
    assert_eq!(
        started.elapsed(),
        20 * MS + 50 * MS,
        "50 ms after the last chunk"
    );
    assert_eq!(captured.events_named("stream_idle_timeout").len(), 1);

    let started = Instant::now();
    let (chunks, error) = drain(limited.run(()).await.unwrap()).await;
    assert!(matches!(error, Some(Error::Timeout { after }) if after == 300 * MS));
    assert_eq!(started.elapsed(), 300 * MS);
    assert_eq!(chunks.len(), 8, "chunks at 10, 50, .., 290 ms");
    assert_eq!(captured.events_named("stream_total_timeout").len(), 1);
    assert_eq!(outcomes(name, "failed_mid_stream"), 2);
    assert_eq!(active(name), 0.0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_fallback_answers_only_when_the_primary_fails_before_its_first_chunk() {
    metrics::install();
    let kind = Kind::new("stream_fallback");
    let primary = Scripted::new(
        "stream_fallback_primary",
        kind,
        vec![
            Script::fail_first(5 * MS),
            Script::chunks(MS, MS, 2).then(MS, Event::Fail),
        ],
        Script::default(),
    );
    let backup = Scripted::new(
        "stream_fallback_backup",
        kind,
        vec![],
        Script::chunks(MS, MS, 3),
    );
    let chain = primary.fallback(backup);

    let (chunks, error) = drain(chain.run(()).await.unwrap()).await;
    assert_eq!(
        (chunks, error.is_none()),
        (vec!["0:0".into(), "0:1".into(), "0:2".into()], true)
    );
    let (chunks, error) = drain(chain.run(()).await.unwrap()).await;
    assert_eq!(
        chunks,
        ["1:0", "1:1"],
        "the primary's chunks, not spliced with the backup's"
    );
    assert!(error.is_some());
    assert_eq!(active("stream_fallback"), 0.0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_hedge_keeps_the_first_stream_to_start_and_cancels_the_other() {
    metrics::install();
    let name = "stream_hedged";
    let provider = Scripted::new(
        name,
        Kind::new(name),
        vec![
            Script::chunks(2_000 * MS, MS, 3),
            Script::chunks(50 * MS, MS, 3),
        ],
        Script::default(),
    );
    let hedged = provider.hedge(HedgeConfig::builder().delay(100 * MS).build().unwrap());
    let started = Instant::now();
    let stream = hedged.run(()).await.unwrap();
    assert_eq!(started.elapsed(), 150 * MS);
    let (chunks, _) = drain(stream).await;
    assert_eq!(chunks, ["1:0", "1:1", "1:2"]);
    let hedge_name = "hedge(stream_hedged)";
    assert_eq!(
        metrics::counter(
            catalog::HEDGES_STARTED_TOTAL,
            &[("primitive_name", hedge_name)]
        ),
        1
    );
    assert_eq!(
        metrics::counter(catalog::HEDGES_WON_TOTAL, &[("primitive_name", hedge_name)]),
        1
    );
    assert_eq!(
        executions(name, "error"),
        1,
        "the slow attempt was cancelled"
    );
    assert_eq!(executions(name, "success"), 1);
    assert_eq!(active(name), 0.0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_budget_holds_attempts_to_the_ratio_against_a_provider_that_always_fails() {
    metrics::install();
    let name = "stream_budgeted";
    let provider = Scripted::new(name, Kind::new(name), vec![], Script::fail_first(MS));
    let budget = RetryBudget::builder()
        .ratio(0.2)
        .reserve(10)
        .build()
        .unwrap();
    let hedge = HedgeConfig::builder()
        .delay(MS / 2)
        .budget(budget.clone())
        .build()
        .unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(5)
        .backoff(Backoff::constant(MS))
        .jitter(Jitter::None)
        .budget(budget)
        .build()
        .unwrap();
    let guarded = provider.retry(policy).hedge(hedge);
    let requests = 500;
    for _ in 0..requests {
        assert!(guarded.run(()).await.is_err());
    }
    // Ten seconds' window: every request and extra attempt is still in it.
    let attempts = guarded.inner().inner().calls();
    assert!(
        f64::from(attempts) <= 1.2 * f64::from(requests) + 10.0,
        "{attempts} attempts for {requests} requests"
    );
    assert!(attempts > requests, "the reserve and the ratio were used");
    let refused = metrics::counter(catalog::RETRY_BUDGET_EXHAUSTED_TOTAL, &[]);
    assert!(refused > 0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn usage_reported_at_the_end_of_the_stream_counts_for_the_call_that_opened_it() {
    metrics::install();
    let name = "stream_usage";
    let provider = Scripted::new(name, Kind::new(name), vec![], Script::chunks(MS, MS, 3))
        .reporting(Usage::openai("openai", "gpt-4o-mini", 120, 0, 30, 0));
    let ctx = WorkflowContext::new();
    let stream = provider.run_with((), ctx.clone()).await.unwrap();
    assert_eq!(ctx.usage().calls, 0, "nothing reported before the end");
    stream.collect_vec().await.unwrap();
    let usage = ctx.usage();
    assert_eq!(
        (usage.calls, usage.input_tokens, usage.output_tokens),
        (1, 120, 30)
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_stream_ends_a_chain_and_collected_gives_the_next_step_the_whole_answer() {
    metrics::install();
    let (_guard, captured) = spans::capture();
    let kind = Kind::new("stream_chain");
    let prepare = from_fn("stream_chain_prepare", |_: (), _ctx| async move { Ok(()) });
    let provider = Scripted::new(
        "stream_chain_provider",
        kind,
        vec![],
        Script::chunks(MS, MS, 3),
    );
    let chain = prepare >> provider;
    let stream = chain.run(()).await.unwrap();
    assert_eq!(stream.collect_vec().await.unwrap(), ["0:0", "0:1", "0:2"]);
    let complete = captured.events_named("sequential_workflow_complete");
    assert_eq!(
        complete.last().unwrap().field("duration_ms"),
        Some("3.0"),
        "the chain ran until the stream ended"
    );

    let provider = Scripted::new(
        "stream_chain_collected",
        kind,
        vec![],
        Script::chunks(MS, MS, 4),
    );
    let count = from_fn(
        "stream_chain_count",
        |chunks: Vec<String>, _ctx| async move { Ok(chunks.len()) },
    );
    assert_eq!((provider.collected() >> count).run(()).await.unwrap(), 4);
    assert_eq!(active("stream_chain"), 0.0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_runs_deadline_and_cancellation_end_its_stream() {
    metrics::install();
    let kind = Kind::new("stream_run_guard");
    let slow = Script::chunks(MS, 100 * MS, 100);
    let provider = Scripted::new("stream_run_guard", kind, vec![], slow);
    let ctx = WorkflowContext::builder().timeout(250 * MS).build();
    let (chunks, error) = drain(provider.run_with((), ctx).await.unwrap()).await;
    assert_eq!(chunks.len(), 3);
    assert!(matches!(error, Some(Error::Timeout { .. })));

    let ctx = WorkflowContext::new();
    let mut stream = provider.run_with((), ctx.clone()).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    ctx.cancel();
    assert!(matches!(stream.next().await, Some(Err(Error::Cancelled))));
    assert!(stream.next().await.is_none());
    assert_eq!(active("stream_run_guard"), 0.0);
    assert_eq!(provider.guard.late_calls.load(Ordering::SeqCst), 0);
}

/// The bimodal provider of the issue: 95 % start in 40 to 60 ms, 5 % in 2 s.
fn bimodal(name: &'static str, calls: usize, seed: u64) -> Scripted {
    let mut rng = fastrand::Rng::with_seed(seed);
    let scripts = (0..calls * 2)
        .map(|_| {
            let first = if rng.u32(0..100) < 5 {
                2_000 * MS
            } else {
                MS * rng.u32(40..=60)
            };
            Script::chunks(first, MS, 2)
        })
        .collect();
    Scripted::new(name, Kind::new(name), scripts, Script::default())
}

async fn p99_time_to_first_chunk(
    workflow: &impl Primitive<Input = (), Output = ChunkStream<String>>,
    calls: usize,
) -> Duration {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let stream = workflow.run(()).await.unwrap();
        times.push(started.elapsed());
        stream.collect_vec().await.unwrap();
    }
    times.sort();
    times[times.len() * 99 / 100]
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_adaptive_hedge_halves_the_p99_time_to_first_chunk_for_a_tenth_more_requests() {
    metrics::install();
    let calls = 1_000;
    let plain = bimodal("stream_bimodal_plain", calls, 3);
    let p99_plain = p99_time_to_first_chunk(&plain, calls).await;
    let hedge = HedgeConfig::builder()
        .adaptive(0.95, 100 * MS)
        .build()
        .unwrap();
    let hedged = bimodal("stream_bimodal_hedged", calls, 3).hedge(hedge);
    let p99_hedged = p99_time_to_first_chunk(&hedged, calls).await;
    assert_eq!(p99_plain, 2_000 * MS);
    assert!(
        p99_hedged * 2 <= p99_plain,
        "p99 {p99_hedged:?} against {p99_plain:?}"
    );
    let extra = f64::from(hedged.inner().calls()) / calls as f64 - 1.0;
    assert!(extra <= 0.10, "{:.1} % extra requests", extra * 100.0);
    assert_eq!(hedged.inner().guard.late_calls.load(Ordering::SeqCst), 0);
}

/// A user's streaming step, written with `#[primitive]` as any other.
struct Spell;

#[tta::primitive(name = "stream_spell")]
impl Spell {
    async fn execute(
        &self,
        word: String,
        _ctx: &WorkflowContext,
    ) -> tta::Result<ChunkStream<char>> {
        let letters: Vec<tta::Result<char>> = word.chars().map(Ok).collect();
        ChunkStream::open(futures_util::stream::iter(letters)).await
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_primitive_attribute_type_streams_with_the_same_telemetry() {
    metrics::install();
    let upper = from_fn("stream_spell_upper", |word: String, _ctx| async move {
        Ok(word.to_uppercase())
    });
    let chain = upper >> Spell;
    let stream = chain.run("abc".to_owned()).await.unwrap();
    assert_eq!(stream.collect_vec().await.unwrap(), ['A', 'B', 'C']);
    assert_eq!(
        metrics::counter(
            catalog::STREAM_CHUNKS_TOTAL,
            &[("primitive_name", "stream_spell")]
        ),
        3
    );
    assert_eq!(outcomes("stream_spell", "completed"), 1);
}
