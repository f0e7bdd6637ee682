//! Random fault schedules over real HTTP: a server on loopback sends
//! scripted server-sent events (late starts, gaps, disconnects, stalls,
//! garbage), the streaming client runs behind first-chunk and idle limits,
//! retries and a hedge, and the caller drops the stream at a random point.
//! Whatever happens, the text the caller sees is a prefix of exactly one
//! upstream answer, and nothing is left running.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;
use tta::catalog;
use tta::openai::{ChatConfig, ChatRequest, ChatStream};
use tta::prelude::*;
use tta::resilience::HedgeConfig;
use tta::stream::StreamExt;
use tta_test_support::metrics;
use tta_test_support::openai_mock::{MockProvider, Reply, Sse};

#[derive(Debug, Clone)]
enum Ending {
    Done,
    Disconnect,
    Stall,
    Garbage,
}

#[derive(Debug, Clone)]
struct Answer {
    first_wait: u64,
    gaps: Vec<u64>,
    ending: Ending,
}

fn answer() -> impl Strategy<Value = Answer> {
    let ending = prop_oneof![
        Just(Ending::Done),
        Just(Ending::Disconnect),
        Just(Ending::Stall),
        Just(Ending::Garbage),
    ];
    (0u64..120, prop::collection::vec(0u64..40, 0..5), ending).prop_map(
        |(first_wait, gaps, ending)| Answer {
            first_wait,
            gaps,
            ending,
        },
    )
}

/// The events of answer number `reply`: each word names its answer and index.
fn events(reply: usize, answer: &Answer) -> Vec<Sse> {
    let chunk = |content: String| {
        Sse::Data(
            json!({"model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
                .to_string(),
        )
    };
    let mut events = vec![Sse::Wait(Duration::from_millis(answer.first_wait))];
    for (index, gap) in answer.gaps.iter().enumerate() {
        if index > 0 {
            events.push(Sse::Wait(Duration::from_millis(*gap)));
        }
        events.push(chunk(format!("r{reply}w{index};")));
    }
    match answer.ending {
        Ending::Done => events.push(Sse::Data("[DONE]".to_owned())),
        Ending::Disconnect => events.push(Sse::Disconnect),
        Ending::Stall => events.push(Sse::Stall),
        Ending::Garbage => events.push(Sse::Raw("data: {oops\n\n".to_owned())),
    }
    events
}

fn case(answers: &[Answer], drop_after: Option<usize>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = MockProvider::start();
    mock.script(
        answers
            .iter()
            .enumerate()
            .map(|(reply, answer)| Reply::Stream(events(reply, answer))),
    );
    // Requests beyond the script stall, so every answer seen is scripted.
    mock.script((0..8).map(|_| Reply::Stream(vec![Sse::Stall])));
    let config = ChatConfig::builder("gpt-4o-mini")
        .base_url(mock.base_url())
        .no_api_key()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let limits = StreamTimeouts::builder()
        .first_chunk(Duration::from_millis(250))
        .idle(Duration::from_millis(100))
        .total(Duration::from_secs(3))
        .build()
        .unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(Duration::from_millis(1)))
        .build()
        .unwrap();
    let hedge = HedgeConfig::builder()
        .delay(Duration::from_millis(80))
        .build()
        .unwrap();
    let workflow = ChatStream::new(config)
        .unwrap()
        .stream_timeouts(limits)
        .retry(policy)
        .hedge(hedge);

    let seen = runtime.block_on(async {
        let mut seen = Vec::new();
        let Ok(mut stream) = workflow.run(ChatRequest::user("hi")).await else {
            return seen;
        };
        while drop_after.is_none_or(|limit| seen.len() < limit) {
            match stream.next().await {
                Some(Ok(chunk)) if chunk.content.is_empty() => {}
                Some(Ok(chunk)) => seen.push(chunk.content),
                Some(Err(_)) | None => break,
            }
        }
        seen
    });
    if let Some(first) = seen.first() {
        let reply = first.split('w').next().unwrap().to_owned();
        for (index, chunk) in seen.iter().enumerate() {
            prop_assert_eq!(chunk, &format!("{reply}w{index};"), "{:?}", seen);
        }
    }
    for kind in ["llm", "timeout", "retry", "hedge"] {
        let active = metrics::gauge(catalog::ACTIVE_EXECUTIONS, &[("primitive_type", kind)]);
        prop_assert_eq!(active.unwrap_or(0.0), 0.0, "{} still active", kind);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn over_real_http_callers_see_a_prefix_of_exactly_one_answer(
        answers in prop::collection::vec(answer(), 1..4),
        drop_after in prop::option::of(0usize..4),
    ) {
        metrics::install();
        case(&answers, drop_after)?;
    }
}
