//! Telemetry off: no recorder, no subscriber. What the instrumentation
//! costs when nobody is listening.

mod common;

fn main() {
    let mut criterion = criterion::Criterion::default().configure_from_args();
    common::all(&mut criterion);
    criterion.final_summary();
}
