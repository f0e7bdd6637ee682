//! Metric handles, registered once per primitive and reused by every call.
//!
//! Looking a metric up by name and labels on every call costs about 3.5× as
//! much as incrementing a handle registered up front, so each primitive keeps
//! its handles in its [`Meta`](super::Meta).

use std::sync::{Once, OnceLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Label, counter, gauge, histogram};

use super::GenAiCall;
use super::kind::Kind;
use crate::catalog;
use crate::error::ErrorKind;
use crate::labels;
use crate::llm::semconv::metrics as semconv;

const SUCCESS: &str = "success";
const ERROR: &str = "error";

/// A success counter and an error counter of one metric.
struct Outcomes {
    success: Counter,
    error: Counter,
}

impl Outcomes {
    fn record(&self, ok: bool) {
        if ok {
            self.success.increment(1);
        } else {
            self.error.increment(1);
        }
    }
}

/// Handles for one primitive's executions.
pub(crate) struct Handles {
    name: String,
    kind: &'static str,
    executions: Outcomes,
    requests: Outcomes,
    duration: Histogram,
    active: Gauge,
    /// Registered on first use of each kind, so that a primitive that never
    /// fails exports no zero-valued error series.
    errors: [OnceLock<Counter>; ErrorKind::ALL.len()],
    /// A parallel's summed branch time, registered on its first run.
    branch_time: OnceLock<Histogram>,
    /// Registered when the primitive first returns a stream.
    stream: OnceLock<StreamHandles>,
}

impl Handles {
    pub(crate) fn register(name: &str, kind: Kind) -> Self {
        describe_once();
        let name = labels::bounded("primitive_name", name);
        let kind = kind.label();
        let outcome = |metric: &'static str, status: &'static str| counter!(metric, "primitive_name" => name.clone(), "primitive_type" => kind, "status" => status);
        Self {
            executions: Outcomes {
                success: outcome(catalog::PRIMITIVE_EXECUTIONS_TOTAL, SUCCESS),
                error: outcome(catalog::PRIMITIVE_EXECUTIONS_TOTAL, ERROR),
            },
            requests: Outcomes {
                success: counter!(catalog::REQUESTS_TOTAL, "primitive_type" => kind, "status" => SUCCESS),
                error: counter!(catalog::REQUESTS_TOTAL, "primitive_type" => kind, "status" => ERROR),
            },
            duration: histogram!(
                catalog::EXECUTION_DURATION_SECONDS,
                "primitive_name" => name.clone(),
                "primitive_type" => kind
            ),
            active: gauge!(catalog::ACTIVE_EXECUTIONS, "primitive_type" => kind),
            errors: Default::default(),
            branch_time: OnceLock::new(),
            stream: OnceLock::new(),
            name,
            kind,
        }
    }

    pub(crate) fn started(&self) {
        self.active.increment(1.0);
    }

    pub(crate) fn finished(&self, elapsed: Duration, error: Option<ErrorKind>) {
        self.active.decrement(1.0);
        self.duration.record(elapsed.as_secs_f64());
        self.executions.record(error.is_none());
        self.requests.record(error.is_none());
        if let Some(kind) = error {
            self.error_counter(kind).increment(1);
        }
    }

    /// Counts how long a parallel's branches ran, summed: over the
    /// parallel's own duration, the speedup it gave.
    pub(crate) fn branches_ran(&self, total: Duration) {
        self.branch_time
            .get_or_init(|| {
                histogram!(catalog::PARALLEL_BRANCH_SECONDS, "primitive_name" => self.name.clone())
            })
            .record(total.as_secs_f64());
    }

    /// The stream metrics of this primitive, with the GenAI ones if it
    /// declares a model call.
    pub(crate) fn stream(&self, gen_ai: Option<&GenAiCall>) -> &StreamHandles {
        self.stream
            .get_or_init(|| StreamHandles::register(&self.name, self.kind, gen_ai))
    }

    fn error_counter(&self, error: ErrorKind) -> &Counter {
        self.errors[error.index()].get_or_init(|| {
            counter!(
                catalog::PRIMITIVE_ERRORS_TOTAL,
                "primitive_name" => self.name.clone(),
                "primitive_type" => self.kind,
                "error_kind" => error.as_str()
            )
        })
    }
}

