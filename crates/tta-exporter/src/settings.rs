//! What telemetry to install, from the environment and the builder.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use tta_core::llm::PriceTable;

use crate::TelemetryError;

/// The metrics endpoint's default port, registered for Prometheus exporters.
pub const DEFAULT_METRICS_PORT: u16 = 9464;

/// How log events are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal (the default).
    #[default]
    Pretty,
    /// One JSON object per event, for log shippers (`TTA_LOG_FORMAT=json`).
    Json,
    /// No log output; spans and metrics are still recorded.
    Off,
}

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpProtocol {
    /// gRPC, usually port 4317 (the default).
    #[default]
    Grpc,
    /// HTTP with protobuf bodies, usually port 4318.
    HttpProtobuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Push {
    pub(crate) url: String,
    pub(crate) job: String,
    pub(crate) interval: Duration,
}

/// Everything [`TelemetryBuilder::install`](crate::TelemetryBuilder::install) needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub(crate) metrics_address: Option<SocketAddr>,
    pub(crate) log_format: LogFormat,
    pub(crate) log_filter: String,
    pub(crate) otlp_endpoint: Option<String>,
    pub(crate) otlp_protocol: OtlpProtocol,
    pub(crate) service_name: Option<String>,
    /// The share of new traces kept, from `OTEL_TRACES_SAMPLER` or the
    /// builder; `None` keeps them all.
    pub(crate) trace_sample_ratio: Option<f64>,
    pub(crate) push: Option<Push>,
    /// A LiteLLM-format price file merged over the bundled snapshot.
    pub(crate) price_file: Option<PathBuf>,
    /// Prices set from code, merged over the file's.
    pub(crate) prices: Option<PriceTable>,
}

/// The default Pushgateway interval.
pub const DEFAULT_PUSH_INTERVAL: Duration = Duration::from_secs(10);

fn invalid(name: &'static str, value: &str, reason: impl Into<String>) -> TelemetryError {
    TelemetryError::InvalidEnv {
        name,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    if host == "localhost" {
        return Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, port));
    }
    (host, port).to_socket_addrs().ok()?.next()
}

impl Settings {
    /// Reads the standard variables through `var`, so tests need not touch
    /// the process environment.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, TelemetryError> {
        let port = match var("OTEL_EXPORTER_PROMETHEUS_PORT") {
            Some(value) => value.trim().parse::<u16>().map_err(|_| {
                invalid(
                    "OTEL_EXPORTER_PROMETHEUS_PORT",
                    &value,
                    "expected a port number from 0 to 65535",
                )
            })?,
            None => DEFAULT_METRICS_PORT,
        };
        let host = var("OTEL_EXPORTER_PROMETHEUS_HOST").unwrap_or_else(|| "localhost".to_owned());
        let metrics_address = resolve(host.trim(), port).ok_or_else(|| {
            invalid(
                "OTEL_EXPORTER_PROMETHEUS_HOST",
                &host,
                "expected an IP address or a resolvable host name",
            )
        })?;

