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
    /// Sent with every export: API keys and tenant ids of hosted back ends.
    pub(crate) otlp_headers: Vec<(String, String)>,
    /// PEM certificates trusted for an `https://` endpoint, besides the
    /// platform's roots.
    pub(crate) otlp_certificate: Option<Vec<u8>>,
    /// Whether log events go to the OTLP endpoint too (`OTEL_LOGS_EXPORTER`).
    pub(crate) otlp_logs: bool,
    pub(crate) service_name: Option<String>,
    /// The share of new traces kept, from `OTEL_TRACES_SAMPLER` or the
    /// builder; `None` keeps them all.
    pub(crate) trace_sample_ratio: Option<f64>,
    pub(crate) push: Option<Push>,
    /// A LiteLLM-format price file merged over the bundled snapshot.
    pub(crate) price_file: Option<PathBuf>,
    /// Prices set from code, merged over the file's.
    pub(crate) prices: Option<PriceTable>,
    /// The live dashboard beside `/metrics` (`TTA_DASHBOARD`), if enabled.
    pub(crate) dashboard: Option<crate::dashboard::Settings>,
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

        let log_format = match var("TTA_LOG_FORMAT").map(|value| value.trim().to_ascii_lowercase())
        {
            None => LogFormat::Pretty,
            Some(value) => match value.as_str() {
                "" | "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                "off" => LogFormat::Off,
                _ => {
                    return Err(invalid(
                        "TTA_LOG_FORMAT",
                        &value,
                        "expected `pretty`, `json` or `off`",
                    ));
                }
            },
        };
        let log_filter = var("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        crate::logs::validate_filter(&log_filter)
            .map_err(|reason| invalid("RUST_LOG", &log_filter, reason))?;

        // The signal-specific variable wins, and an error names the one set.
        let traces_or_general = |traces: &'static str, general: &'static str| {
            var(traces)
                .filter(|value| !value.trim().is_empty())
                .map(|value| (traces, value))
                .or_else(|| var(general).map(|value| (general, value)))
                .filter(|(_, value)| !value.trim().is_empty())
        };
        let otlp_endpoint = match traces_or_general(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ) {
            Some((name, endpoint)) => {
                let endpoint = endpoint.trim().to_owned();
                validate_otlp_url(&endpoint).map_err(|reason| invalid(name, &endpoint, reason))?;
                Some(endpoint)
            }
            None => None,
        };
        let otlp_protocol = match traces_or_general(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ) {
            None => OtlpProtocol::Grpc,
            Some((name, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "grpc" => OtlpProtocol::Grpc,
                "http/protobuf" => OtlpProtocol::HttpProtobuf,
                _ => return Err(invalid(name, &value, "expected `grpc` or `http/protobuf`")),
            },
        };
        let mut otlp_headers = Vec::new();
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        ] {
            if let Some(value) = var(name) {
                // The value holds credentials: the error names the variable only.
                let parsed = parse_headers(&value).map_err(|reason| {
                    invalid(name, "(not shown: it may hold credentials)", reason)
                })?;
                merge_headers(&mut otlp_headers, parsed);
            }
        }
        let otlp_logs =
            match var("OTEL_LOGS_EXPORTER").map(|value| value.trim().to_ascii_lowercase()) {
                None => true,
                Some(value) => match value.as_str() {
                    "" | "otlp" => true,
                    "none" => false,
                    _ => {
                        return Err(invalid(
                            "OTEL_LOGS_EXPORTER",
                            &value,
                            "expected `otlp` or `none`",
                        ));
                    }
                },
            };
        let otlp_certificate = match traces_or_general(
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        ) {
            Some((name, path)) => Some(std::fs::read(path.trim()).map_err(|error| {
                invalid(
                    name,
                    &path,
                    format!("cannot read the certificate file: {error}"),
                )
            })?),
            None => None,
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

        let dashboard = match var("TTA_DASHBOARD").map(|value| value.trim().to_ascii_lowercase()) {
            None => None,
            Some(value) => match value.as_str() {
                "" | "0" | "false" | "off" => None,
                "1" | "true" | "on" => Some(crate::dashboard::Settings {
                    token: var("TTA_DASHBOARD_TOKEN").filter(|token| !token.trim().is_empty()),
                    ..Default::default()
                }),
                _ => {
                    return Err(invalid(
                        "TTA_DASHBOARD",
                        &value,
                        "expected `1`, `true`, `on`, `0`, `false` or `off`",
                    ));
                }
            },
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
            otlp_headers,
            otlp_certificate,
            otlp_logs,
            service_name: None,
            trace_sample_ratio,
            push,
            price_file,
            prices: None,
            dashboard,
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

/// Accepts `http://` URLs with a host: the Pushgateway's.
pub(crate) fn validate_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        "expected an http:// URL (a Pushgateway is reached on the local network)".to_owned()
    })?;
    require_host(rest, "http://")
}

