//! LLM usage accounting: golden costs, run roll-ups, budgets, cache savings
//! and exact metrics under faults.
//!
//! Costs below are computed by hand from the bundled snapshot's list prices.
//! A price of $P per million tokens is P × 1000 nano-dollars per token, so
//! every expected value is a sum of `tokens × nano-dollars per token`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tta::llm::{Cost, ModelPrice, Tokens, Usage, UsageTotals, Usd};
use tta::prelude::*;
use tta::resilience::CacheConfig;
use tta_test_support::metrics;

/// Twenty-four usage shapes and what each costs, in nano-dollars.
fn golden() -> Vec<(Usage, Option<u64>)> {
    vec![
        // gpt-4o: $2.50 in, $1.25 cached, $10 out.
        (
            Usage::openai("openai", "gpt-4o", 1_000, 0, 500, 0),
            Some(1_000 * 2_500 + 500 * 10_000),
        ),
        (
            Usage::openai("openai", "gpt-4o", 10_000, 8_000, 200, 0),
            Some(2_000 * 2_500 + 8_000 * 1_250 + 200 * 10_000),
        ),
        // A dated snapshot finds its model: gpt-4o-mini, $0.15 in.
        (
            Usage::openai("openai", "gpt-4o-mini-2024-07-18", 1_000_000, 0, 0, 0),
            Some(150_000_000),
        ),
        // gpt-4o-mini, every input token cached: $0.075, out $0.60.
        (
            Usage::openai("openai", "gpt-4o-mini", 4_096, 4_096, 1, 0),
            Some(4_096 * 75 + 600),
        ),
        // o3-mini: reasoning tokens are output tokens, at $4.40.
        (
            Usage::openai("openai", "o3-mini", 2_000, 0, 3_000, 2_500),
            Some(2_000 * 1_100 + 3_000 * 4_400),
        ),
        // o4-mini: cached at $0.275 and reasoning.
        (
            Usage::openai("openai", "o4-mini", 5_000, 1_000, 1_000, 800),
            Some(4_000 * 1_100 + 1_000 * 275 + 1_000 * 4_400),
        ),
        (
            Usage::openai("openai", "gpt-5-nano", 123, 0, 45, 0),
            Some(123 * 50 + 45 * 400),
        ),
        // Claude Sonnet 4: $3 in, $3.75 cache write, $0.30 cache read, $15 out.
        (
            Usage::anthropic("claude-sonnet-4", 1_000, 0, 0, 500),
            Some(1_000 * 3_000 + 500 * 15_000),
        ),
        (
            Usage::anthropic("claude-sonnet-4", 100, 10_000, 0, 300),
            Some(100 * 3_000 + 10_000 * 3_750 + 300 * 15_000),
        ),
        (
            Usage::anthropic("claude-sonnet-4", 100, 0, 10_000, 300),
            Some(100 * 3_000 + 10_000 * 300 + 300 * 15_000),
        ),
        (
            Usage::anthropic("claude-sonnet-4", 50, 2_000, 30_000, 1_000),
            Some(50 * 3_000 + 2_000 * 3_750 + 30_000 * 300 + 1_000 * 15_000),
        ),
        // Claude 3.5 Haiku by its dated name: $0.80 in, $4 out.
        (
            Usage::anthropic("claude-3-5-haiku-20241022", 2_000, 0, 0, 100),
            Some(2_000 * 800 + 100 * 4_000),
        ),
        // Claude Opus 4.1: cache writes at $18.75, out $75.
        (
            Usage::anthropic("claude-opus-4-1", 0, 1_000, 0, 10),
            Some(1_000 * 18_750 + 10 * 75_000),
        ),
        // Claude Opus 4.5: a million in and out, $5 + $25.
        (
            Usage::anthropic("claude-opus-4-5", 1_000_000, 0, 0, 1_000_000),
            Some(30_000_000_000),
        ),
        // Gemini 2.5 Flash: $0.30 in, $0.03 cached, $2.50 out.
        (
            Usage::openai("gcp.gemini", "gemini-2.5-flash", 10_000, 5_000, 2_000, 0),
            Some(5_000 * 300 + 5_000 * 30 + 2_000 * 2_500),
        ),
        // No cache price for Gemini 2.0 Flash-Lite: cached reads pay the input rate.
        (
            Usage::new("gcp.gemini", "gemini-2.0-flash-lite")
                .input_tokens(1_000)
                .cache_read_tokens(600)
                .output_tokens(100),
            Some(1_000 * 75 + 100 * 300),
        ),
        // Groq's Llama 3.3 70B: $0.59 in, $0.79 out.
        (
            Usage::openai("groq", "llama-3.3-70b-versatile", 1_000, 0, 1_000, 0),
            Some(1_000 * 590 + 1_000 * 790),
        ),
        (
            Usage::openai("groq", "llama-3.1-8b-instant", 1_000_000, 0, 1_000_000, 0),
            Some(1_000_000 * 50 + 1_000_000 * 80),
        ),
        // Mistral Small: $0.10 in, $0.30 out.
        (
            Usage::openai("mistral_ai", "mistral-small-latest", 10_000, 0, 1_000, 0),
            Some(10_000 * 100 + 1_000 * 300),
        ),
        // Embeddings: $0.02 per million input tokens.
        (
            Usage::new("openai", "text-embedding-3-small")
                .operation("embeddings")
                .input_tokens(8_191),
            Some(8_191 * 20),
        ),
        // Priced by the model that answered, not the one asked for.
        (
            Usage::new("openai", "gpt-4o")
                .response_model("gpt-4o-mini-2024-07-18")
                .input_tokens(1_000)
                .output_tokens(100),
            Some(1_000 * 150 + 100 * 600),
        ),
        (Usage::openai("openai", "gpt-4o", 0, 0, 0, 0), Some(0)),
        // Unknown models are unpriced, never $0.
        (Usage::new("openai", "gpt-99").input_tokens(100), None),
        (
            Usage::new("ollama", "llama3.2:3b")
                .input_tokens(100)
                .output_tokens(20),
            None,
        ),
    ]
}