        let log_format = match var("TTA_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("" | "pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some("off") => LogFormat::Off,
            Some(other) => {
                return Err(invalid(
                    "TTA_LOG_FORMAT",
                    other,
                    "expected `pretty`, `json` or `off`",
                ));
            }
        };
        let log_filter = var("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        crate::logs::validate_filter(&log_filter)
            .map_err(|reason| invalid("RUST_LOG", &log_filter, reason))?;

        let otlp_endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"))
            .filter(|endpoint| !endpoint.trim().is_empty());
        if let Some(endpoint) = &otlp_endpoint {
            validate_url(endpoint)
                .map_err(|reason| invalid("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, reason))?;
        }
        let otlp_protocol = match var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .as_deref()
            .map(str::trim)
        {
            None | Some("grpc") => OtlpProtocol::Grpc,
            Some("http/protobuf") => OtlpProtocol::HttpProtobuf,
            Some(other) => {
                return Err(invalid(
                    "OTEL_EXPORTER_OTLP_PROTOCOL",
                    other,
                    "expected `grpc` or `http/protobuf`",
                ));
            }
        };

        let trace_sample_ratio = sample_ratio(&var)?;

        let push = match var("TTA_PUSHGATEWAY_URL").filter(|url| !url.trim().is_empty()) {
            None => None,
            Some(url) => {
                validate_url(&url)
                    .map_err(|reason| invalid("TTA_PUSHGATEWAY_URL", &url, reason))?;
                let job = var("TTA_PUSHGATEWAY_JOB").unwrap_or_else(|| "tta".to_owned());
                validate_job(&job)
                    .map_err(|reason| invalid("TTA_PUSHGATEWAY_JOB", &job, reason))?;
                Some(Push {
                    url,
                    job,
                    interval: DEFAULT_PUSH_INTERVAL,
                })
            }
        };

        let price_file = var(PRICE_FILE_VAR)
            .filter(|path| !path.trim().is_empty())
            .map(PathBuf::from);

        Ok(Self {
            metrics_address: Some(metrics_address),
            log_format,
            log_filter,
            otlp_endpoint,
            otlp_protocol,
            service_name: None,
            trace_sample_ratio,
            push,
            price_file,
            prices: None,
        })
    }

    /// The process's price table: the bundled snapshot, then the file's
    /// models, then the builder's.
    pub(crate) fn price_table(&self) -> Result<Option<PriceTable>, TelemetryError> {
        if self.price_file.is_none() && self.prices.is_none() {
            return Ok(None);
        }
        let mut table = PriceTable::bundled();
        if let Some(path) = &self.price_file {
            let file = PriceTable::from_file(path).map_err(|error| {
                invalid(
                    PRICE_FILE_VAR,
                    &path.display().to_string(),
                    error.to_string(),
                )
            })?;
            table = table.merged(file);
        }
        if let Some(prices) = &self.prices {
            table = table.merged(prices.clone());
        }
        Ok(Some(table))
    }
}

/// The variable naming a price file in LiteLLM's format.
pub const PRICE_FILE_VAR: &str = "TTA_LLM_PRICES_FILE";

/// Reads OpenTelemetry's standard sampler variables as a ratio. A run always
/// follows its parent's decision, so the `parentbased_` forms read the same.
fn sample_ratio(var: &impl Fn(&str) -> Option<String>) -> Result<Option<f64>, TelemetryError> {
    const SAMPLER: &str = "OTEL_TRACES_SAMPLER";
    const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    let Some(sampler) = var(SAMPLER) else {
        return Ok(None);
    };
    let sampler = sampler.trim();
    match sampler.strip_prefix("parentbased_").unwrap_or(sampler) {
        "" | "always_on" => Ok(None),
        "always_off" => Ok(Some(0.0)),
        "traceidratio" => match var(ARG) {
            // The specification's default argument.
            None => Ok(Some(1.0)),
            Some(arg) => arg
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|ratio| tta_core::sampling::check_sample_ratio(ratio).ok())
                .map(Some)
                .ok_or_else(|| invalid(ARG, &arg, "expected a ratio from 0 to 1")),
        },
        _ => Err(invalid(
            SAMPLER,
            sampler,
            "expected `always_on`, `always_off` or `traceidratio`, optionally prefixed with `parentbased_`",
        )),
    }
}

/// Accepts `http://` URLs with a host. TLS is left to a local collector.
pub(crate) fn validate_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        "expected an http:// URL (send TLS traffic through a local collector or Alloy)".to_owned()
    })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err("expected a host after http://".to_owned());
    }
    Ok(())
}

