//! Metric handles of the resilience primitives, registered on first use and
//! reused by every call after that.
//!
//! The execution metrics live in [`Handles`](super::handles::Handles); these
//! are the per-primitive extras of the catalog (retry attempts, timeouts,
//! fallbacks, breaker state, cache counters), all labelled with
//! `primitive_name`.

use std::sync::OnceLock;

use metrics::{Counter, Gauge, Histogram, Label, counter, gauge, histogram};

use crate::labels;

fn primitive_name(name: &str) -> Label {
    Label::new("primitive_name", labels::bounded("primitive_name", name))
}

/// One counter per primitive.
pub(crate) struct OwnCounter {
    metric: &'static str,
    handle: OnceLock<Counter>,
}

impl OwnCounter {
    pub(crate) const fn new(metric: &'static str) -> Self {
        Self {
            metric,
            handle: OnceLock::new(),
        }
    }

    pub(crate) fn increment(&self, name: &str) {
        self.increment_by(name, 1);
    }

    pub(crate) fn increment_by(&self, name: &str, amount: u64) {
        self.get(name).increment(amount);
    }

    /// Registers the counter without counting, so that it is exported as 0
    /// before its first event.
    pub(crate) fn register(&self, name: &str) {
        self.get(name);
    }

    /// The counter itself, for a count made where this primitive is not.
    pub(crate) fn handle(&self, name: &str) -> Counter {
        self.get(name).clone()
    }

    fn get(&self, name: &str) -> &Counter {
        self.handle
            .get_or_init(|| counter!(self.metric, vec![primitive_name(name)]))
    }
}

/// One gauge per primitive.
pub(crate) struct OwnGauge {
    metric: &'static str,
    handle: OnceLock<Gauge>,
}

impl OwnGauge {
    pub(crate) const fn new(metric: &'static str) -> Self {
        Self {
            metric,
            handle: OnceLock::new(),
        }
    }

    pub(crate) fn set(&self, name: &str, value: f64) {
        self.handle
            .get_or_init(|| gauge!(self.metric, vec![primitive_name(name)]))
            .set(value);
    }
}

/// One histogram per primitive.
pub(crate) struct OwnHistogram {
    metric: &'static str,
    handle: OnceLock<Histogram>,
}

impl OwnHistogram {
    pub(crate) const fn new(metric: &'static str) -> Self {
        Self {
            metric,
            handle: OnceLock::new(),
        }
    }

    pub(crate) fn record(&self, name: &str, value: f64) {
        self.handle
            .get_or_init(|| histogram!(self.metric, vec![primitive_name(name)]))
            .record(value);
    }
}

/// Counters of one metric over a closed set of label combinations, such as
/// `tta_retry_attempts_total` by `attempt` and `status`. Every series is
/// registered at the first increment, so dashboards see zeros rather than
/// gaps for the combinations that have not happened yet.
pub(crate) struct CounterFamily {
    metric: &'static str,
    /// The labels of each series besides `primitive_name`.
    series: Vec<Vec<Label>>,
    handles: OnceLock<Vec<Counter>>,
}

impl CounterFamily {
    pub(crate) fn new(metric: &'static str, series: impl IntoIterator<Item = Vec<Label>>) -> Self {
        Self {
            metric,
            series: series.into_iter().collect(),
            handles: OnceLock::new(),
        }
    }

    /// Counts one event in the series at `index`; an index out of range is ignored.
    pub(crate) fn increment(&self, name: &str, index: usize) {
        let handles = self.handles.get_or_init(|| {
            let name = primitive_name(name);
            self.series
                .iter()
                .map(|labels| {
                    let mut all = Vec::with_capacity(labels.len() + 1);
                    all.push(name.clone());
                    all.extend(labels.iter().cloned());
                    counter!(self.metric, all)
                })
                .collect()
        });
        if let Some(handle) = handles.get(index) {
            handle.increment(1);
        }
    }
}
