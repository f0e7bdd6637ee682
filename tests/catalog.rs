//! `docs/metrics.md` and `tta::catalog` describe the same metrics.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use tta::catalog::{self, MetricType};

fn documented() -> Vec<(String, String, Vec<String>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md"))
        .expect("docs/metrics.md is readable");
    doc.lines()
        .filter(|line| line.starts_with("| `tta_"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_owned();
            let kind = cells[2].to_owned();
            let labels = cells[3]
                .split(',')
                .map(|l| l.trim().trim_matches('`').to_owned())
                .filter(|l| !l.is_empty())
                .collect();
            (name, kind, labels)
        })
        .collect()
}

#[test]
fn the_documented_catalog_matches_the_code() {
    let documented = documented();
    let code: Vec<_> = catalog::ALL
        .iter()
        .map(|m| {
            let kind = match m.metric_type {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
                MetricType::Histogram => "histogram",
            };
            (
                m.name.to_owned(),
                kind.to_owned(),
                m.labels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(documented, code);
}

#[test]
fn names_follow_prometheus_conventions() {
    for metric in catalog::ALL {
        assert!(metric.name.starts_with("tta_"), "{}", metric.name);
        let is_total = metric.name.ends_with("_total");
        assert_eq!(
            is_total,
            metric.metric_type == MetricType::Counter,
            "{}",
            metric.name
        );
        if metric.metric_type == MetricType::Histogram {
            assert!(metric.name.ends_with("_seconds"), "{}", metric.name);
        }
        assert!(!metric.help.is_empty());
    }
}

#[test]
fn the_documented_gen_ai_metrics_match_the_conventions_table() {
    use tta::llm::semconv::metrics as gen_ai;
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md"))
        .expect("docs/metrics.md is readable");
    let documented: Vec<String> = doc
        .lines()
        .filter(|line| line.starts_with("| `gen_ai_"))
        .map(|line| line.split('`').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        documented,
        [
            gen_ai::TOKEN_USAGE,
            gen_ai::OPERATION_DURATION,
            gen_ai::TIME_TO_FIRST_CHUNK,
            gen_ai::TIME_PER_OUTPUT_CHUNK
        ]
    );
    assert!(doc.contains(gen_ai::INFERENCE_DURATION));
    for (name, buckets) in gen_ai::HISTOGRAMS {
        assert!(doc.contains(name), "{name} is not documented");
        assert_eq!(
            buckets.len(),
            14,
            "{name}: every GenAI histogram has 14 boundaries, as the conventions' do"
        );
    }
}