/// How a stream ended, as `tta_stream_outcomes_total` labels it. The
/// discriminant indexes [`StreamHandles`]' counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamOutcome {
    /// It ended after its last chunk.
    Completed,
    /// It failed before a first chunk: no stream was returned.
    FailedBeforeFirstChunk,
    /// It failed after chunks had been emitted.
    FailedMidStream,
    /// It was dropped before it ended.
    Cancelled,
}

impl StreamOutcome {
    const ALL: [StreamOutcome; 4] = [
        Self::Completed,
        Self::FailedBeforeFirstChunk,
        Self::FailedMidStream,
        Self::Cancelled,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::FailedBeforeFirstChunk => "failed_before_first_chunk",
            Self::FailedMidStream => "failed_mid_stream",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Handles for the streams a primitive returns.
pub(crate) struct StreamHandles {
    first_chunk: Histogram,
    per_chunk: Histogram,
    chunks: Counter,
    outcomes: [Counter; StreamOutcome::ALL.len()],
    /// The GenAI histograms, for a primitive that declares a model call.
    gen_ai: Option<[Histogram; 2]>,
}

impl StreamHandles {
    fn register(name: &str, kind: &'static str, gen_ai: Option<&GenAiCall>) -> Self {
        let named = || vec![Label::new("primitive_name", name.to_owned())];
        let gen_ai = gen_ai.map(|call| {
            use crate::llm::semconv::labels as names;
            let labels = vec![
                Label::new(
                    names::OPERATION_NAME,
                    labels::bounded("gen_ai_operation_name", call.operation()),
                ),
                Label::new(
                    names::PROVIDER_NAME,
                    labels::bounded("provider", call.provider()),
                ),
                Label::new(names::REQUEST_MODEL, labels::bounded("model", call.model())),
            ];
            [
                histogram!(semconv::TIME_TO_FIRST_CHUNK, labels.clone()),
                histogram!(semconv::TIME_PER_OUTPUT_CHUNK, labels),
            ]
        });
        Self {
            first_chunk: histogram!(
                catalog::STREAM_TIME_TO_FIRST_CHUNK_SECONDS,
                "primitive_name" => name.to_owned(),
                "primitive_type" => kind
            ),
            per_chunk: histogram!(catalog::STREAM_TIME_PER_CHUNK_SECONDS, named()),
            chunks: counter!(catalog::STREAM_CHUNKS_TOTAL, named()),
            outcomes: StreamOutcome::ALL.map(|outcome| {
                let mut labels = named();
                labels.push(Label::from_static_parts("outcome", outcome.label()));
                counter!(catalog::STREAM_OUTCOMES_TOTAL, labels)
            }),
            gen_ai,
        }
    }

    /// The time from the start of an execution to its stream's first chunk.
    pub(crate) fn first_chunk(&self, elapsed: Duration) {
        self.first_chunk.record(elapsed.as_secs_f64());
        if let Some([first_chunk, _]) = &self.gen_ai {
            first_chunk.record(elapsed.as_secs_f64());
        }
    }

    /// A chunk after the first, `gap` after the one before it.
    pub(crate) fn chunk(&self, gap: Option<Duration>) {
        self.chunks.increment(1);
        if let Some(gap) = gap {
            self.per_chunk.record(gap.as_secs_f64());
            if let Some([_, per_chunk]) = &self.gen_ai {
                per_chunk.record(gap.as_secs_f64());
            }
        }
    }

    pub(crate) fn ended(&self, outcome: StreamOutcome) {
        self.outcomes[outcome as usize].increment(1);
    }
}

/// Handles for runs whose outermost primitive is this one.
pub(crate) struct WorkflowHandles {
    runs: Outcomes,
    duration: Histogram,
}

impl WorkflowHandles {
    pub(crate) fn register(name: &str) -> Self {
        describe_once();
        let name = labels::bounded("workflow_name", name);
        let runs = |status: &'static str| counter!(catalog::WORKFLOW_EXECUTIONS_TOTAL, "workflow_name" => name.clone(), "status" => status);
        Self {
            runs: Outcomes {
                success: runs(SUCCESS),
                error: runs(ERROR),
            },
            duration: histogram!(catalog::WORKFLOW_DURATION_SECONDS, "workflow_name" => name.clone()),
        }
    }

    pub(crate) fn finished(&self, elapsed: Duration, ok: bool) {
        self.duration.record(elapsed.as_secs_f64());
        self.runs.record(ok);
    }
}

/// Help texts reach the recorder before the first series is registered.
fn describe_once() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(catalog::describe);
}