/// Accepts `http://` and `https://` URLs with a host: a collector's, or a
/// hosted back end's (Grafana Cloud, Honeycomb, ...).
pub(crate) fn validate_otlp_url(url: &str) -> Result<(), String> {
    match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(rest), _) => require_host(rest, "http://"),
        (_, Some(rest)) => require_host(rest, "https://"),
        _ => Err("expected an http:// or https:// URL".to_owned()),
    }
}

fn require_host(rest: &str, scheme: &str) -> Result<(), String> {
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(format!("expected a host after {scheme}"));
    }
    Ok(())
}

/// Parses `key1=value1,key2=value2`, the OTLP exporter's header list:
/// keys and values trimmed, values percent-decoded, as the specification
/// says.
pub(crate) fn parse_headers(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for pair in list
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
    {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            format!("expected `key=value` pairs separated by commas, got `{pair}`")
        })?;
        let key = key.trim();
        let value = percent_encoding::percent_decode_str(value.trim())
            .decode_utf8()
            .map_err(|_| format!("the value of `{key}` is not UTF-8 once decoded"))?
            .into_owned();
        validate_header(key, &value)?;
        headers.push((key.to_ascii_lowercase(), value));
    }
    Ok(headers)
}

/// A header the HTTP and gRPC clients will accept. The message never holds
/// the value, which is often a secret.
pub(crate) fn validate_header(name: &str, value: &str) -> Result<(), String> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    http::HeaderValue::from_str(value)
        .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
    Ok(())
}

/// Adds `more` to `headers`, a later value replacing an earlier one's.
pub(crate) fn merge_headers(headers: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (key, value) in more {
        let key = key.to_ascii_lowercase();
        match headers.iter_mut().find(|(existing, _)| *existing == key) {
            Some(slot) => slot.1 = value,
            None => headers.push((key, value)),
        }
    }
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
    fn the_dashboard_is_off_unless_asked_for() {
        assert_eq!(Settings::from_env(env(&[])).unwrap().dashboard, None);
        for off in ["0", "false", "off", ""] {
            let settings = Settings::from_env(env(&[("TTA_DASHBOARD", off)])).unwrap();
            assert_eq!(settings.dashboard, None, "{off:?}");
        }
        let settings = Settings::from_env(env(&[
            ("TTA_DASHBOARD", "ON"),
            ("TTA_DASHBOARD_TOKEN", "s3cret-token"),
        ]))
        .unwrap();
        let dashboard = settings.dashboard.unwrap();
        assert_eq!(dashboard.token.as_deref(), Some("s3cret-token"));
        assert_eq!(dashboard.runs, crate::dashboard::DEFAULT_RUNS);
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
            ("TTA_DASHBOARD", "maybe"),
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

    #[test]
    fn otlp_headers_are_parsed_decoded_and_the_traces_list_wins() {
        let settings = Settings::from_env(env(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://otlp-gateway.example.net/otlp",
            ),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Basic%20MTIzOmdsY18%3D, x-scope-orgid = tenant-1",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                "x-scope-orgid=tenant-2",
            ),
        ]))
        .unwrap();
        assert_eq!(
            settings.otlp_endpoint.as_deref(),
            Some("https://otlp-gateway.example.net/otlp")
        );
        assert_eq!(
            settings.otlp_headers,
            [
                ("authorization".to_owned(), "Basic MTIzOmdsY18=".to_owned()),
                ("x-scope-orgid".to_owned(), "tenant-2".to_owned()),
            ]
        );
    }

    #[test]
    fn a_bad_header_list_is_refused_without_showing_its_value() {
        for list in ["api-key", "bad key=1", "k=%FF"] {
            let error =
                Settings::from_env(env(&[("OTEL_EXPORTER_OTLP_HEADERS", list)])).unwrap_err();
            let text = error.to_string();
            assert!(text.contains("OTEL_EXPORTER_OTLP_HEADERS"), "{text}");
            assert!(text.contains("not shown"), "{text}");
        }
    }

    #[test]
    fn the_signal_specific_variable_is_the_one_named_in_an_error() {
        let error = Settings::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4317"),
        ]))
        .unwrap_err();
        assert!(
            matches!(
                error,
                TelemetryError::InvalidEnv {
                    name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                    ..
                }
            ),
            "{error:?}"
        );
        let error = Settings::from_env(env(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift")]))
            .unwrap_err();
        assert!(
            matches!(
                error,
                TelemetryError::InvalidEnv {
                    name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn words_are_read_whatever_their_case() {
        let settings = Settings::from_env(env(&[
            ("TTA_LOG_FORMAT", "JSON"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/Protobuf"),
        ]))
        .unwrap();
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.otlp_protocol, OtlpProtocol::HttpProtobuf);
    }

    #[test]
    fn a_certificate_file_that_cannot_be_read_is_named() {
        let error = Settings::from_env(env(&[(
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            "/nonexistent/ca.pem",
        )]))
        .unwrap_err();
        assert!(
            matches!(
                error,
                TelemetryError::InvalidEnv {
                    name: "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
