//! TTA.dev telemetry in one call: Prometheus metrics on `localhost:9464`,
//! structured logs, OTLP traces, and Pushgateway for batch jobs.
//!
//! ```no_run
//! # fn main() -> Result<(), tta_exporter::TelemetryError> {
//! let _telemetry = tta_exporter::init()?;
//! // ... run workflows: http://localhost:9464/metrics shows them ...
//! // Dropping the guard flushes spans, pushes a last time and closes the endpoint.
//! # Ok(())
//! # }
//! ```
//!
//! What `init()` installs, each part configurable through the standard
//! environment variables or the [`TelemetryBuilder`]:
//!
//! - **Metrics**: the metrics-exporter-prometheus recorder with the
//!   catalog's histogram buckets (0.5 ms to 300 s, rendered as `_bucket`
//!   series), served over HTTP on `OTEL_EXPORTER_PROMETHEUS_HOST`:`OTEL_EXPORTER_PROMETHEUS_PORT`
//!   (default `localhost:9464`), plus process metrics
//!   (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...)
//!   and `tta_build_info`.
//! - **Logs**: a `tracing` subscriber filtered by `RUST_LOG` (default
//!   `info`), pretty on a terminal or JSON with `TTA_LOG_FORMAT=json`.
//! - **Traces**: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans go to an
//!   OTLP collector over gRPC or `http/protobuf`
//!   (`OTEL_EXPORTER_OTLP_PROTOCOL`), with `OTEL_SERVICE_NAME` and
//!   `OTEL_TRACES_SAMPLER` honoured. Spans the exporter fails to deliver are
//!   counted in `tta_spans_dropped_total`.
//! - **Push**: with `TTA_PUSHGATEWAY_URL` (and `TTA_PUSHGATEWAY_JOB`), the
//!   metrics are pushed every 10 s and at shutdown.
//! - **Prices**: model calls are priced with the bundled snapshot, extended
//!   or corrected by a LiteLLM-format file named by `TTA_LLM_PRICES_FILE`
//!   (or [`TelemetryBuilder::price_file`]); a malformed file stops `init()`
//!   with an error naming the variable and the model at fault.
//!
//! Telemetry runs on a thread of its own, so `init()` works from a plain
//! `main` as well as inside any tokio runtime. Install it before the first
//! workflow runs: metric handles registered earlier stay with the no-op
//! recorder.

mod background;
mod dashboard;
mod endpoint;
mod error;
mod log_trace_ids;
mod logs;
mod otlp;
mod otlp_http;
mod otlp_logs;
mod prometheus;
mod push;
mod sampler;
mod settings;
mod signal;
mod span_attributes;
mod trace_link;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::filter::{FilterExt, LevelFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};
use tta_core::llm::PriceTable;

pub use dashboard::{DEFAULT_RUNS, MAX_RUNS, register_workflow};
pub use error::TelemetryError;
pub use settings::{
    DEFAULT_METRICS_PORT, DEFAULT_PUSH_INTERVAL, LogFormat, OtlpProtocol, PRICE_FILE_VAR,
};
pub use signal::{StopSignal, stop_signal};

use background::Background;
use endpoint::Endpoint;
use push::Pusher;
use settings::{Push, Settings};

/// Set once telemetry is installed: a process has one recorder.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs telemetry as the environment describes; see the [crate docs](crate).
///
/// Same as `builder().install()`.
pub fn init() -> Result<Telemetry, TelemetryError> {
    builder().install()
}

/// Starts from the environment; builder methods override it.
pub fn builder() -> TelemetryBuilder {
    TelemetryBuilder {
        settings: Settings::from_env(|name| std::env::var(name).ok()),
    }
}

