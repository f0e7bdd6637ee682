//! Metric handles, registered once per primitive and reused by every call.
//!
//! Looking a metric up by name and labels on every call costs about 3.5× as
//! much as incrementing a handle registered up front, so each primitive keeps
//! its handles in its [`Meta`](super::Meta).

use std::sync::{Once, OnceLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

use super::kind::Kind;
use crate::catalog;
use crate::error::ErrorKind;
use crate::labels;

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