#[test]
fn golden_usage_shapes_cost_what_was_computed_by_hand() {
    metrics::install();
    let shapes = golden();
    assert!(shapes.len() >= 20);
    let ctx = WorkflowContext::new();
    let mut expected = UsageTotals::default();
    for (usage, nanos) in shapes {
        let tokens = usage.tokens();
        let cost = ctx.record_usage(usage.clone()).unwrap();
        let want = nanos.map_or(Cost::Unpriced, |n| Cost::Priced(Usd::from_nanos(n)));
        assert_eq!(cost, want, "{usage:?}");
        expected += UsageTotals::of(tokens, want);
    }
    assert_eq!(ctx.usage(), expected);
    assert_eq!(ctx.usage().unpriced_calls, 2);
}

#[test]
fn a_call_is_rounded_once_to_the_nearest_nano_dollar() {
    // $0.0001 per million is a tenth of a nano-dollar per token.
    let price = ModelPrice::per_million(Usd::from_nanos(100_000), Usd::ZERO);
    let tokens = |input| Tokens {
        input,
        ..Tokens::default()
    };
    assert_eq!(price.cost(&tokens(4)), Usd::ZERO);
    assert_eq!(price.cost(&tokens(5)), Usd::from_nanos(1));
    assert_eq!(price.cost(&tokens(15)), Usd::from_nanos(2));
}

#[test]
fn impossible_reports_are_rejected_whole_and_counted() {
    metrics::install();
    let ctx = WorkflowContext::new();
    let before = metrics::counter("tta_llm_usage_rejected_total", &[]);
    let error = ctx
        .record_usage(Usage::openai("openai", "gpt-4o", 10, 20, 5, 0))
        .unwrap_err();
    assert!(error.to_string().contains("cache-read"), "{error}");
    let error = ctx
        .record_usage(Usage::new("openai", "gpt-4o").output_tokens(u64::MAX / 2))
        .unwrap_err();
    assert!(
        error.to_string().contains("more than any call uses"),
        "{error}"
    );
    assert_eq!(ctx.usage(), UsageTotals::default());
    assert!(metrics::counter("tta_llm_usage_rejected_total", &[]) >= before + 2);
    // As a step's error it is a permanent user error.
    let converted: tta::Error = error.into();
    assert_eq!(converted.kind(), ErrorKind::User);
    assert!(!converted.is_transient());
}

/// A model call that reports `usage` and answers with its input.
fn llm(name: &'static str, usage: Usage) -> impl Primitive<Input = String, Output = String> {
    from_fn(name, move |prompt: String, ctx: WorkflowContext| {
        let usage = usage.clone();
        async move {
            ctx.record_usage(usage)?;
            Ok(prompt)
        }
    })
}

#[tokio::test]
async fn child_runs_roll_up_into_their_parent() {
    metrics::install();
    let parent = WorkflowContext::new();
    let child = parent.child().build();
    let grandchild = child.child().build();
    child
        .record_usage(Usage::openai("rollup", "gpt-4o", 100, 0, 10, 0))
        .unwrap();
    grandchild
        .record_usage(Usage::openai("rollup", "gpt-4o", 200, 0, 20, 0))
        .unwrap();
    assert_eq!(grandchild.usage().input_tokens, 200);
    assert_eq!(child.usage().input_tokens, 300);
    assert_eq!(parent.usage().input_tokens, 300);
    assert_eq!(parent.usage().calls, 2);
    assert_eq!(
        parent.usage().cost,
        Usd::from_nanos(300 * 2_500 + 30 * 10_000)
    );
}

