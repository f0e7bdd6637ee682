//! Exact metric values through a recorder built on `metrics-util`'s
//! registry and atomic storage: the storage its debugging recorder uses.
//!
//! The debugging recorder's snapshot swaps every counter, gauge and histogram
//! back to zero, which breaks reads of gauges that are set rather than
//! incremented. This recorder reads the same atomics without resetting them,
//! so values are totals since the start of the process.
//!
//! The recorder is global and installed once per test binary, so tests that
//! run in parallel share it: give each test's primitives unique names, and
//! read values filtered by those names.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};

struct TestRecorder {
    registry: Arc<Registry<Key, AtomicStorage>>,
}

impl Recorder for TestRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.registry
            .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.registry
            .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.registry
            .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
    }
}

fn registry() -> &'static Registry<Key, AtomicStorage> {
    static REGISTRY: OnceLock<Arc<Registry<Key, AtomicStorage>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let registry = Arc::new(Registry::atomic());
        metrics::set_global_recorder(TestRecorder {
            registry: registry.clone(),
        })
        .expect("no other metrics recorder is installed in test binaries");
        registry
    })
}

/// Installs the recorder and the span-capturing subscriber, and says a
/// recorder is installed. Call it before the first execution of a test.
pub fn install() {
    crate::spans::ensure_global_subscriber();
    install_recorder_alone();
    tta::instrument::set_metrics_enabled(true);
}

/// Installs the recorder only: no subscriber, and nobody told TTA.dev
/// (with [`tta::instrument::set_metrics_enabled`]) that it is there.
pub fn install_recorder_alone() {
    registry();
}

/// A series' value since the start of the process.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Counter(u64),
    Gauge(f64),
    Histogram(Vec<f64>),
}

/// One series: its name, labels (sorted) and value.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: Value,
}

impl Series {
    fn matches(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.name == name
            && labels
                .iter()
                .all(|(key, value)| self.labels.iter().any(|(k, v)| k == key && v == value))
    }
}

/// Every series recorded so far.
pub fn all() -> Vec<Series> {
    let registry = registry();
    let counters = registry
        .get_counter_handles()
        .into_iter()
        .map(|(key, c)| (key, Value::Counter(c.load(Ordering::SeqCst))));
    let gauges = registry
        .get_gauge_handles()
        .into_iter()
        .map(|(key, g)| (key, Value::Gauge(f64::from_bits(g.load(Ordering::SeqCst)))));
    let histograms = registry
        .get_histogram_handles()
        .into_iter()
        .map(|(key, h)| (key, Value::Histogram(h.data())));
    counters
        .chain(gauges)
        .chain(histograms)
        .map(|(key, value)| {
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            Series {
                name: key.name().to_owned(),
                labels,
                value,
            }
        })
        .collect()
}

/// Every series of `name` whose labels include `labels`.
pub fn find(name: &str, labels: &[(&str, &str)]) -> Vec<Series> {
    all()
        .into_iter()
        .filter(|s| s.matches(name, labels))
        .collect()
}

/// The sum of the counters of `name` whose labels include `labels`; 0 when none.
pub fn counter(name: &str, labels: &[(&str, &str)]) -> u64 {
    find(name, labels)
        .iter()
        .map(|s| match s.value {
            Value::Counter(value) => value,
            ref other => panic!("{name} is not a counter: {other:?}"),
        })
        .sum()
}

/// The gauge of `name` with exactly these label values; `None` when absent.
pub fn gauge(name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let series = find(name, labels);
    assert!(
        series.len() <= 1,
        "{name} {labels:?} matches {} series",
        series.len()
    );
    series.first().map(|s| match s.value {
        Value::Gauge(value) => value,
        ref other => panic!("{name} is not a gauge: {other:?}"),
    })
}

/// Every sample recorded in the histograms of `name` matching `labels`.
pub fn histogram(name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    find(name, labels)
        .iter()
        .flat_map(|s| match &s.value {
            Value::Histogram(values) => values.clone(),
            other => panic!("{name} is not a histogram: {other:?}"),
        })
        .collect()
}
