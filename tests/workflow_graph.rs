//! `workflow.graph()` is the span tree a run exports: for the seeds' five
//! workflows, the nodes (name and kind) and parent edges of the graph equal
//! those of the spans a real OTLP receiver gets from one run.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use tta::prelude::*;
use tta::{BoxPrimitive, Graph};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

/// A node as both sides see it: name, kind, and children in a canonical
/// order (parallel branches start in any order).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Node {
    name: String,
    kind: String,
    children: Vec<Node>,
}

fn from_graph(graph: &Graph) -> Node {
    let mut children: Vec<Node> = graph.children().iter().map(from_graph).collect();
    children.sort();
    Node {
        name: graph.name().to_owned(),
        kind: graph.kind().to_owned(),
        children,
    }
}

fn kind_of(span: &Span) -> String {
    span.attributes
        .iter()
        .find(|attribute| attribute.key == "tta.primitive.type")
        .and_then(
            |attribute| match attribute.value.as_ref()?.value.as_ref()? {
                Value::StringValue(kind) => Some(kind.clone()),
                _ => None,
            },
        )
        .unwrap_or_default()
}

fn from_spans(spans: &[&Span], root: &Span) -> Node {
    let mut children: Vec<Node> = spans
        .iter()
        .filter(|span| span.parent_span_id == root.span_id)
        .map(|span| from_spans(spans, span))
        .collect();
    children.sort();
    Node {
        name: root.name.clone(),
        kind: kind_of(root),
        children,
    }
}

fn step(name: &'static str) -> BoxPrimitive<String, String> {
    from_fn(name, |input: String, _ctx| async move { Ok(input) }).boxed()
}

fn seeds_workflows() -> Vec<BoxPrimitive<String, String>> {
    let policy = || {
        RetryPolicy::builder()
            .max_attempts(3)
            .backoff(Backoff::constant(Duration::from_millis(1)))
            .build()
            .unwrap()
    };
    let cache = || CacheConfig::builder().max_capacity(10).build().unwrap();
    let join = from_fn("join", |parts: Vec<String>, _ctx| async move {
        Ok(parts.concat())
    });
    vec![
        (step("data_processor") >> step("validator") >> step("enricher"))
            .named("sequential_workflow")
            .boxed(),
        (Parallel::all(vec![step("branch_a"), step("branch_b"), step("branch_c")]) >> join).boxed(),
        step("flaky_api").retry(policy()).boxed(),
        step("expensive_lookup").cached(cache()).boxed(),
        (step("retrieve").cached(cache()) >> step("generate"))
            .retry(policy())
            .named("rag_nested")
            .boxed(),
    ]
}

#[test]
fn the_graph_of_each_seed_workflow_is_the_span_tree_of_one_run() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let workflows = seeds_workflows();
    let runs: Vec<(Graph, WorkflowContext)> = otlp_http::runtime().block_on(async {
        let mut runs = Vec::new();
        for workflow in &workflows {
            let ctx = WorkflowContext::new();
            workflow
                .run_with("q".to_owned(), ctx.clone())
                .await
                .unwrap();
            runs.push((workflow.graph(), ctx));
        }
        runs
    });
    telemetry.shutdown().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));

    for (graph, ctx) in &runs {
        let trace: Vec<&Span> = spans
            .iter()
            .filter(|span| span.trace_id == ctx.trace_id().to_be_bytes())
            .collect();
        let roots: Vec<&&Span> = trace
            .iter()
            .filter(|s| s.parent_span_id.is_empty())
            .collect();
        assert_eq!(roots.len(), 1, "{}: {trace:#?}", graph.name());
        assert_eq!(
            from_spans(&trace, roots[0]),
            from_graph(graph),
            "{}",
            graph.name()
        );
        assert_eq!(trace.len(), graph.nodes().len(), "{graph}");
    }
    // The exports name every node once.
    let nested = &runs[4].0;
    assert_eq!(
        nested.to_string(),
        "rag_nested (retry)\n  cache(retrieve) >> generate (sequential)\n    cache(retrieve) (cache)\n      retrieve (custom)\n    generate (custom)\n"
    );
    let mermaid = nested.to_mermaid();
    assert_eq!(mermaid.matches("-->").count(), 4, "{mermaid}");
    assert_eq!(nested.to_dot().matches("->").count(), 4);
    assert_eq!(
        nested.to_json()["children"][0]["children"][1]["name"],
        "generate"
    );
}
