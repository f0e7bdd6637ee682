//! Telemetry off: no recorder, no subscriber. What the instrumentation
//! costs when nobody is listening.

fn main() {
    tta_bench::run_all_groups();
}
