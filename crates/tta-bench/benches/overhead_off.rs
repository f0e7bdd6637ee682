//! Telemetry off: no recorder, no subscriber. What the instrumentation
//! costs when nobody is listening.

fn main() {
    let mut criterion = criterion::Criterion::default().configure_from_args();
    tta_bench::groups::all(&mut criterion);
    criterion.final_summary();
}
