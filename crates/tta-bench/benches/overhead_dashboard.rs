//! Telemetry on with the live dashboard enabled and nobody watching: the
//! same states as `overhead_on`, plus the dashboard. Compare the two runs'
//! `single/primitive`; the budget is 20 ns.

fn main() {
    let _telemetry = tta::telemetry::builder()
        .metrics_address(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .log_filter("info")
        .dashboard(true)
        .install()
        .expect("telemetry installs in a fresh process");
    tta_bench::run_all_groups();
}