/// Configures telemetry. Each method overrides the matching environment
/// variable; an invalid variable is reported by [`install`](Self::install).
///
/// ```no_run
/// use std::time::Duration;
/// use tta_exporter::{LogFormat, OtlpProtocol};
///
/// # fn main() -> Result<(), tta_exporter::TelemetryError> {
/// let _telemetry = tta_exporter::builder()
///     .metrics_address("0.0.0.0:9464".parse().unwrap())
///     .log_format(LogFormat::Json)
///     .log_filter("info,tta=debug")
///     .otlp("http://localhost:4317", OtlpProtocol::Grpc)
///     .service_name("summarizer")
///     .push_gateway("http://localhost:9091", "nightly_batch", Duration::from_secs(15))
///     .install()?;
/// # Ok(())
/// # }
/// ```
#[must_use = "call `install()` to install telemetry"]
pub struct TelemetryBuilder {
    settings: Result<Settings, TelemetryError>,
}

impl TelemetryBuilder {
    fn with(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        if let Ok(settings) = &mut self.settings {
            change(settings);
        }
        self
    }

    /// Where `/metrics` is served; `localhost:9464` by default. Port 0 takes
    /// any free port; [`Telemetry::metrics_address`] tells which.
    pub fn metrics_address(self, address: SocketAddr) -> Self {
        self.with(|settings| settings.metrics_address = Some(address))
    }

    /// Records metrics without serving them, for push-only batch jobs or
    /// tests that read [`Telemetry::render`].
    pub fn without_metrics_endpoint(self) -> Self {
        self.with(|settings| settings.metrics_address = None)
    }

    /// Pretty, JSON or no log output.
    pub fn log_format(self, format: LogFormat) -> Self {
        self.with(|settings| settings.log_format = format)
    }

    /// A `RUST_LOG`-style filter such as `info,tta=debug`.
    pub fn log_filter(self, filter: impl Into<String>) -> Self {
        self.with(|settings| settings.log_filter = filter.into())
    }

    /// Exports spans to the OTLP collector at `endpoint`, such as
    /// `http://localhost:4317` for gRPC or `http://localhost:4318` for HTTP,
    /// or to a hosted back end over `https://` (rustls with *ring*; the
    /// platform's root certificates), usually with an
    /// [`otlp_header`](Self::otlp_header) carrying its API key.
    pub fn otlp(self, endpoint: impl Into<String>, protocol: OtlpProtocol) -> Self {
        self.with(|settings| {
            settings.otlp_endpoint = Some(endpoint.into());
            settings.otlp_protocol = protocol;
        })
    }

