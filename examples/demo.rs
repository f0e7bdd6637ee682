//! The live demo: telemetry on localhost:9464 and a steady mixed load of
//! the example workflows, with a live status line, until Ctrl-C.
//!
//! ```text
//! cargo run --release --example demo                    # until Ctrl-C
//! cargo run --release --example demo -- --rate 50 --duration 60
//! ```
//!
//! Ctrl-C stops the load, waits for the runs in flight, flushes spans and
//! closes the endpoint; a second Ctrl-C exits at once.

#[path = "common/demo.rs"]
mod demo;

use std::process::ExitCode;
use std::time::Duration;

/// The command line: `--rate N`, `--duration SECS`, `--status-every SECS`.
struct Args {
    options: demo::Options,
    duration: Option<Duration>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        options: demo::Options {
            rate: 20.0,
            status_every: Duration::from_secs(3),
        },
        duration: None,
    };
    while let Some(flag) = args.next() {
        let mut number = |name: &str| -> Result<f64, String> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite() && *number > 0.0)
                .ok_or_else(|| format!("{name} must be a positive number, got {value:?}"))
        };
        match flag.as_str() {
            "--rate" => parsed.options.rate = number("--rate")?,
            "--duration" => parsed.duration = Some(Duration::from_secs_f64(number("--duration")?)),
            "--status-every" => {
                parsed.options.status_every = Duration::from_secs_f64(number("--status-every")?)
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

const USAGE: &str = "usage: demo [--rate WORKFLOWS_PER_SECOND (20)] [--duration SECONDS (until Ctrl-C)] [--status-every SECONDS (3)]";

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => {
            if !error.is_empty() {
                eprintln!("error: {error}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tta::telemetry::builder();
    if std::env::var_os("RUST_LOG").is_none() {
        // The status line is the demo's output; logs would drown it at 20 runs a second.
        builder = builder.log_filter("warn");
    }
    let telemetry = match builder.install() {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match telemetry.metrics_address() {
        Some(address) => println!("metrics:  http://{address}/metrics"),
        None => println!("metrics:  not served"),
    }
    println!(
        "grafana:  GRAFANA_ADMIN_PASSWORD=... docker compose -f docs/observability/docker-compose.yml up, then http://localhost:3000 (docs/observability.md)"
    );
    println!(
        "traces:   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 (Jaeger), see docs/observability.md"
    );
    println!(
        "load:     {} workflows/s of llm_pipeline, document_pipeline, embed_pipeline, web_search_pipeline and book_trip; Ctrl-C to stop",
        args.options.rate
    );

    let duration = args.duration;
    let stop = async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nstopping: waiting for runs in flight (Ctrl-C again to exit now)");
                tokio::spawn(async {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(130);
                    }
                });
            } else {
                std::future::pending::<()>().await;
            }
        };
        match duration {
            Some(duration) => tokio::select! {
                () = tokio::time::sleep(duration) => {}
                () = ctrl_c => {}
            },
            None => ctrl_c.await,
        }
    };
    let status = demo::run(&args.options, stop).await;
    println!("final:    {status}");
    match telemetry.shutdown() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("telemetry shutdown: {error}");
            ExitCode::FAILURE
        }
    }
}
