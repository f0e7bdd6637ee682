//! The observability stack under `docs/observability/`, proven:
//! promtool checks and unit-tests the rules, the files are well formed,
//! every metric they name is in the catalog, and every expression they ship
//! returns data from a real Prometheus scraping the real demo.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

#[path = "../examples/common/demo.rs"]
mod demo;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tta::catalog;
use tta_test_support::http;
use tta_test_support::tools;
use yaml_rust2::{Yaml, YamlLoader};

fn stack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/observability")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(stack().join(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

fn yaml(relative: &str) -> Yaml {
    let mut documents = YamlLoader::load_from_str(&read(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"));
    assert_eq!(documents.len(), 1, "{relative}");
    documents.remove(0)
}

const DASHBOARDS: [&str; 3] = [
    "grafana/dashboards/tta-primitives.json",
    "grafana/dashboards/tta-resilience.json",
    "grafana/dashboards/tta-cost.json",
];
const RULES: [&str; 2] = [
    "prometheus/rules/tta-recording.yml",
    "prometheus/rules/tta-alerts.yml",
];

fn dashboard(relative: &str) -> Value {
    serde_json::from_str(&read(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Every panel query, with Grafana's variables replaced by what "All" and
/// the built-in intervals expand to.
fn panel_queries() -> Vec<(String, String)> {
    DASHBOARDS
        .iter()
        .flat_map(|file| {
            let board = dashboard(file);
            board["panels"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|panel| {
                    let title = panel["title"].as_str().unwrap().to_owned();
                    panel["targets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(move |target| {
                            (title.clone(), target["expr"].as_str().unwrap().to_owned())
                        })
                })
                .collect::<Vec<_>>()
        })
        .map(|(title, expr)| {
            let expr = expr
                .replace("$__rate_interval", "1m")
                .replace("$__range", "2m")
                .replace("$job", ".+")
                .replace("$instance", ".+")
                .replace("$primitive", ".+");
            (title, expr)
        })
        .collect()
}

/// `(name, expression)` of every recording and alerting rule.
fn rules() -> Vec<(String, String, bool)> {
    RULES
        .iter()
        .flat_map(|file| {
            let doc = yaml(file);
            doc["groups"]
                .as_vec()
                .unwrap()
                .iter()
                .flat_map(|group| group["rules"].as_vec().unwrap().clone())
                .map(|rule| {
                    let alert = rule["alert"].as_str();
                    let name = alert.or(rule["record"].as_str()).unwrap().to_owned();
                    (
                        name,
                        rule["expr"].as_str().unwrap().trim().to_owned(),
                        alert.is_some(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An alert's signal: its expression without the final comparison, which
/// is what must have data when the system is healthy.
fn alert_signal(expr: &str) -> String {
    let cut = [" > ", " < ", " == ", " >= ", " <= ", " != "]
        .iter()
        .filter_map(|op| expr.rfind(op))
        .max()
        .unwrap_or_else(|| panic!("alert without a comparison: {expr}"));
    expr[..cut].trim().to_owned()
}

/// The PromQL examples of the seed documents, as a compatibility check.
const SEED_QUERIES: &[&str] = &[
    "rate(tta_workflow_executions_total[1m])",
    "tta_cache_hit_rate * 100",
    "histogram_quantile(0.95, rate(tta_execution_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.50, rate(tta_execution_duration_seconds_bucket[5m]))",
    "rate(tta_requests_total[1m])",
    "rate(tta_cache_hits_total[1m])",
    "rate(tta_cache_misses_total[1m])",
    "tta_requests_total",
    "rate(tta_workflow_duration_seconds_bucket[5m])",
    "rate(tta_workflow_executions_total[1m]) * 60",
    "rate(tta_requests_total{status=\"success\"}[5m]) / rate(tta_requests_total[5m]) * 100",
    "tta_workflow_executions_total",
    "rate(tta_cache_hits_total[1m]) + rate(tta_cache_misses_total[1m])",
    "rate(tta_requests_total{status!=\"success\"}[5m]) / rate(tta_requests_total[5m])",
    "rate(tta_workflow_executions_total{status=\"error\"}[5m])",
    "sum by (primitive_name) (tta_primitive_executions_total)",
    "sum(rate(tta_cache_hits_total[5m])) / sum(rate(tta_cache_total[5m])) * 100",
    "sum by (status) (tta_retry_attempts_total)",
    "sum by (status) (tta_workflow_executions_total)",
    "sum(tta_workflow_executions_total)",
    "sum by (attempt) (tta_retry_attempts_total)",
    "tta_execution_duration_seconds_bucket",
];

#[test]
fn promtool_checks_the_configs_and_unit_tests_the_alerts() {
    let Some(promtool) = tools::find("promtool", "prometheus") else {
        return;
    };
    let run = |args: &[&str], dir: &Path| {
        let output = Command::new(&promtool)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "promtool {args:?}:\n{report}");
        report
    };
    let rules_dir = stack().join("prometheus/rules");
    run(
        &["check", "rules", "tta-recording.yml", "tta-alerts.yml"],
        &rules_dir,
    );
    let report = run(&["test", "rules", "tta-alerts.test.yml"], &rules_dir);
    assert!(report.contains("SUCCESS"), "{report}");
    let prometheus_dir = stack().join("prometheus");
    run(&["check", "config", "prometheus.yml"], &prometheus_dir);
    run(
        &["check", "config", "prometheus.compose.yml"],
        &prometheus_dir,
    );

    // Every alert the seeds ask for, plus CircuitBreakerOpen, has a unit test.
    let tests = read("prometheus/rules/tta-alerts.test.yml");
    for (name, _, alert) in rules() {
        if alert {
            assert!(
                tests.contains(&format!("alertname: {name}")),
                "{name} has no promtool test"
            );
        }
    }
}

#[test]
fn dashboards_are_valid_with_unique_ids_and_no_overlapping_panels() {
    for file in DASHBOARDS {
        let board = dashboard(file);
        assert_eq!(board["refresh"], "15s", "{file}");
        let variables: Vec<_> = board["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|variable| variable["name"].as_str().unwrap())
            .collect();
        for required in ["datasource", "job", "instance"] {
            assert!(variables.contains(&required), "{file} lacks ${required}");
        }
        let panels = board["panels"].as_array().unwrap();
        // The seeds' eight each, and the resilience board's streaming row.
        let expected = if file.ends_with("tta-resilience.json") {
            12
        } else {
            8
        };
        assert_eq!(panels.len(), expected, "{file}");
        let ids: BTreeSet<_> = panels
            .iter()
            .map(|panel| panel["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids.len(), panels.len(), "{file}: duplicate panel ids");
        let boxes: Vec<_> = panels
            .iter()
            .map(|panel| {
                let grid = &panel["gridPos"];
                let get = |key: &str| grid[key].as_u64().unwrap();
                (
                    panel["title"].as_str().unwrap(),
                    get("x"),
                    get("y"),
                    get("w"),
                    get("h"),
                )
            })
            .collect();
        for (index, a) in boxes.iter().enumerate() {
            assert!(a.1 + a.3 <= 24, "{file}: {} is wider than the grid", a.0);
            for b in &boxes[index + 1..] {
                let apart =
                    a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1 || a.2 + a.4 <= b.2 || b.2 + b.4 <= a.2;
                assert!(apart, "{file}: panels {} and {} overlap", a.0, b.0);
            }
        }
        for panel in panels {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{file}: {}",
                panel["title"]
            );
        }
    }
    let kinds: Vec<_> = dashboard(DASHBOARDS[0])["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|panel| panel["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "stat",
            "gauge",
            "timeseries",
            "timeseries",
            "timeseries",
            "piechart",
            "heatmap",
            "table"
        ]
    );
}

#[test]
fn the_yaml_files_parse_and_the_compose_file_pins_its_images() {
    for file in [
        "docker-compose.yml",
        "grafana/provisioning/datasources/datasources.yml",
        "grafana/provisioning/dashboards/dashboards.yml",
        "otel-collector/config.yml",
        "alertmanager/alertmanager.yml",
        "prometheus/prometheus.yml",
        "prometheus/prometheus.compose.yml",
    ] {
        assert!(!yaml(file).is_badvalue(), "{file}");
    }
    let compose = yaml("docker-compose.yml");
    let services = compose["services"].as_hash().unwrap();
    let names: BTreeSet<_> = services.keys().map(|key| key.as_str().unwrap()).collect();
    for required in [
        "prometheus",
        "grafana",
        "jaeger",
        "otel-collector",
        "pushgateway",
        "alertmanager",
    ] {
        assert!(names.contains(required), "compose lacks {required}");
    }
    for (name, service) in services {
        let image = service["image"].as_str().unwrap();
        let tag = image
            .rsplit_once(':')
            .map(|(_, tag)| tag)
            .unwrap_or_default();
        assert!(
            !tag.is_empty() && tag != "latest",
            "{name:?} must pin its image: {image}"
        );
    }
    let grafana = &compose["services"]["grafana"]["environment"];
    let password = grafana["GF_SECURITY_ADMIN_PASSWORD"].as_str().unwrap();
    assert!(
        password.starts_with("${"),
        "Grafana's password comes from the environment, not {password:?}"
    );

    let datasources = yaml("grafana/provisioning/datasources/datasources.yml");
    let types: Vec<_> = datasources["datasources"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|source| source["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["prometheus", "jaeger"]);
    let alloy = read("alloy/config.alloy");
    for needle in [
        "127.0.0.1:9464",
        "remote_write",
        "sys.env(\"GRAFANA_CLOUD_API_TOKEN\")",
        "otelcol.receiver.otlp",
    ] {
        assert!(alloy.contains(needle), "alloy config lacks {needle}");
    }
}

/// Metric names in an expression, with histogram suffixes folded.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut start = 0;
    while let Some(found) = expr[start..].find("tta_") {
        let begin = start + found;
        let preceded_by_word = begin > 0
            && (bytes[begin - 1].is_ascii_alphanumeric()
                || bytes[begin - 1] == b':'
                || bytes[begin - 1] == b'_');
        let end = expr[begin..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(expr.len(), |offset| begin + offset);
        if !preceded_by_word {
            let name = &expr[begin..end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            names.insert(family.to_owned());
        }
        start = end;
    }
    names
}

#[test]
fn every_metric_the_stack_names_is_in_the_catalog() {
    let catalog: BTreeSet<_> = catalog::ALL
        .iter()
        .map(|metric| metric.name.to_owned())
        .collect();
    let mut used = BTreeSet::new();
    for (title, expr) in panel_queries() {
        for name in metric_names(&expr) {
            assert!(
                catalog.contains(&name),
                "panel {title:?} queries {name}, which nothing emits"
            );
            used.insert(name);
        }
    }
    for (rule, expr, _) in rules() {
        for name in metric_names(&expr) {
            assert!(
                catalog.contains(&name),
                "rule {rule} queries {name}, which nothing emits"
            );
            used.insert(name);
        }
    }
    for query in SEED_QUERIES {
        for name in metric_names(query) {
            assert!(catalog.contains(&name), "seed query {query} names {name}");
        }
    }
    assert!(
        used.len() >= 15,
        "the dashboards and rules cover most of the catalog: {used:?}"
    );
    for metric in [
        catalog::CACHE_EVICTIONS_TOTAL,
        catalog::RETRY_ATTEMPTS_TOTAL,
        catalog::LLM_COST_NANO_USD_TOTAL,
        catalog::LLM_TOKENS_TOTAL,
        catalog::LLM_UNPRICED_CALLS_TOTAL,
        catalog::CACHE_SAVED_COST_NANO_USD_TOTAL,
        catalog::CACHE_SAVED_SECONDS,
        catalog::PARALLEL_BRANCH_SECONDS,
    ] {
        assert!(used.contains(metric), "no panel or rule reads {metric}");
    }
}

/// A Prometheus on a free loopback port, scraping `target` every second
/// and evaluating our rules every second; killed when dropped.
struct Prometheus {
    child: Child,
    address: std::net::SocketAddr,
    dir: PathBuf,
}

impl Prometheus {
    fn start(target: std::net::SocketAddr) -> Option<Self> {
        let binary = tools::find("prometheus", "prometheus")?;
        let dir = std::env::temp_dir().join(format!("tta-prometheus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rules = stack().join("prometheus/rules");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\n  - {}\nscrape_configs:\n  - job_name: tta\n    static_configs:\n      - targets: [\"{target}\"]\n",
            rules.join("tta-recording.yml").display(),
            rules.join("tta-alerts.yml").display(),
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let address = http::free_port();
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Some(Self {
            child,
            address,
            dir,
        })
    }

    /// Runs an instant query; returns the result array, or the error text.
    fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let encoded: String = expr
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                    (byte as char).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        let (status, body) = http::get(self.address, &format!("/api/v1/query?query={encoded}"))
            .map_err(|error| error.to_string())?;
        let response: Value =
            serde_json::from_str(&body).map_err(|error| format!("{status}: {error}: {body}"))?;
        if response["status"] != "success" {
            return Err(format!("{status}: {body}"));
        }
        Ok(response["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_expression_returns_data_from_prometheus_scraping_the_demo() {
    let (address, telemetry) = http::install_serving_metrics();
    let Some(prometheus) = Prometheus::start(address) else {
        return;
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = demo::Options {
        rate: 40.0,
        status_every: Duration::from_secs(5),
    };
    let load = tokio::spawn(async move {
        demo::run(&options, async {
            let _ = stopped.await;
        })
        .await
    });

    let prometheus = tokio::task::spawn_blocking(move || {
        // Enough scrapes for rate() and the recording rules: bounded wait.
        let ready = (0..120).any(|_| {
            std::thread::sleep(Duration::from_millis(500));
            prometheus
                .query("count_over_time(up{job=\"tta\"}[1m]) >= 12 and on () count(tta:primitive_duration_seconds:p95_5m) > 0")
                .is_ok_and(|result| !result.is_empty())
        });
        assert!(ready, "Prometheus did not collect 12 scrapes of the demo within a minute");

        let mut failures = Vec::new();
        let mut check = |what: String, expr: &str| match prometheus.query(expr) {
            Ok(result) if !result.is_empty() => {}
            Ok(_) => failures.push(format!("{what}: no data for {expr}")),
            Err(error) => failures.push(format!("{what}: {expr}: {error}")),
        };
        for (title, expr) in panel_queries() {
            check(format!("panel {title:?}"), &expr);
        }
        for (name, expr, alert) in rules() {
            if alert {
                check(format!("alert {name}"), &alert_signal(&expr));
            } else {
                check(format!("recording rule {name}"), &expr);
                check(format!("recorded series {name}"), &name);
            }
        }
        for query in SEED_QUERIES {
            check("seed query".to_owned(), query);
        }
        assert!(failures.is_empty(), "{} expressions failed:\n{}", failures.len(), failures.join("\n"));
        prometheus
    })
    .await
    .unwrap();
    drop(prometheus);
    stop.send(()).unwrap();
    load.await.unwrap();
    tokio::task::spawn_blocking(move || telemetry.shutdown().unwrap())
        .await
        .unwrap();
}