    /// Adds a header to every OTLP export, such as a hosted back end's API
    /// key (`authorization`, `x-honeycomb-team`). Adds to, and overrides by
    /// name, those of `OTEL_EXPORTER_OTLP_HEADERS` and
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`. Header values are never logged.
    pub fn otlp_header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.with(|settings| {
            settings::merge_headers(
                &mut settings.otlp_headers,
                vec![(name.into(), value.into())],
            );
        })
    }

    /// Trusts the PEM certificates in `pem`, instead of the platform's
    /// roots, for an `https://` OTLP endpoint: a private CA, or a
    /// collector's self-signed certificate. The same as a file named by
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`.
    pub fn otlp_root_certificates_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        self.with(|settings| settings.otlp_certificate = Some(pem.into()))
    }

    /// Whether log events also go to the OTLP endpoint as log records (on
    /// by default when there is an endpoint; `OTEL_LOGS_EXPORTER=none`
    /// turns it off). They pass the same filter as the log output.
    pub fn otlp_logs(self, enabled: bool) -> Self {
        self.with(|settings| settings.otlp_logs = enabled)
    }

    /// The resource's `service.name`; `OTEL_SERVICE_NAME` otherwise.
    pub fn service_name(self, name: impl Into<String>) -> Self {
        self.with(|settings| settings.service_name = Some(name.into()))
    }

    /// Keeps this share (0 to 1) of new traces, overriding
    /// `OTEL_TRACES_SAMPLER`; child spans follow their parent's decision.
    ///
    /// With OTLP configured, the ratio also becomes TTA's
    /// [`sample_ratio`](tta_core::sampling::sample_ratio): each run is
    /// sampled when its `WorkflowContext` is built, and an unsampled run
    /// opens no spans, so dropping traces saves their whole cost. Metrics
    /// and log events are recorded for every run.
    pub fn trace_sample_ratio(self, ratio: f64) -> Self {
        self.with(|settings| settings.trace_sample_ratio = Some(ratio))
    }

    /// Pushes the metrics to the Pushgateway at `url` under `job`, every
    /// `interval` and once more at shutdown.
    pub fn push_gateway(
        self,
        url: impl Into<String>,
        job: impl Into<String>,
        interval: Duration,
    ) -> Self {
        self.with(|settings| {
            settings.push = Some(Push {
                url: url.into(),
                job: job.into(),
                interval,
            });
        })
    }

    /// Prices model calls with `table` merged over the bundled snapshot and
    /// any `TTA_LLM_PRICES_FILE`; see [`tta_core::llm::PriceTable`].
    pub fn prices(self, table: PriceTable) -> Self {
        self.with(|settings| settings.prices = Some(table))
    }

    /// Serves a live dashboard on the metrics endpoint's address (by default
    /// <http://localhost:9464/>): the Grafana dashboard's panels with 15
    /// minutes of history, the last runs as span waterfalls, and each
    /// workflow given to [`register_workflow`] as a graph with live
    /// figures. It loads nothing from the network. Off by default;
    /// `TTA_DASHBOARD=1` turns it on too.
    ///
    /// An execution pays nothing for it while nobody has the page open:
    /// the history is sampled from the rendered metrics, and spans are
    /// collected only while a page polls. On an address other than
    /// loopback its data needs a token: give one with
    /// [`dashboard_token`](Self::dashboard_token) (or `TTA_DASHBOARD_TOKEN`)
    /// or one is generated; [`Telemetry::dashboard_url`] has it, and the
    /// process logs it as `dashboard_ready`.
    pub fn dashboard(self, enabled: bool) -> Self {
        self.with(|settings| {
            settings.dashboard = match (enabled, settings.dashboard.take()) {
                (false, _) => None,
                (true, existing) => Some(existing.unwrap_or_default()),
            };
        })
    }

    /// How many recent runs the dashboard keeps (half the latest, half the
    /// failed and slowest of the others): 1 to [`MAX_RUNS`], by default
    /// [`DEFAULT_RUNS`]. Turns the dashboard on.
    pub fn dashboard_runs(self, runs: usize) -> Self {
        self.with(|settings| {
            settings.dashboard.get_or_insert_with(Default::default).runs = runs;
        })
    }

    /// The token the dashboard's data needs, sent as `?token=`. Turns the
    /// dashboard on, and requires the token even on loopback.
    pub fn dashboard_token(self, token: impl Into<String>) -> Self {
        self.with(|settings| {
            settings
                .dashboard
                .get_or_insert_with(Default::default)
                .token = Some(token.into());
        })
    }

    /// Prices model calls from a file in LiteLLM's
    /// `model_prices_and_context_window.json` format, merged over the
    /// bundled snapshot; overrides `TTA_LLM_PRICES_FILE`.
    pub fn price_file(self, path: impl Into<std::path::PathBuf>) -> Self {
        self.with(|settings| settings.price_file = Some(path.into()))
    }

    /// Checks every setting before anything is installed, and parses the
    /// log filter once for the log layer.
    fn validated(self) -> Result<(Settings, EnvFilter, Option<PriceTable>), TelemetryError> {
        let settings = self.settings?;
        let prices = settings.price_table()?;
        let setting = |setting, reason: String| TelemetryError::InvalidSetting { setting, reason };
        let filter =
            logs::filter(&settings.log_filter).map_err(|reason| setting("log_filter", reason))?;
        if let Some(endpoint) = &settings.otlp_endpoint {
            settings::validate_otlp_url(endpoint).map_err(|reason| setting("otlp", reason))?;
        }
        for (name, value) in &settings.otlp_headers {
            settings::validate_header(name, value)
                .map_err(|reason| setting("otlp_header", reason))?;
        }
        if let Some(pem) = &settings.otlp_certificate {
            otlp::parse_certificates(pem)
                .map_err(|reason| setting("otlp_root_certificates_pem", reason))?;
        }
        if let Some(ratio) = settings.trace_sample_ratio {
            tta_core::sampling::check_sample_ratio(ratio)
                .map_err(|error| setting("trace_sample_ratio", error.reason().to_owned()))?;
        }
        if let Some(dashboard) = &settings.dashboard {
            if settings.metrics_address.is_none() {
                return Err(setting(
                    "dashboard",
                    "the dashboard is served on the metrics endpoint; set a metrics address"
                        .to_owned(),
                ));
            }
            if !(1..=MAX_RUNS).contains(&dashboard.runs) {
                return Err(setting(
                    "dashboard_runs",
                    format!("expected 1 to {MAX_RUNS} runs, got {}", dashboard.runs),
                ));
            }
            if let Some(token) = &dashboard.token
                && (token.len() < 8
                    || !token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            {
                return Err(setting(
                    "dashboard_token",
                    "expected at least 8 of `A-Z a-z 0-9 - _`".to_owned(),
                ));
            }
        }
        if let Some(push) = &settings.push {
            settings::validate_url(&push.url).map_err(|reason| setting("push_gateway", reason))?;
            settings::validate_job(&push.job).map_err(|reason| setting("push_gateway", reason))?;
            if push.interval.is_zero() {
                return Err(setting(
                    "push_gateway",
                    "the interval must be greater than zero".to_owned(),
                ));
            }
        }
        Ok((settings, filter, prices))
    }

    /// Installs the metrics recorder and a global `tracing` subscriber.
    ///
    /// Fails with [`TelemetryError::AlreadyInstalled`] when called twice or
    /// when another global subscriber exists; use [`layers`](Self::layers)
    /// to add ours to your own subscriber instead.
    pub fn install(self) -> Result<Telemetry, TelemetryError> {
        if tracing::dispatcher::has_been_set() {
            return Err(TelemetryError::AlreadyInstalled {
                what: "a global tracing subscriber",
                hint: "add TTA's layers to it with `builder().layers()` instead",
            });
        }
        let (layer, telemetry) = self.layers::<tracing_subscriber::Registry>()?;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber).map_err(|_| {
            TelemetryError::AlreadyInstalled {
                what: "a global tracing subscriber",
                hint: "add TTA's layers to it with `builder().layers()` instead",
            }
        })?;
        Ok(telemetry)
    }

    /// Installs the metrics recorder and returns the log layer (filtered by
    /// the log filter) and the OTLP layer (every span at DEBUG and above), for a subscriber you build yourself.
    ///
    /// ```no_run
    /// use tracing_subscriber::layer::SubscriberExt;
    /// use tracing_subscriber::util::SubscriberInitExt;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (tta_layers, _telemetry) = tta_exporter::builder().layers()?;
    /// tracing_subscriber::registry().with(tta_layers).try_init()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn layers<S>(self) -> Result<(Box<dyn Layer<S> + Send + Sync>, Telemetry), TelemetryError>
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        let (settings, filter, prices) = self.validated()?;
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(TelemetryError::AlreadyInstalled {
                what: "TTA telemetry",
                hint: "call `init()` once and keep its guard for the life of the process",
            });
        }
        let installed = Telemetry::start(&settings);
        if installed.is_err() {
            INSTALLED.store(false, Ordering::SeqCst);
        }
        let telemetry = installed?;
        if let Some(prices) = prices {
            tta_core::llm::set_price_table(prices);
        }
        // The log filter (`RUST_LOG`) governs log output only: traces keep
        // every span, primitive spans being DEBUG, even when logs are quiet,
        // and carry no log events, which would duplicate the logs.
        // Every primitive span opens at the same line of tta-core, on any
        // thread of the runtime: source location, target and thread
        // attributes would say nothing about the step, and busy/idle time
        // costs two clock reads per poll. Spans carry what identifies them
        // (tta.primitive.*, the ids) and their real start and end.
        let otel = telemetry.tracer_provider.as_ref().map(|provider| {
            tracing_opentelemetry::layer()
                .with_location(false)
                .with_target(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_tracer(otlp::tracer(provider))
                .with_filter(LevelFilter::DEBUG.and(filter_fn(|metadata| metadata.is_span())))
        });
        let log_records = match &telemetry.logger_provider {
            Some(provider) => {
                let filter = logs::filter(&settings.log_filter).map_err(|reason| {
                    TelemetryError::InvalidSetting {
                        setting: "log_filter",
                        reason,
                    }
                })?;
                Some(otlp_logs::layer(provider, filter).boxed())
            }
            None => None,
        };
        let logs =
            logs::output(settings.log_format).map(|output| output.with_filter(filter).boxed());
        let capture = telemetry.dashboard.as_ref().map(|dashboard| {
            dashboard::Capture::new(dashboard.runs())
                .with_filter(dashboard::WhileWatched)
                .boxed()
        });
        // A list rather than `Option` layers: an absent `Option` layer
        // reports a maximum level of OFF, which would switch off its
        // filtered siblings as well.
        let layers: Vec<Box<dyn Layer<S> + Send + Sync>> =
            [logs, otel.map(Layer::boxed), log_records, capture]
                .into_iter()
                .flatten()
                .collect();
        Ok((layers.boxed(), telemetry))
    }
}