#[tokio::test(start_paused = true)]
async fn a_spent_budget_stops_the_run_before_the_next_call() {
    metrics::install();
    // Each call: 1000 in, 1000 out on gpt-4o = $0.0125.
    let call = || {
        llm(
            "budget_call",
            Usage::openai("budget", "gpt-4o", 1_000, 0, 1_000, 0),
        )
    };
    let calls = Arc::new(AtomicU64::new(0));
    let counted = {
        let calls = Arc::clone(&calls);
        from_fn("budget_counted", move |prompt: String, _ctx| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(prompt) }
        })
    };
    let workflow = (counted >> call() >> call() >> call()).retry(
        RetryPolicy::builder()
            .max_attempts(3)
            .retry_if(|_| true)
            .build()
            .unwrap(),
    );
    let ctx = WorkflowContext::builder()
        .cost_budget(Usd::from_cents(2))
        .build();
    let error = workflow
        .run_with("q".to_owned(), ctx.clone())
        .await
        .unwrap_err();
    // Two calls spent $0.025 ≥ $0.02: the third never started, and nothing retried it.
    assert_eq!(ctx.usage().calls, 2);
    assert_eq!(ctx.usage().cost, Usd::from_nanos(25_000_000));
    let budget = match &error {
        Error::RetriesExhausted { last, .. } => &**last,
        other => other,
    };
    assert_eq!(budget.kind(), ErrorKind::BudgetExceeded, "{error}");
    assert_eq!(budget.to_string(), "budget of $0.02 spent ($0.025 used)");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a spent budget is not retried"
    );
    assert!(
        metrics::counter(
            "tta_primitive_errors_total",
            &[
                ("primitive_name", "budget_call"),
                ("error_kind", "budget_exceeded")
            ]
        ) >= 1
    );

    // A token budget counts input plus output.
    let ctx = WorkflowContext::builder().token_budget(2_000).build();
    let call = llm(
        "token_budget_call",
        Usage::openai("budget", "gpt-4o", 1_500, 0, 500, 0),
    );
    call.run_with("q".to_owned(), ctx.clone()).await.unwrap();
    let error = call
        .run_with("q".to_owned(), ctx.clone())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "budget of 2000 tokens spent (2000 tokens used)"
    );
    // A child run is bound by its parent's budget.
    let error = call
        .run_with("q".to_owned(), ctx.child().build())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BudgetExceeded);
}

#[tokio::test(start_paused = true)]
async fn cache_hits_and_coalesced_waits_credit_what_the_miss_cost() {
    metrics::install();
    // The miss: one call of 2000 in, 500 out on claude-sonnet-4 = $0.0135, taking 2 s.
    let answer = from_fn(
        "saved_answer",
        |prompt: String, ctx: WorkflowContext| async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            ctx.record_usage(Usage::anthropic("claude-sonnet-4", 2_000, 0, 0, 500))?;
            Ok(prompt.len())
        },
    );
    let cached = answer.cached(CacheConfig::builder().build().unwrap());
    let miss_cost = Usd::from_nanos(2_000 * 3_000 + 500 * 15_000);

    // Three callers at once: one miss, two coalesced waits.
    let ctx = WorkflowContext::new();
    let (a, b, c) = tokio::join!(
        cached.call("q".to_owned(), &ctx),
        cached.call("q".to_owned(), &ctx),
        cached.call("q".to_owned(), &ctx),
    );
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, 1, 1));
    // Then two hits.
    cached.call("q".to_owned(), &ctx).await.unwrap();
    cached.call("q".to_owned(), &ctx).await.unwrap();

    let stats = cached.stats();
    assert_eq!((stats.misses, stats.coalesced, stats.hits), (1, 2, 2));
    assert_eq!(stats.saved_tokens, 4 * 2_500);
    assert_eq!(stats.saved_cost, Usd::from_nanos(4 * miss_cost.nanos()));
    assert_eq!(stats.saved_time, Duration::from_secs(8));
    // Only the miss was spent.
    assert_eq!(ctx.usage().cost, miss_cost);
    let name = [("primitive_name", "cache(saved_answer)")];
    assert_eq!(
        metrics::counter("tta_cache_saved_tokens_total", &name),
        10_000
    );
    assert_eq!(
        metrics::counter("tta_cache_saved_cost_nano_usd_total", &name),
        4 * miss_cost.nanos()
    );
    assert_eq!(
        metrics::histogram("tta_cache_saved_seconds", &name),
        vec![2.0; 4]
    );
}