/// A Pushgateway job name becomes a URL path segment.
pub(crate) fn validate_job(job: &str) -> Result<(), String> {
    if job.is_empty()
        || !job
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("expected letters, digits, `_`, `-` or `.`".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn defaults_serve_localhost_9464_with_pretty_info_logs_and_no_otlp() {
        let settings = Settings::from_env(env(&[])).unwrap();
        assert_eq!(
            settings.metrics_address,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(settings.log_format, LogFormat::Pretty);
        assert_eq!(settings.log_filter, "info");
        assert_eq!(settings.otlp_endpoint, None);
        assert_eq!(settings.push, None);
    }

    #[test]
    fn standard_variables_are_honoured() {
        let settings = Settings::from_env(env(&[
            ("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "9100"),
            ("TTA_LOG_FORMAT", "json"),
            ("RUST_LOG", "warn,tta=debug"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("TTA_PUSHGATEWAY_URL", "http://127.0.0.1:9091"),
            ("TTA_PUSHGATEWAY_JOB", "nightly-batch"),
        ]))
        .unwrap();
        assert_eq!(
            settings.metrics_address,
            Some("0.0.0.0:9100".parse().unwrap())
        );
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.log_filter, "warn,tta=debug");
        assert_eq!(
            settings.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );
        assert_eq!(settings.otlp_protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(settings.push.unwrap().job, "nightly-batch");
    }

    #[test]
    fn invalid_variables_are_named_with_their_value() {
        let cases = [
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "94640"),
            ("OTEL_EXPORTER_PROMETHEUS_HOST", "no such host.invalid"),
            ("TTA_LOG_FORMAT", "xml"),
            ("RUST_LOG", "tta=loudest"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("TTA_PUSHGATEWAY_URL", "ftp://gateway"),
            ("OTEL_TRACES_SAMPLER", "jaeger_remote"),
            ("TTA_LLM_PRICES_FILE", "/nonexistent/prices.json"),
        ];
        for (name, value) in cases {
            let error = Settings::from_env(env(&[(name, value)]))
                .and_then(|settings| settings.price_table().map(|_| settings))
                .unwrap_err();
            match &error {
                TelemetryError::InvalidEnv {
                    name: got,
                    value: got_value,
                    ..
                } => {
                    assert_eq!((*got, got_value.as_str()), (name, value), "{error}");
                }
                other => panic!("{name}: expected InvalidEnv, got {other:?}"),
            }
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn a_price_file_extends_the_bundled_snapshot() {
        let path = std::env::temp_dir().join(format!("tta-prices-{}.json", std::process::id()));
        std::fs::write(
            &path,
            r#"{"in-house-7b": {"input_cost_per_token": 1e-7, "output_cost_per_token": 2e-7}}"#,
        )
        .unwrap();
        let path_text = path.display().to_string();
        let settings = Settings::from_env(env(&[("TTA_LLM_PRICES_FILE", &path_text)])).unwrap();
        let table = settings.price_table().unwrap().expect("a table");
        std::fs::remove_file(&path).unwrap();
        let price = table
            .lookup("acme", "in-house-7b")
            .expect("the file's model");
        assert_eq!(price.output.nanos(), 200_000_000);
        assert!(
            table.lookup("openai", "gpt-4o").is_some(),
            "the snapshot is kept"
        );
        assert_eq!(
            Settings::from_env(env(&[])).unwrap().price_table().unwrap(),
            None
        );
    }

    #[test]
    fn the_standard_sampler_variables_become_a_ratio() {
        let ratio =
            |pairs: &[(&str, &str)]| Settings::from_env(env(pairs)).unwrap().trace_sample_ratio;
        assert_eq!(ratio(&[]), None);
        assert_eq!(
            ratio(&[("OTEL_TRACES_SAMPLER", "parentbased_always_on")]),
            None
        );
        assert_eq!(ratio(&[("OTEL_TRACES_SAMPLER", "always_off")]), Some(0.0));
        assert_eq!(ratio(&[("OTEL_TRACES_SAMPLER", "traceidratio")]), Some(1.0));
        assert_eq!(
            ratio(&[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ]),
            Some(0.1)
        );
        let error = Settings::from_env(env(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
        ]))
        .unwrap_err();
        assert!(
            error.to_string().contains("OTEL_TRACES_SAMPLER_ARG"),
            "{error}"
        );
    }
}