/// Installed telemetry. Keep it for the life of the process: dropping it,
/// or calling [`shutdown`](Self::shutdown), flushes the spans, pushes to
/// the Pushgateway one last time and closes the metrics endpoint.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Telemetry {
    background: Background,
    prometheus: PrometheusHandle,
    tracer_provider: Option<SdkTracerProvider>,
    logger_provider: Option<SdkLoggerProvider>,
    pusher: Option<Pusher>,
    metrics_address: Option<SocketAddr>,
    dashboard: Option<Arc<dashboard::Dashboard>>,
    shut_down: bool,
}

impl Telemetry {
    fn start(settings: &Settings) -> Result<Self, TelemetryError> {
        let endpoint = settings.metrics_address.map(Endpoint::bind).transpose()?;
        let metrics_address = endpoint.as_ref().map(Endpoint::address);
        let background = Background::start()?;
        let prometheus = prometheus::install(&background)?;
        let dashboard = match (&settings.dashboard, metrics_address) {
            (Some(dashboard), Some(address)) => Some(Arc::new(dashboard::Dashboard::new(
                dashboard,
                address,
                prometheus.clone(),
            ))),
            _ => None,
        };
        if let Some(endpoint) = endpoint {
            endpoint.serve(&background, prometheus.clone(), dashboard.clone())?;
        }
        if let Some(dashboard) = &dashboard {
            dashboard.spawn_sampler(&background);
        }
        let target = settings
            .otlp_endpoint
            .as_deref()
            .map(|endpoint| otlp::Target {
                endpoint,
                protocol: settings.otlp_protocol,
                headers: &settings.otlp_headers,
                roots_pem: settings.otlp_certificate.as_deref(),
            });
        let service_name = settings.service_name.as_deref();
        let tracer_provider = target
            .as_ref()
            .map(|target| {
                otlp::provider(
                    &background,
                    target,
                    service_name,
                    settings.trace_sample_ratio,
                )
            })
            .transpose()?;
        let logger_provider = target
            .as_ref()
            .filter(|_| settings.otlp_logs)
            .map(|target| otlp_logs::provider(&background, target, service_name))
            .transpose()?;
        if tracer_provider.is_some() {
            otlp::follow_runs(settings.trace_sample_ratio)?;
        }
        let pusher = match &settings.push {
            Some(push) => {
                let pusher = Pusher::new(push, prometheus.clone()).map_err(|reason| {
                    TelemetryError::InvalidSetting {
                        setting: "push_gateway",
                        reason,
                    }
                })?;
                pusher.spawn(&background, push.interval);
                Some(pusher)
            }
            None => None,
        };
        Ok(Self {
            background,
            prometheus,
            tracer_provider,
            logger_provider,
            pusher,
            metrics_address,
            dashboard,
            shut_down: false,
        })
    }

