//! The dashboard's memory: the panels' time series, sampled once a second
//! from the rendered metrics, and bounded in time (15 minutes) and in the
//! number of series, whatever the labels.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::{Map, Value, json};

use super::exposition::Sample;

/// Points kept per series: 15 minutes at one a second.
pub(crate) const POINTS: usize = 900;
/// Series kept at most; a label attack fills this and no more.
pub(crate) const MAX_SERIES: usize = 256;
/// Series per labelled panel (by primitive, by model, ...).
const MAX_PER_PANEL: usize = 24;
/// The window rates and quantiles of the graph nodes are taken over.
const WINDOW: usize = 10;

/// A histogram's cumulative bucket counts, by upper bound.
type Buckets = Vec<(f64, f64)>;

/// What one sample of the metrics says, summed the way the panels need.
#[derive(Debug, Default, Clone)]
struct Totals {
    workflows_ok: f64,
    workflows_failed: f64,
    workflow_buckets: Buckets,
    active: f64,
    cache_hits: f64,
    cache_misses: f64,
    saved_nano_usd: f64,
    /// Executions and failures by primitive name.
    executions: BTreeMap<String, (f64, f64)>,
    /// Execution duration buckets by primitive name.
    durations: HashMap<String, Buckets>,
    /// Time-to-first-chunk buckets by primitive name.
    first_chunk: HashMap<String, Buckets>,
    retry_attempts: BTreeMap<String, f64>,
    tokens: BTreeMap<String, f64>,
    cost_nano_usd: BTreeMap<String, f64>,
    breakers: BTreeMap<String, f64>,
}

impl Totals {
    fn from_samples(samples: &[Sample]) -> Self {
        let mut totals = Self::default();
        let mut workflow_buckets = BTreeMap::new();
        let mut durations: HashMap<String, BTreeMap<Le, f64>> = HashMap::new();
        let mut first_chunk: HashMap<String, BTreeMap<Le, f64>> = HashMap::new();
        for sample in samples {
            let label = |name| sample.label(name).unwrap_or("").to_owned();
            let value = sample.value;
            match sample.name.as_str() {
                "tta_workflow_executions_total" => match sample.label("status") {
                    Some("success") => totals.workflows_ok += value,
                    _ => totals.workflows_failed += value,
                },
                "tta_workflow_duration_seconds_bucket" => {
                    *workflow_buckets.entry(Le::of(sample)).or_insert(0.0) += value;
                }
                "tta_active_executions" => totals.active += value,
                "tta_cache_hits_total" => totals.cache_hits += value,
                "tta_cache_misses_total" => totals.cache_misses += value,
                "tta_cache_saved_cost_nano_usd_total" => totals.saved_nano_usd += value,
                "tta_primitive_executions_total" => {
                    let entry = totals
                        .executions
                        .entry(label("primitive_name"))
                        .or_default();
                    entry.0 += value;
                    if sample.label("status") != Some("success") {
                        entry.1 += value;
                    }
                }
                "tta_execution_duration_seconds_bucket" => {
                    *durations
                        .entry(label("primitive_name"))
                        .or_default()
                        .entry(Le::of(sample))
                        .or_insert(0.0) += value;
                }
                "tta_stream_time_to_first_chunk_seconds_bucket" => {
                    *first_chunk
                        .entry(label("primitive_name"))
                        .or_default()
                        .entry(Le::of(sample))
                        .or_insert(0.0) += value;
                }
                "tta_retry_attempts_total" => {
                    *totals
                        .retry_attempts
                        .entry(format!("attempt {}", label("attempt")))
                        .or_insert(0.0) += value;
                }
                "tta_llm_tokens_total" => {
                    *totals.tokens.entry(label("model")).or_insert(0.0) += value;
                }
                "tta_llm_cost_nano_usd_total" => {
                    *totals.cost_nano_usd.entry(label("model")).or_insert(0.0) += value;
                }
                "tta_circuit_breaker_state" => {
                    totals.breakers.insert(label("primitive_name"), value);
                }
                _ => {}
            }
        }
        totals.workflow_buckets = into_buckets(workflow_buckets);
        let by_name = |map: HashMap<String, BTreeMap<Le, f64>>| {
            map.into_iter()
                .map(|(name, buckets)| (name, into_buckets(buckets)))
                .collect()
        };
        totals.durations = by_name(durations);
        totals.first_chunk = by_name(first_chunk);
        totals
    }
}

/// A bucket bound that sorts, `+Inf` last.
#[derive(Debug, Clone, Copy)]
struct Le(f64);

