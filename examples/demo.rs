//! The live demo: telemetry and a live dashboard on localhost:9464 and a
//! steady mixed load of the example workflows, with a live status line,
//! until Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo run --release --example demo                    # until Ctrl-C
//! cargo run --release --example demo -- --rate 50 --duration 60
//! cargo run --release --example demo -- --help
//! ```
//!
//! Ctrl-C or SIGTERM (`docker stop`, systemd, Kubernetes) stops the load,
//! waits for the runs in flight, flushes spans and closes the endpoint; a
//! second signal exits at once.

#[path = "common/demo.rs"]
mod demo;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// The TTA.dev live demo: a steady mix of LLM, document, embedding and
/// booking workflows, every one observable. Faults are injected on purpose,
/// so retries, fallbacks and circuit breakers have work to do.
#[derive(Debug, Parser)]
#[command(name = "demo", version)]
struct Args {
    /// Workflows started per second.
    #[arg(long, default_value_t = 20.0, value_parser = positive)]
    rate: f64,
    /// Stop after this many seconds instead of waiting for Ctrl-C or SIGTERM.
    #[arg(long, value_parser = positive)]
    duration: Option<f64>,
    /// Seconds between status lines.
    #[arg(long, default_value_t = 3.0, value_parser = positive)]
    status_every: f64,
    /// Also print the WARN logs of failed calls (most are the injected
    /// faults). `RUST_LOG` chooses any other filter.
    #[arg(short, long)]
    verbose: bool,
    /// Serve only `/metrics`, without the dashboard.
    #[arg(long)]
    no_dashboard: bool,
}

fn positive(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite() && *number > 0.0 && *number < 1e9)
        .ok_or_else(|| format!("expected a positive number, got {value:?}"))
}

/// Writes a line to stdout; `false` once stdout is closed (`demo | head`).
fn say(line: &str) -> bool {
    writeln!(std::io::stdout(), "{line}").is_ok()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tta::telemetry::builder().dashboard(!args.no_dashboard);
    if std::env::var_os("RUST_LOG").is_none() {
        // The status line is the demo's output; the injected faults' WARNs
        // would bury it at 20 runs a second.
        builder = builder.log_filter(if args.verbose { "warn" } else { "off" });
    }
    let telemetry = match builder.install() {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let metrics = match telemetry.metrics_address() {
        Some(address) => format!("metrics:  http://{address}/metrics"),
        None => "metrics:  not served".to_owned(),
    };
    let dashboard = match telemetry.dashboard_url() {
        Some(url) => {
            format!("dashboard: {url} (live panels, recent runs, workflow graphs; no Docker)")
        }
        None => "dashboard: off".to_owned(),
    };
    let header = [
        dashboard,
        metrics,
        "grafana:  GRAFANA_ADMIN_PASSWORD=... docker compose -f docs/observability/docker-compose.yml up, then http://localhost:3000 (docs/observability.md)".to_owned(),
        "traces:   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 (Jaeger), see docs/observability.md".to_owned(),
        format!(
            "load:     {} workflows/s of llm_pipeline, document_pipeline, embed_pipeline, web_search_pipeline and book_trip; Ctrl-C to stop",
            args.rate
        ),
        "faults:   injected on purpose: the simulated models fail 2-15% of calls and hang 2%, and both primaries go down for 2.5 s every 20 s, so expect failures, retries, fallbacks and open circuits (--verbose shows their logs)".to_owned(),
    ];
    let options = demo::Options {
        rate: args.rate,
        status_every: Duration::from_secs_f64(args.status_every),
    };
    let status = if header.iter().all(|line| say(line)) {
        Some(demo::run(&options, stop(args.duration.map(Duration::from_secs_f64))).await)
    } else {
        None
    };
    if let Some(status) = status {
        say(&format!("final:    {status}"));
    }
    match telemetry.shutdown() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("telemetry shutdown: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves after `duration`, or at the first SIGINT or SIGTERM; a second
/// signal exits at once.
async fn stop(duration: Option<Duration>) {
    let signalled = async {
        match tta::telemetry::stop_signal().await {
            Ok(signal) => {
                eprintln!("\n{signal}: stopping, waiting for runs in flight (again to exit now)");
                tokio::spawn(async {
                    if let Ok(signal) = tta::telemetry::stop_signal().await {
                        std::process::exit(i32::from(signal.exit_code()));
                    }
                });
            }
            Err(error) => {
                eprintln!(
                    "cannot wait for Ctrl-C or SIGTERM ({error}); stop the demo with --duration"
                );
                std::future::pending::<()>().await;
            }
        }
    };
    match duration {
        Some(duration) => tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = signalled => {}
        },
        None => signalled.await,
    }
}
