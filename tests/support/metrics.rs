//! Exact metric values through `metrics-util`'s debugging recorder.
//!
//! The recorder is global and installed once per test binary, so tests that
//! run in parallel share it: give each test's primitives unique names, and
//! read values filtered by those names.

use std::sync::OnceLock;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("no other metrics recorder is installed in test binaries");
        snapshotter
    })
}

/// Installs the recorder. Call it before the first execution of a test.
pub fn install() {
    snapshotter();
}

/// One series: its name, labels (sorted) and value.
#[derive(Debug)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: DebugValue,
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
    snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _unit, _help, value)| {
            let key = key.key();
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
            DebugValue::Counter(value) => value,
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
        DebugValue::Gauge(value) => value.into_inner(),
        ref other => panic!("{name} is not a gauge: {other:?}"),
    })
}

/// Every sample recorded in the histograms of `name` matching `labels`.
pub fn histogram(name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    find(name, labels)
        .iter()
        .flat_map(|s| match &s.value {
            DebugValue::Histogram(values) => {
                values.iter().map(|v| v.into_inner()).collect::<Vec<f64>>()
            }
            other => panic!("{name} is not a histogram: {other:?}"),
        })
        .collect()
}