impl PartialEq for Le {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Le {}

impl PartialOrd for Le {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Le {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Le {
    fn of(sample: &Sample) -> Self {
        Self(match sample.label("le") {
            Some("+Inf") | None => f64::INFINITY,
            Some(bound) => bound.parse().unwrap_or(f64::INFINITY),
        })
    }
}

fn into_buckets(map: BTreeMap<Le, f64>) -> Buckets {
    map.into_iter().map(|(le, count)| (le.0, count)).collect()
}

/// `later - earlier`, bucket by bucket; counters only grow, so a negative
/// difference (a bucket layout that changed) counts as zero.
fn bucket_delta(later: &Buckets, earlier: Option<&Buckets>) -> Buckets {
    later
        .iter()
        .map(|&(le, count)| {
            let before = earlier
                .and_then(|earlier| earlier.iter().find(|(bound, _)| *bound == le))
                .map_or(0.0, |(_, count)| *count);
            (le, (count - before).max(0.0))
        })
        .collect()
}

/// Prometheus's `histogram_quantile`: linear within the bucket.
fn quantile(q: f64, buckets: &Buckets) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let span = count - lower.1;
            let fraction = if span > 0.0 {
                (rank - lower.1) / span
            } else {
                1.0
            };
            return Some(lower.0 + (le - lower.0) * fraction);
        }
        lower = (le, count);
    }
    None
}

/// Live figures of one primitive, for the workflow graph's nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NodeStats {
    pub(crate) rate: f64,
    pub(crate) error_ratio: Option<f64>,
    pub(crate) p95_ms: Option<f64>,
}

/// The panels' history.
pub(crate) struct History {
    times: VecDeque<f64>,
    series: BTreeMap<String, VecDeque<Option<f64>>>,
    /// The last [`WINDOW`] samples, oldest first, for rates and quantiles.
    window: VecDeque<(f64, Totals)>,
    dropped_series: u64,
}

impl Default for History {
    fn default() -> Self {
        Self {
            times: VecDeque::with_capacity(POINTS),
            series: BTreeMap::new(),
            window: VecDeque::with_capacity(WINDOW + 1),
            dropped_series: 0,
        }
    }
}

impl History {
    /// Adds the sample taken at `now` (unix seconds).
    pub(crate) fn record(&mut self, now: f64, samples: &[Sample]) {
        let totals = Totals::from_samples(samples);
        let points = match self.window.back() {
            Some((then, previous)) if now > *then => points(&totals, previous, now - then),
            _ => Vec::new(),
        };
        self.window.push_back((now, totals));
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
        if self.window.len() < 2 {
            return;
        }
        self.push(now, points);
    }

    fn push(&mut self, now: f64, points: Vec<(String, f64)>) {
        if self.times.len() == POINTS {
            self.times.pop_front();
            for values in self.series.values_mut() {
                values.pop_front();
            }
        }
        self.times.push_back(now);
        let length = self.times.len();
        for values in self.series.values_mut() {
            values.push_back(None);
        }
        for (key, value) in points {
            if !self.series.contains_key(&key) {
                if self.series.len() >= MAX_SERIES {
                    self.dropped_series += 1;
                    continue;
                }
                self.series
                    .insert(key.clone(), std::iter::repeat_n(None, length).collect());
            }
            if let Some(last) = self.series.get_mut(&key).and_then(|v| v.back_mut()) {
                *last = Some(value);
            }
        }
        // A series with no point left in the window is gone for good.
        self.series
            .retain(|_, values| values.iter().any(Option::is_some));
    }

    /// The points after `since` (unix seconds), as `{"times", "series"}`.
    pub(crate) fn since(&self, since: f64) -> Value {
        let skip = self.times.iter().take_while(|t| **t <= since).count();
        let times: Vec<f64> = self.times.iter().skip(skip).copied().collect();
        let series: Map<String, Value> = self
            .series
            .iter()
            .map(|(key, values)| {
                let values: Vec<Option<f64>> = values.iter().skip(skip).copied().collect();
                (key.clone(), json!(values))
            })
            .collect();
        json!({ "times": times, "series": series, "dropped_series": self.dropped_series })
    }

    /// The latency distribution over the window: executions per bucket.
    pub(crate) fn distribution(&self) -> Value {
        let (Some((_, first)), Some((_, last))) = (self.window.front(), self.window.back()) else {
            return json!([]);
        };
        let mut total: BTreeMap<Le, f64> = BTreeMap::new();
        for (name, buckets) in &last.durations {
            for (le, count) in bucket_delta(buckets, first.durations.get(name)) {
                *total.entry(Le(le)).or_insert(0.0) += count;
            }
        }
        // Cumulative counts to per-bucket counts.
        let mut below = 0.0;
        let bars: Vec<Value> = total
            .into_iter()
            .map(|(le, cumulative)| {
                let count = (cumulative - below).max(0.0);
                below = cumulative;
                let bound = if le.0.is_finite() {
                    json!(le.0 * 1e3)
                } else {
                    json!("+Inf")
                };
                json!({ "le_ms": bound, "count": count })
            })
            .collect();
        json!(bars)
    }