const INJECTED_PANIC: &str = "injected panic after the provider billed the call";

/// Keeps the thousand injected panics out of the test output, and every
/// other panic in it.
fn quiet_injected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&INJECTED_PANIC) {
            default(info);
        }
    }));
}

/// One deterministic call shape per index: model, token counts, and whether
/// the step then fails or panics after the provider billed it.
struct Shape {
    usage: Usage,
    /// Nano-dollars, computed here from the list prices, not by the library.
    nanos: u64,
    fails: bool,
    panics: bool,
}

fn shape(index: u64) -> Shape {
    let mut rng = fastrand::Rng::with_seed(index);
    let input = rng.u64(0..50_000);
    let output = rng.u64(0..4_000);
    let cached = rng.u64(0..=input);
    let (usage, nanos) = match rng.u8(0..3) {
        // gpt-4o-mini: 150 in, 75 cached, 600 out (nano-dollars per token).
        0 => (
            Usage::openai("faultlab", "gpt-4o-mini", input, cached, output, 0),
            (input - cached) * 150 + cached * 75 + output * 600,
        ),
        // claude-3-5-haiku: 800 in, 1000 write, 80 read, 4000 out.
        1 => {
            let write = rng.u64(0..1_000);
            (
                Usage::new("faultlab", "claude-3-5-haiku")
                    .input_tokens(input + write)
                    .cache_write_tokens(write)
                    .cache_read_tokens(cached)
                    .output_tokens(output),
                (input - cached) * 800 + write * 1_000 + cached * 80 + output * 4_000,
            )
        }
        // An unpriced in-house model.
        _ => (
            Usage::new("faultlab", "faultlab-7b")
                .input_tokens(input)
                .output_tokens(output),
            0,
        ),
    };
    Shape {
        usage,
        nanos,
        fails: rng.u8(0..10) == 0,
        panics: rng.u16(0..100) == 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_equal_the_callers_sums_over_a_hundred_thousand_faulty_runs() {
    metrics::install();
    quiet_injected_panics();
    const RUNS: u64 = 100_000;
    let step = |name: &'static str, salt: u64| {
        from_fn(name, move |index: u64, ctx: WorkflowContext| async move {
            let shape = shape(index * 2 + salt);
            ctx.record_usage(shape.usage)?;
            if shape.panics {
                std::panic::panic_any(INJECTED_PANIC);
            }
            if shape.fails {
                return Err(Error::transient("injected failure after billing"));
            }
            Ok(index)
        })
    };
    let workflow = Arc::new(step("faultlab_draft", 0) >> step("faultlab_review", 1));

    let results: Vec<(UsageTotals, UsageTotals)> = futures_util::stream::iter(0..RUNS)
        .map(|index| {
            let workflow = Arc::clone(&workflow);
            async move {
                let ctx = WorkflowContext::new();
                let outcome = workflow.run_with(index, ctx.clone()).await;
                // What this run's leaves billed, computed caller-side.
                let mut leaves = UsageTotals::default();
                for salt in 0..2 {
                    let shape = shape(index * 2 + salt);
                    let priced = shape.usage.model() != "faultlab-7b";
                    let cost = if priced {
                        Cost::Priced(Usd::from_nanos(shape.nanos))
                    } else {
                        Cost::Unpriced
                    };
                    leaves += UsageTotals::of(shape.usage.tokens(), cost);
                    if outcome.is_err() && salt == 0 && (shape.fails || shape.panics) {
                        break; // the second step never ran
                    }
                }
                (ctx.usage(), leaves)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let mut expected = UsageTotals::default();
    for (rolled_up, leaves) in &results {
        assert_eq!(
            rolled_up, leaves,
            "a run's roll-up equals the sum of its leaves"
        );
        expected += *leaves;
    }
    assert!(expected.calls > RUNS, "{expected:?}");

    // Exact equality on the series only this test writes: provider `faultlab`.
    let provider = [("provider", "faultlab")];
    assert_eq!(
        metrics::counter("tta_llm_calls_total", &provider),
        expected.calls
    );
    assert_eq!(
        metrics::counter("tta_llm_unpriced_calls_total", &provider),
        expected.unpriced_calls
    );
    assert_eq!(
        metrics::counter("tta_llm_tokens_total", &provider),
        expected.total_tokens()
    );
    assert_eq!(
        metrics::counter("tta_llm_cost_nano_usd_total", &provider),
        expected.cost.nanos()
    );
}
