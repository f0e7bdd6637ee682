//! Tokens per minute under load, on tokio's paused clock: 32 concurrent
//! callers never push any 60-second window past the limit, and the
//! limiter's refunds let them use nearly all of it.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tta::llm::Usage;
use tta::prelude::*;
use tta::resilience::TokenLimitConfig;

const LIMIT: u64 = 100_000;
const WINDOW: Duration = Duration::from_secs(60);
const HORIZON: Duration = Duration::from_secs(600);
const CALLERS: u64 = 32;
/// The estimate each call reserves: `max_tokens` (2,000) plus the longest prompt (3,000).
const ESTIMATE: u64 = 5_000;

/// When each call reached the provider, and the tokens it billed.
type Billed = Arc<Mutex<Vec<(Instant, u64)>>>;

#[tokio::test(start_paused = true)]
async fn thirty_two_callers_never_overshoot_a_window_and_use_most_of_it() {
    let billed: Billed = Arc::default();
    let log = Arc::clone(&billed);
    let call = from_fn("tpm_call", move |n: u64, ctx: WorkflowContext| {
        let log = Arc::clone(&log);
        async move {
            let started = Instant::now();
            let mut rng = fastrand::Rng::with_seed(n);
            let (input, output) = (rng.u64(500..3_000), rng.u64(100..2_000));
            tokio::time::sleep(Duration::from_millis(rng.u64(200..3_000))).await;
            ctx.record_usage(Usage::openai("tpm", "gpt-4o-mini", input, 0, output, 0))?;
            log.lock().unwrap().push((started, input + output));
            Ok(())
        }
    });
    let config = TokenLimitConfig::per_window(LIMIT, WINDOW).build().unwrap();
    let limited = Arc::new(call.token_limit(config, |_: &u64| ESTIMATE));
    let start = Instant::now();
    let callers = (0..CALLERS).map(|caller| {
        let limited = Arc::clone(&limited);
        tokio::spawn(async move {
            let mut n = caller;
            while start.elapsed() < HORIZON {
                limited.run(n).await.unwrap();
                n += CALLERS;
            }
        })
    });
    for caller in callers.collect::<Vec<_>>() {
        caller.await.unwrap();
    }

    let mut billed = billed.lock().unwrap().clone();
    billed.sort_by_key(|(at, _)| *at);
    // Every window is the trailing window of its last call, or holds less.
    let mut worst = 0;
    for (index, (end, _)) in billed.iter().enumerate() {
        let in_window: u64 = billed[..=index]
            .iter()
            .rev()
            .take_while(|(at, _)| *at + WINDOW > *end)
            .map(|(_, tokens)| tokens)
            .sum();
        worst = worst.max(in_window);
    }
    assert!(
        worst <= LIMIT,
        "a window billed {worst} tokens, over the limit of {LIMIT}"
    );

    let used: u64 = billed
        .iter()
        .filter(|(at, _)| at.duration_since(start) < HORIZON)
        .map(|(_, tokens)| tokens)
        .sum();
    let allowed = LIMIT * (HORIZON.as_secs() / WINDOW.as_secs());
    let share = used as f64 / allowed as f64;
    assert!(
        share >= 0.95,
        "used {used} of {allowed} tokens ({:.1} %)",
        share * 100.0
    );
    println!(
        "busiest window {worst} of {LIMIT}; used {:.2} % of the limit over {HORIZON:?}",
        share * 100.0
    );
}

#[tokio::test(start_paused = true)]
async fn a_rejecting_limit_says_when_there_is_room_and_a_dropped_wait_gives_it_back() {
    let call = from_fn("tpm_reject", |_: u64, ctx: WorkflowContext| async move {
        ctx.record_usage(Usage::openai("tpm", "gpt-4o-mini", 6_000, 0, 0, 0))?;
        Ok(())
    });
    let reject = call.token_limit(
        TokenLimitConfig::per_minute(10_000)
            .on_limit(OnLimit::Reject)
            .build()
            .unwrap(),
        |_: &u64| 6_000,
    );
    reject.run(1).await.unwrap();
    let error = reject.run(2).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait) } if wait == WINDOW),
        "{error:?}"
    );

    // An estimate larger than a whole window can never pass: a clear, permanent error.
    let error = reject
        .token_limit(
            TokenLimitConfig::per_minute(100).build().unwrap(),
            |_: &u64| 101,
        )
        .run(3)
        .await
        .unwrap_err();
    assert!(!error.is_transient());
    assert!(
        error
            .to_string()
            .contains("101 tokens is more than the 100"),
        "{error}"
    );

    // A caller that stops waiting frees its place for the next one.
    let waits = from_fn("tpm_wait", |_: u64, ctx: WorkflowContext| async move {
        ctx.record_usage(Usage::openai("tpm", "gpt-4o-mini", 10_000, 0, 0, 0))?;
        Ok(())
    })
    .token_limit(
        TokenLimitConfig::per_minute(10_000).build().unwrap(),
        |_: &u64| 10_000,
    );
    let waits = Arc::new(waits);
    waits.run(1).await.unwrap();
    let abandoned = tokio::time::timeout(Duration::from_secs(5), waits.run(2)).await;
    assert!(abandoned.is_err(), "the second call had to wait a minute");
    let start = Instant::now();
    waits.run(3).await.unwrap();
    assert_eq!(
        start.elapsed(),
        WINDOW - Duration::from_secs(5),
        "the abandoned reservation was given back"
    );
}

#[test]
fn a_window_longer_than_a_year_is_refused_by_name() {
    let error = TokenLimitConfig::per_window(1_000, Duration::MAX)
        .build()
        .expect_err("refused");
    assert_eq!(error.field(), "window");
    assert!(error.to_string().contains("366 days"), "{error}");
    assert!(
        TokenLimitConfig::per_window(1_000, Duration::from_secs(366 * 86_400))
            .build()
            .is_ok()
    );
}