    /// The circuit breakers' current states.
    pub(crate) fn breakers(&self) -> Value {
        let Some((_, last)) = self.window.back() else {
            return json!([]);
        };
        let states: Vec<Value> = last
            .breakers
            .iter()
            .map(|(name, state)| {
                let label = match *state as u8 {
                    0 => "closed",
                    1 => "half-open",
                    _ => "open",
                };
                json!({ "name": name, "state": label })
            })
            .collect();
        json!(states)
    }

    /// The rate, error ratio and p95 of the primitive named `name` over the window.
    pub(crate) fn node(&self, name: &str) -> Option<NodeStats> {
        let ((then, first), (now, last)) = (self.window.front()?, self.window.back()?);
        let elapsed = now - then;
        let &(total, failed) = last.executions.get(name)?;
        let (total_before, failed_before) = first.executions.get(name).copied().unwrap_or_default();
        let runs = (total - total_before).max(0.0);
        let buckets = bucket_delta(last.durations.get(name)?, first.durations.get(name));
        Some(NodeStats {
            rate: if elapsed > 0.0 { runs / elapsed } else { 0.0 },
            error_ratio: (runs > 0.0).then(|| (failed - failed_before).max(0.0) / runs),
            p95_ms: quantile(0.95, &buckets).map(|seconds| seconds * 1e3),
        })
    }
}

/// The panels' values between two samples `elapsed` seconds apart.
fn points(now: &Totals, before: &Totals, elapsed: f64) -> Vec<(String, f64)> {
    let rate = |later: f64, earlier: f64| (later - earlier).max(0.0) / elapsed;
    let mut points = vec![
        (
            "workflows/rate".to_owned(),
            rate(
                now.workflows_ok + now.workflows_failed,
                before.workflows_ok + before.workflows_failed,
            ),
        ),
        (
            "workflows/success".to_owned(),
            rate(now.workflows_ok, before.workflows_ok),
        ),
        (
            "workflows/failure".to_owned(),
            rate(now.workflows_failed, before.workflows_failed),
        ),
        ("active/executions".to_owned(), now.active),
        (
            "cache/saved_usd_per_min".to_owned(),
            rate(now.saved_nano_usd, before.saved_nano_usd) * 60.0 / 1e9,
        ),
    ];
    let latency = bucket_delta(&now.workflow_buckets, Some(&before.workflow_buckets));
    for (key, q) in [("latency/p50_ms", 0.5), ("latency/p95_ms", 0.95)] {
        if let Some(seconds) = quantile(q, &latency) {
            points.push((key.to_owned(), seconds * 1e3));
        }
    }
    let lookups = (now.cache_hits + now.cache_misses) - (before.cache_hits + before.cache_misses);
    if lookups > 0.0 {
        let hits = (now.cache_hits - before.cache_hits).max(0.0);
        points.push(("cache/hit_rate".to_owned(), hits / lookups));
    }
    let executions = now.executions.iter().map(|(name, (total, _))| {
        let earlier = before.executions.get(name).map_or(0.0, |(t, _)| *t);
        (name, rate(*total, earlier))
    });
    labelled(&mut points, "primitive", executions);
    let first_chunk: Vec<(&String, f64)> = now
        .first_chunk
        .iter()
        .filter_map(|(name, buckets)| {
            let recent = bucket_delta(buckets, before.first_chunk.get(name));
            quantile(0.95, &recent).map(|seconds| (name, seconds * 1e3))
        })
        .collect();
    labelled(&mut points, "first_chunk_p95_ms", first_chunk.into_iter());
    labelled(
        &mut points,
        "retry",
        per_label(&now.retry_attempts, &before.retry_attempts, rate),
    );
    labelled(
        &mut points,
        "tokens_per_s",
        per_label(&now.tokens, &before.tokens, rate),
    );
    let cost = per_label(&now.cost_nano_usd, &before.cost_nano_usd, rate)
        .map(|(model, nano_per_s)| (model, nano_per_s * 60.0 / 1e9));
    labelled(&mut points, "usd_per_min", cost);
    labelled(
        &mut points,
        "breaker",
        now.breakers.iter().map(|(k, v)| (k, *v)),
    );
    points
}

