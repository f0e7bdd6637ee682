//! [`TelemetryError`]: why telemetry could not start or stop cleanly.

use std::net::SocketAddr;

/// Why telemetry could not be installed or shut down. Every variant names
/// what to fix: the address, the environment variable and its value, or
/// the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// The metrics endpoint could not listen on its address, usually
    /// because another process already does.
    #[error(
        "cannot serve metrics on {address}: {reason}; choose another port with \
         OTEL_EXPORTER_PROMETHEUS_PORT (0 for any free port) or \
         `builder().metrics_address(..)`"
    )]
    Bind {
        /// The address that was asked for.
        address: SocketAddr,
        /// What the operating system said.
        reason: String,
    },
    /// An environment variable holds a value that cannot be used.
    #[error("invalid environment variable {name}={value:?}: {reason}")]
    InvalidEnv {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should look like.
        reason: String,
    },
    /// A builder setting cannot be used.
    #[error("invalid telemetry setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The builder method.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Telemetry, another metrics recorder, or another global tracing
    /// subscriber is already installed in this process.
    #[error("{what} is already installed in this process; {hint}")]
    AlreadyInstalled {
        /// What was already there.
        what: &'static str,
        /// How to proceed.
        hint: &'static str,
    },
    /// The OTLP span exporter could not be built.
    #[error("cannot build the OTLP exporter for {endpoint}: {reason}")]
    Otlp {
        /// The collector endpoint.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The telemetry thread could not be started.
    #[error("cannot start the telemetry thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The SIGINT or SIGTERM handler could not be registered.
    #[error("cannot wait for SIGINT or SIGTERM: {0}")]
    Signal(#[source] std::io::Error),
    /// A push to the Pushgateway failed: it is down, unreachable or
    /// refused the metrics. Those metrics are not on the gateway.
    #[error("push to the Pushgateway at {url} failed: {reason}")]
    Push {
        /// The push URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Spans could not be flushed at shutdown; they are lost.
    #[error("spans could not be flushed at shutdown: {0}")]
    Flush(String),
}
