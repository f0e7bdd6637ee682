//! A `#[primitive]` type emits exactly what a built-in emits: the same span
//! shape, the catalog's metrics with `primitive_type="custom"`, and the
//! seeds' log events.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::time::Duration;

use tta::catalog::*;
use tta::prelude::*;
use tta_test_support::metrics::{counter, histogram, install};
use tta_test_support::spans::capture;

#[derive(Debug, Clone, PartialEq)]
struct Doc {
    text: String,
    score: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("empty document")]
struct Empty;

struct DataProcessor {
    factor: u32,
}

#[primitive(name = "mt_data_processor", fields(factor = self.factor, text_len = input.text.len()))]
impl DataProcessor {
    async fn execute(&self, input: Doc, _ctx: &WorkflowContext) -> Result<Doc, Empty> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if input.text.is_empty() {
            return Err(Empty);
        }
        Ok(Doc {
            score: input.text.len() as u32 * self.factor,
            ..input
        })
    }
}

/// The same as `DataProcessor`, under another name, for the metrics test:
/// tests share one recorder, so each reads only its own series.
struct CountedProcessor;

#[primitive(name = "mt_counted_processor")]
impl CountedProcessor {
    async fn execute(&self, input: Doc, ctx: &WorkflowContext) -> Result<Doc, Empty> {
        DataProcessor { factor: 1 }.execute(input, ctx).await
    }
}

#[primitive(name = "mt_validate")]
async fn validate(input: Doc, _ctx: &WorkflowContext) -> tta::Result<Doc> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(input)
}

#[primitive(name = "mt_enrich", record_input)]
async fn enrich(input: Doc, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(format!("{}!", input.text))
}

#[primitive(name = "mt_summarize", kind = "llm")]
async fn summarize(input: Doc, _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(input.score)
}

fn doc(text: &str) -> Doc {
    Doc {
        text: text.to_owned(),
        score: 0,
    }
}

#[tokio::test(start_paused = true)]
async fn user_types_nest_and_carry_their_fields_like_built_ins() {
    let (_guard, captured) = capture();
    let workflow = DataProcessor { factor: 2 } >> Validate >> (Enrich | Summarize);
    let (enriched, score) = workflow.run(doc("hello")).await.unwrap();
    assert_eq!((enriched.as_str(), score), ("hello!", 10));

    assert_eq!(
        captured.tree(),
        "mt_data_processor >> mt_validate >> (mt_enrich | mt_summarize)\n  mt_data_processor\n  mt_validate\n  mt_enrich | mt_summarize\n    mt_enrich\n    mt_summarize\n"
    );
    let spans = captured.spans();
    let span = |name: &str| spans.iter().find(|s| s.name() == name).unwrap().clone();
    let processor = span("mt_data_processor");
    assert_eq!(processor.field("tta.primitive.type"), Some("custom"));
    assert_eq!(processor.field("tta.step.index"), Some("0"));
    assert_eq!(processor.field("factor"), Some("2"));
    assert_eq!(processor.field("text_len"), Some("5"));
    assert_eq!(
        processor.field("tta.input"),
        None,
        "inputs are not recorded unless asked"
    );
    assert_eq!(
        span("mt_enrich").field("tta.input"),
        Some(r#"Doc { text: "hello", score: 10 }"#)
    );
    assert_eq!(
        span("mt_summarize").field("tta.primitive.type"),
        Some("llm")
    );
    assert_eq!(span("mt_summarize").field("tta.branch.index"), Some("1"));

    let steps = captured.events_named("sequential_step_complete");
    let steps: Vec<_> = steps
        .iter()
        .map(|e| {
            (
                e.field("primitive_name").unwrap(),
                e.field("duration_ms").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("mt_data_processor", "100.0"),
            ("mt_validate", "50.0"),
            ("mt_enrich | mt_summarize", "0.0")
        ]
    );
    assert_eq!(captured.events_named("parallel_branch_complete").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn user_types_record_the_catalog_metrics_and_convert_their_errors() {
    install();
    let processor = CountedProcessor;
    for text in ["a", "", "abc", ""] {
        let _ = processor.run(doc(text)).await;
    }
    let name = ("primitive_name", "mt_counted_processor");
    let custom = ("primitive_type", "custom");
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[name, custom, ("status", "success")]
        ),
        2
    );
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[name, custom, ("status", "error")]
        ),
        2
    );
    assert_eq!(
        counter(
            PRIMITIVE_ERRORS_TOTAL,
            &[name, custom, ("error_kind", "user")]
        ),
        2
    );
    assert_eq!(
        histogram(EXECUTION_DURATION_SECONDS, &[name, custom]),
        vec![0.1; 4]
    );
    assert_eq!(
        counter(
            WORKFLOW_EXECUTIONS_TOTAL,
            &[
                ("workflow_name", "mt_counted_processor"),
                ("status", "error")
            ]
        ),
        2
    );

    let err = processor.run(doc("")).await.unwrap_err();
    assert!(
        err.downcast_ref::<Empty>().is_some(),
        "the user's error is kept: {err:?}"
    );
    assert_eq!(err.to_string(), "empty document");
}