fn per_label<'a>(
    now: &'a BTreeMap<String, f64>,
    before: &'a BTreeMap<String, f64>,
    rate: impl Fn(f64, f64) -> f64 + 'a,
) -> impl Iterator<Item = (&'a String, f64)> + 'a {
    now.iter()
        .map(move |(key, value)| (key, rate(*value, before.get(key).copied().unwrap_or(0.0))))
}

/// Adds a panel's labelled series: the busiest [`MAX_PER_PANEL`].
fn labelled<'a>(
    points: &mut Vec<(String, f64)>,
    panel: &str,
    values: impl Iterator<Item = (&'a String, f64)>,
) {
    let mut values: Vec<(&String, f64)> = values.collect();
    values.sort_by(|a, b| b.1.total_cmp(&a.1));
    points.extend(
        values
            .into_iter()
            .take(MAX_PER_PANEL)
            .map(|(label, value)| (format!("{panel}/{label}"), value)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::exposition::parse;

    fn exposition(workflows: u32, failed: u32, hits: u32, misses: u32) -> String {
        format!(
            "tta_workflow_executions_total{{workflow_name=\"w\",status=\"success\"}} {workflows}\n\
             tta_workflow_executions_total{{workflow_name=\"w\",status=\"error\"}} {failed}\n\
             tta_workflow_duration_seconds_bucket{{workflow_name=\"w\",le=\"0.01\"}} {}\n\
             tta_workflow_duration_seconds_bucket{{workflow_name=\"w\",le=\"0.1\"}} {}\n\
             tta_workflow_duration_seconds_bucket{{workflow_name=\"w\",le=\"+Inf\"}} {}\n\
             tta_primitive_executions_total{{primitive_name=\"a\",status=\"success\"}} {workflows}\n\
             tta_primitive_executions_total{{primitive_name=\"a\",status=\"error\"}} {failed}\n\
             tta_execution_duration_seconds_bucket{{primitive_name=\"a\",le=\"0.01\"}} {}\n\
             tta_execution_duration_seconds_bucket{{primitive_name=\"a\",le=\"+Inf\"}} {}\n\
             tta_cache_hits_total{{primitive_name=\"c\"}} {hits}\n\
             tta_cache_misses_total{{primitive_name=\"c\"}} {misses}\n\
             tta_circuit_breaker_state{{primitive_name=\"b\"}} 2\n\
             tta_active_executions{{primitive_type=\"custom\"}} 3\n",
            workflows / 2,
            workflows + failed,
            workflows + failed,
            workflows + failed,
            workflows + failed,
        )
    }

    #[test]
    fn rates_ratios_quantiles_and_gauges_between_samples() {
        let mut history = History::default();
        history.record(100.0, &parse(&exposition(0, 0, 0, 0)));
        history.record(101.0, &parse(&exposition(10, 2, 3, 1)));
        let view = history.since(0.0);
        assert_eq!(view["times"], json!([101.0]));
        let series = &view["series"];
        assert_eq!(series["workflows/rate"], json!([12.0]));
        assert_eq!(series["workflows/failure"], json!([2.0]));
        assert_eq!(series["cache/hit_rate"], json!([0.75]));
        assert_eq!(series["active/executions"], json!([3.0]));
        assert_eq!(series["breaker/b"], json!([2.0]));
        assert_eq!(series["primitive/a"], json!([12.0]));
        // 5 of 12 below 10 ms, the rest below 100 ms: p50 lies in the second bucket.
        let p50 = series["latency/p50_ms"][0].as_f64().unwrap();
        assert!((10.0..100.0).contains(&p50), "{p50}");
        assert_eq!(history.breakers(), json!([{"name": "b", "state": "open"}]));
        let node = history.node("a").unwrap();
        assert_eq!(node.rate, 12.0);
        assert_eq!(node.error_ratio, Some(2.0 / 12.0));
        assert!(history.since(101.0)["times"].as_array().unwrap().is_empty());
    }

    #[test]
    fn history_is_bounded_in_time_and_in_series() {
        let mut history = History::default();
        for second in 0..(POINTS as u32 + 50) {
            let names: String = (0..40)
                .map(|n| {
                    format!(
                        "tta_primitive_executions_total{{primitive_name=\"p{}\",status=\"success\"}} {second}\n",
                        second * 40 + n
                    )
                })
                .collect();
            history.record(f64::from(second), &parse(&names));
        }
        assert_eq!(history.times.len(), POINTS);
        assert!(history.series.len() <= MAX_SERIES);
        assert!(history.series.values().all(|v| v.len() == POINTS));
    }

    #[test]
    fn quantiles_follow_prometheus() {
        let buckets = vec![(0.1, 50.0), (0.5, 100.0), (f64::INFINITY, 100.0)];
        assert_eq!(quantile(0.5, &buckets), Some(0.1));
        assert!((quantile(0.75, &buckets).unwrap() - 0.3).abs() < 1e-9);
        assert_eq!(quantile(0.5, &vec![(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
        assert_eq!(
            quantile(0.99, &vec![(0.1, 1.0), (f64::INFINITY, 10.0)]),
            Some(0.1)
        );
    }
}
