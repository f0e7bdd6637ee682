//! A simulated streaming chat model and the resilient streamed call built
//! on it, with no network: shared by the `streaming_chat` example and the
//! live demo.
//!
//! The model starts answering after 30 to 80 ms most of the time and after
//! about 1.5 s one time in twenty, as a provider with a cold replica does;
//! it then sends a token every 5 to 25 ms and reports its usage with the
//! last chunk. While `outage` is set, it fails before answering.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream;
use tta::instrument::GenAiCall;
use tta::llm::Usage;
use tta::prelude::*;
use tta::resilience::{HedgeConfig, RetryBudget};
use tta::stream::StreamExt;

const WORDS: &[&str] = &[
    "Streams ", "arrive ", "token ", "by ", "token, ", "and ", "the ", "first ", "one ", "is ",
    "what ", "a ", "reader ", "waits ", "for.",
];

/// The simulated model, as a primitive whose output is a stream of words.
pub(crate) fn model(
    seed: u64,
    outage: Arc<AtomicBool>,
) -> impl Primitive<Input = String, Output = ChunkStream<String>> {
    let calls = Arc::new(AtomicU64::new(seed));
    from_fn(
        "stream_chat_model",
        move |prompt: String, ctx: WorkflowContext| {
            let mut rng = fastrand::Rng::with_seed(calls.fetch_add(1, Ordering::Relaxed));
            let down = outage.load(Ordering::Relaxed);
            async move {
                let first = if rng.u32(0..20) == 0 {
                    Duration::from_millis(rng.u64(1_400..1_600))
                } else {
                    Duration::from_millis(rng.u64(30..80))
                };
                tokio::time::sleep(first).await;
                if down {
                    return Err(Error::transient("503 Service Unavailable"));
                }
                let words = WORDS.len();
                let usage = Usage::openai(
                    "openai",
                    "gpt-4o-mini",
                    40 + prompt.len() as u64 / 4,
                    0,
                    words as u64,
                    0,
                )
                .finish_reason("stop");
                let tokens = stream::iter(WORDS.iter().enumerate()).then(move |(index, word)| {
                    let gap = Duration::from_millis(if index == 0 { 0 } else { rng.u64(5..25) });
                    async move {
                        tokio::time::sleep(gap).await;
                        Ok(word.to_string())
                    }
                });
                let usage_at_end = stream::once(async move {
                    ctx.record_usage(usage)?;
                    Ok(None)
                });
                let chunks = tokens.map(|token| token.map(Some)).chain(usage_at_end);
                ChunkStream::open(chunks.filter_map(|chunk| async move { chunk.transpose() })).await
            }
        },
    )
    .with_gen_ai(GenAiCall::chat("openai", "gpt-4o-mini"))
}

/// The call a chat UI makes: a first-token limit of 1 s, an idle limit of
/// 500 ms and a total of 10 s; a hedge when the first token is later than
/// recent calls' 95th percentile; retries before the first token; one
/// retry budget over both.
pub(crate) fn resilient(
    model: impl Primitive<Input = String, Output = ChunkStream<String>>,
) -> impl Primitive<Input = String, Output = ChunkStream<String>> {
    let budget = RetryBudget::builder()
        .ratio(0.1)
        .reserve(3)
        .build()
        .expect("valid budget");
    let limits = StreamTimeouts::builder()
        .first_chunk(Duration::from_secs(1))
        .idle(Duration::from_millis(500))
        .total(Duration::from_secs(10))
        .build()
        .expect("valid limits");
    let hedge = HedgeConfig::builder()
        .adaptive(0.95, Duration::from_millis(300))
        .budget(budget.clone())
        .build()
        .expect("valid hedge");
    let retry = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::exponential(Duration::from_millis(20)))
        .budget(budget)
        .build()
        .expect("valid retry policy");
    model
        .stream_timeouts(limits)
        .hedge(hedge)
        .retry(retry)
        .named("stream_chat")
}