    /// The address `/metrics` is served on, if it is served: the address
    /// actually bound, so with port 0 the port the system chose.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_address
    }

    /// Where the dashboard is, token included, if it is enabled.
    pub fn dashboard_url(&self) -> Option<&str> {
        self.dashboard.as_ref().map(|dashboard| dashboard.url())
    }

    /// The metrics in Prometheus text format, exactly as `/metrics` serves them.
    pub fn render(&self) -> String {
        self.prometheus.render()
    }

    /// Pushes to the Pushgateway now, if one is configured.
    pub fn push(&self) -> Result<(), TelemetryError> {
        match &self.pusher {
            Some(pusher) => {
                pusher
                    .push_and_wait(&self.background)
                    .map_err(|reason| TelemetryError::Push {
                        url: pusher.url().to_owned(),
                        reason,
                    })
            }
            None => Ok(()),
        }
    }

    /// Exports the spans batched so far and waits for the collector's
    /// answer; for short-lived processes such as serverless handlers.
    pub fn flush(&self) -> Result<(), TelemetryError> {
        self.export_pending(false)
    }

    /// Flushes the spans and log records batched so far, then shuts the
    /// providers down too when `shutting_down`. Both are tried even when
    /// one fails.
    fn export_pending(&self, shutting_down: bool) -> Result<(), TelemetryError> {
        let spans = self.tracer_provider.as_ref().map_or(Ok(()), |provider| {
            provider.force_flush().and_then(|()| {
                if shutting_down {
                    provider.shutdown()
                } else {
                    Ok(())
                }
            })
        });
        let logs = self.logger_provider.as_ref().map_or(Ok(()), |provider| {
            provider.force_flush().and_then(|()| {
                if shutting_down {
                    provider.shutdown()
                } else {
                    Ok(())
                }
            })
        });
        spans
            .and(logs)
            .map_err(|error| TelemetryError::Flush(error.to_string()))
    }

    /// Flushes spans, pushes a last time and closes the endpoint, reporting
    /// what could not be done. Dropping the guard does the same and logs
    /// the failures instead.
    pub fn shutdown(mut self) -> Result<(), TelemetryError> {
        self.stop()
    }

    /// Waits for SIGINT or SIGTERM, then shuts down as [`shutdown`](Self::shutdown)
    /// does: spans flushed, a last push, the endpoint closed. Returns the
    /// signal, so `main` can report it.
    ///
    /// For a service whose work ends on its own signal (an axum server's
    /// graceful shutdown, say), await [`stop_signal`] there instead and call
    /// [`shutdown`](Self::shutdown) once the work has drained.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), tta_exporter::TelemetryError> {
    /// let telemetry = tta_exporter::init()?;
    /// // ... spawn the work ...
    /// let signal = telemetry.shutdown_on_signal().await?;
    /// eprintln!("stopped by {signal}; telemetry flushed");
    /// # Ok(()) }
    /// ```
    pub async fn shutdown_on_signal(self) -> Result<StopSignal, TelemetryError> {
        let signal = stop_signal().await.map_err(TelemetryError::Signal)?;
        // Flushing blocks on the telemetry thread; keep the caller's
        // runtime free meanwhile.
        tokio::task::spawn_blocking(move || self.shutdown())
            .await
            .map_err(|error| TelemetryError::Flush(error.to_string()))??;
        Ok(signal)
    }

    fn stop(&mut self) -> Result<(), TelemetryError> {
        if std::mem::replace(&mut self.shut_down, true) {
            return Ok(());
        }
        let flushed = self.export_pending(true);
        let pushed = self.push();
        self.background.stop();
        flushed.and(pushed)
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, "telemetry_shutdown_incomplete");
        }
    }
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("metrics_address", &self.metrics_address)
            .field("otlp", &self.tracer_provider.is_some())
            .field("push", &self.pusher.as_ref().map(Pusher::url))
            .finish_non_exhaustive()
    }
}
