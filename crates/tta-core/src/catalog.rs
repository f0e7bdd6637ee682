//! The metric catalog: every metric name TTA.dev emits, its type, labels and help.
//!
//! This list, `docs/metrics.md`, the shipped dashboards and the alert rules
//! must agree; a test fails when they do not. Primitives register their
//! handles through these constants only.

use metrics::Unit;

/// Workflow runs, by `workflow_name` and `status` (`success`/`error`).
pub const WORKFLOW_EXECUTIONS_TOTAL: &str = "tta_workflow_executions_total";
/// Duration of whole workflow runs, by `workflow_name`.
pub const WORKFLOW_DURATION_SECONDS: &str = "tta_workflow_duration_seconds";
/// Primitive executions, by `primitive_name`, `primitive_type` and `status`.
pub const PRIMITIVE_EXECUTIONS_TOTAL: &str = "tta_primitive_executions_total";
/// Primitive executions, by `primitive_type` and `status`.
pub const REQUESTS_TOTAL: &str = "tta_requests_total";
/// Duration of primitive executions, by `primitive_name` and `primitive_type`.
pub const EXECUTION_DURATION_SECONDS: &str = "tta_execution_duration_seconds";
/// Failed primitive executions, by `primitive_name`, `primitive_type` and `error_kind`.
pub const PRIMITIVE_ERRORS_TOTAL: &str = "tta_primitive_errors_total";
/// Executions in flight, by `primitive_type`.
pub const ACTIVE_EXECUTIONS: &str = "tta_active_executions";
/// Cache lookups answered from the cache, by `primitive_name`.
pub const CACHE_HITS_TOTAL: &str = "tta_cache_hits_total";
/// Cache lookups that ran the inner primitive, by `primitive_name`.
pub const CACHE_MISSES_TOTAL: &str = "tta_cache_misses_total";
/// Cache lookups of any outcome, by `primitive_name`.
pub const CACHE_TOTAL: &str = "tta_cache_total";
/// Cache misses that waited for another caller's computation, by `primitive_name`.
pub const CACHE_COALESCED_TOTAL: &str = "tta_cache_coalesced_total";
/// Hits over lookups since start, 0..1, by `primitive_name`.
pub const CACHE_HIT_RATE: &str = "tta_cache_hit_rate";
/// Entries held, by `primitive_name`.
pub const CACHE_ENTRIES: &str = "tta_cache_entries";
/// Entries evicted, by `primitive_name` and `cause`.
pub const CACHE_EVICTIONS_TOTAL: &str = "tta_cache_evictions_total";
/// Tokens a cache hit did not spend again, by `primitive_name`.
pub const CACHE_SAVED_TOKENS_TOTAL: &str = "tta_cache_saved_tokens_total";
/// Nano-dollars a cache hit did not spend again, by `primitive_name`.
pub const CACHE_SAVED_COST_NANO_USD_TOTAL: &str = "tta_cache_saved_cost_nano_usd_total";
/// Computation time each cache hit did not run again, by `primitive_name`.
pub const CACHE_SAVED_SECONDS: &str = "tta_cache_saved_seconds";
/// Retry attempts, by `primitive_name`, `attempt` (1..10, then `10+`) and `status`.
pub const RETRY_ATTEMPTS_TOTAL: &str = "tta_retry_attempts_total";
/// Executions stopped by a timeout, by `primitive_name`.
pub const TIMEOUTS_TOTAL: &str = "tta_timeouts_total";
/// Fallback outcomes, by `primitive_name` and `used` (`primary` or the alternative's index).
pub const FALLBACK_TOTAL: &str = "tta_fallback_total";
/// Circuit-breaker state, 0 closed / 1 half-open / 2 open, by `primitive_name`.
pub const CIRCUIT_BREAKER_STATE: &str = "tta_circuit_breaker_state";
/// Circuit-breaker state changes, by `primitive_name` and `to`.
pub const CIRCUIT_BREAKER_TRANSITIONS_TOTAL: &str = "tta_circuit_breaker_transitions_total";
/// Time a parallel's branches ran, summed per run, by `primitive_name`.
pub const PARALLEL_BRANCH_SECONDS: &str = "tta_parallel_branch_seconds";
/// Routing decisions, by `primitive_name` and `route`.
pub const ROUTER_DECISIONS_TOTAL: &str = "tta_router_decisions_total";
/// Model calls reported, by `provider` and `model`.
pub const LLM_CALLS_TOTAL: &str = "tta_llm_calls_total";
/// Model calls whose model has no price, by `provider` and `model`.
pub const LLM_UNPRICED_CALLS_TOTAL: &str = "tta_llm_unpriced_calls_total";
/// Tokens by `provider`, `model` and disjoint `token_type`.
pub const LLM_TOKENS_TOTAL: &str = "tta_llm_tokens_total";
/// Nano-dollars spent on priced calls, by `provider` and `model`.
pub const LLM_COST_NANO_USD_TOTAL: &str = "tta_llm_cost_nano_usd_total";
/// Usage reports rejected as impossible.
pub const LLM_USAGE_REJECTED_TOTAL: &str = "tta_llm_usage_rejected_total";
/// Calls a shared primitive decided without its store, by `primitive_name`,
/// `shared` (`rate_limit`, `budget`, `cache`) and `mode` (`open`, `closed`).
pub const SHARED_DEGRADED_TOTAL: &str = "tta_shared_degraded_total";
/// Round trips to Redis, by `command` and `status` (`ok`, `error`).
pub const REDIS_COMMAND_SECONDS: &str = "tta_redis_command_seconds";
/// Lookups the shared (Redis) cache tier answered, by `primitive_name`.
pub const CACHE_L2_HITS_TOTAL: &str = "tta_cache_l2_hits_total";
/// Lookups the shared tier could not answer, by `primitive_name` and
/// `reason` (`absent`, `undecodable`).
pub const CACHE_L2_MISSES_TOTAL: &str = "tta_cache_l2_misses_total";
/// Leases to compute a missing shared entry, by `primitive_name` and
/// `outcome` (`won`, `waited`, `expired`: taken over from a holder that
/// did not finish).
pub const CACHE_LEASES_TOTAL: &str = "tta_cache_leases_total";
/// Time from an execution's start to its stream's first chunk, by
/// `primitive_name` and `primitive_type`.
pub const STREAM_TIME_TO_FIRST_CHUNK_SECONDS: &str = "tta_stream_time_to_first_chunk_seconds";
/// Time between a stream's chunks after the first, by `primitive_name`.
pub const STREAM_TIME_PER_CHUNK_SECONDS: &str = "tta_stream_time_per_chunk_seconds";
/// Chunks streams emitted, by `primitive_name`.
pub const STREAM_CHUNKS_TOTAL: &str = "tta_stream_chunks_total";
/// Streams by how they ended, by `primitive_name` and `outcome`
/// (`completed`, `failed_before_first_chunk`, `failed_mid_stream`, `cancelled`).
pub const STREAM_OUTCOMES_TOTAL: &str = "tta_stream_outcomes_total";
/// Second attempts a hedge started, by `primitive_name`.
pub const HEDGES_STARTED_TOTAL: &str = "tta_hedges_started_total";
/// Calls a hedge's second attempt answered first, by `primitive_name`.
pub const HEDGES_WON_TOTAL: &str = "tta_hedges_won_total";
/// Retries and hedges a retry budget refused, by `primitive_name`.
pub const RETRY_BUDGET_EXHAUSTED_TOTAL: &str = "tta_retry_budget_exhausted_total";
/// Spans the exporter had to drop.
pub const SPANS_DROPPED_TOTAL: &str = "tta_spans_dropped_total";
/// Always 1, by `version`.
pub const BUILD_INFO: &str = "tta_build_info";

/// The families only the shared tier (`tta-redis`) emits: a process
/// without it never has them.
pub const SHARED_TIER: &[&str] = &[
    SHARED_DEGRADED_TOTAL,
    REDIS_COMMAND_SECONDS,
    CACHE_L2_HITS_TOTAL,
    CACHE_L2_MISSES_TOTAL,
    CACHE_LEASES_TOTAL,
];

/// What kind of series a catalog metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// A monotonic counter (`_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution, exported with `_bucket`, `_sum` and `_count`.
    Histogram,
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// The exported name.
    pub name: &'static str,
    /// Its type.
    pub metric_type: MetricType,
    /// Its label names, in the catalog's order.
    pub labels: &'static [&'static str],
    /// Its unit, for the `# HELP`/`# UNIT` lines.
    pub unit: Option<Unit>,
    /// The help text.
    pub help: &'static str,
}

const NAME_TYPE: &[&str] = &["primitive_name", "primitive_type"];
const NAME: &[&str] = &["primitive_name"];
const PROVIDER_MODEL: &[&str] = &["provider", "model"];

/// Histogram bucket bounds, in seconds, for every `_seconds` histogram:
/// 0.5 ms to 300 s, because one LLM call can take minutes. Exporters must
/// use them: without buckets, metrics-exporter-prometheus renders
/// summaries, and `histogram_quantile` finds nothing.
pub const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 120.0, 300.0,
];

/// The whole catalog, in the order of `docs/metrics.md`.
pub const ALL: &[MetricDef] = &[
    def(
        WORKFLOW_EXECUTIONS_TOTAL,
        MetricType::Counter,
        &["workflow_name", "status"],
        None,
        "Workflow runs by outcome.",
    ),
    def(
        WORKFLOW_DURATION_SECONDS,
        MetricType::Histogram,
        &["workflow_name"],
        Some(Unit::Seconds),
        "Duration of whole workflow runs.",
    ),
    def(
        PRIMITIVE_EXECUTIONS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "primitive_type", "status"],
        None,
        "Primitive executions by outcome.",
    ),
    def(
        REQUESTS_TOTAL,
        MetricType::Counter,
        &["primitive_type", "status"],
        None,
        "Primitive executions by primitive type and outcome.",
    ),
    def(
        EXECUTION_DURATION_SECONDS,
        MetricType::Histogram,
        NAME_TYPE,
        Some(Unit::Seconds),
        "Duration of primitive executions.",
    ),
    def(
        PRIMITIVE_ERRORS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "primitive_type", "error_kind"],
        None,
        "Failed primitive executions by error kind.",
    ),
    def(
        ACTIVE_EXECUTIONS,
        MetricType::Gauge,
        &["primitive_type"],
        None,
        "Primitive executions in flight.",
    ),
    def(
        CACHE_HITS_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Cache lookups answered from the cache.",
    ),
    def(
        CACHE_MISSES_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Cache lookups that ran the inner primitive.",
    ),
    def(
        CACHE_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Cache lookups of any outcome.",
    ),
    def(
        CACHE_COALESCED_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Cache misses that waited for another caller's computation.",
    ),
    def(
        CACHE_HIT_RATE,
        MetricType::Gauge,
        NAME,
        None,
        "Cache hits over lookups since start, from 0 to 1.",
    ),
    def(
        CACHE_ENTRIES,
        MetricType::Gauge,
        NAME,
        None,
        "Entries held by the cache.",
    ),
    def(
        CACHE_EVICTIONS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "cause"],
        None,
        "Cache entries evicted, by cause.",
    ),
    def(
        CACHE_SAVED_TOKENS_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Tokens that cache hits did not spend again: what the cached computation used.",
    ),
    def(
        CACHE_SAVED_COST_NANO_USD_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Nano-dollars that cache hits did not spend again.",
    ),
    def(
        CACHE_SAVED_SECONDS,
        MetricType::Histogram,
        NAME,
        Some(Unit::Seconds),
        "Computation time each cache hit or coalesced wait did not run again.",
    ),
    def(
        RETRY_ATTEMPTS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "attempt", "status"],
        None,
        "Retry attempts by attempt number and outcome.",
    ),
    def(
        TIMEOUTS_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Executions stopped by a timeout.",
    ),
    def(
        FALLBACK_TOTAL,
        MetricType::Counter,
        &["primitive_name", "used"],
        None,
        "Fallback outcomes by the alternative that answered.",
    ),
    def(
        CIRCUIT_BREAKER_STATE,
        MetricType::Gauge,
        NAME,
        None,
        "Circuit-breaker state: 0 closed, 1 half-open, 2 open.",
    ),
    def(
        CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "to"],
        None,
        "Circuit-breaker state changes.",
    ),
    def(
        PARALLEL_BRANCH_SECONDS,
        MetricType::Histogram,
        NAME,
        Some(Unit::Seconds),
        "Time a parallel's branches ran, summed per run: over the parallel's own duration, its speedup.",
    ),
    def(
        ROUTER_DECISIONS_TOTAL,
        MetricType::Counter,
        &["primitive_name", "route"],
        None,
        "Routing decisions by route taken.",
    ),
    def(
        LLM_CALLS_TOTAL,
        MetricType::Counter,
        PROVIDER_MODEL,
        None,
        "Model calls reported.",
    ),
    def(
        LLM_UNPRICED_CALLS_TOTAL,
        MetricType::Counter,
        PROVIDER_MODEL,
        None,
        "Model calls whose model the price table does not know; their cost is not counted.",
    ),
    def(
        LLM_TOKENS_TOTAL,
        MetricType::Counter,
        &["provider", "model", "token_type"],
        None,
        "Tokens by disjoint type: input (uncached), cache_read, cache_write, output (not reasoning), reasoning.",
    ),
    def(
        LLM_COST_NANO_USD_TOTAL,
        MetricType::Counter,
        PROVIDER_MODEL,
        None,
        "Cost of priced model calls, in nano-dollars (1e-9 USD).",
    ),
    def(
        LLM_USAGE_REJECTED_TOTAL,
        MetricType::Counter,
        &[],
        None,
        "Usage reports rejected as impossible.",
    ),
    def(
        SHARED_DEGRADED_TOTAL,
        MetricType::Counter,
        &["primitive_name", "shared", "mode"],
        None,
        "Calls a shared primitive decided without Redis, following its failure mode.",
    ),
    def(
        REDIS_COMMAND_SECONDS,
        MetricType::Histogram,
        &["command", "status"],
        Some(Unit::Seconds),
        "Round trips to Redis, by command and outcome.",
    ),
    def(
        CACHE_L2_HITS_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Lookups the shared (Redis) cache tier answered.",
    ),
    def(
        CACHE_L2_MISSES_TOTAL,
        MetricType::Counter,
        &["primitive_name", "reason"],
        None,
        "Lookups the shared tier could not answer: absent, or undecodable (a type changed between deploys).",
    ),
    def(
        CACHE_LEASES_TOTAL,
        MetricType::Counter,
        &["primitive_name", "outcome"],
        None,
        "Leases to compute a missing shared entry: won, waited for another replica, or taken over after one expired.",
    ),
    def(
        STREAM_TIME_TO_FIRST_CHUNK_SECONDS,
        MetricType::Histogram,
        NAME_TYPE,
        Some(Unit::Seconds),
        "Time from an execution's start to its stream's first chunk: the latency a streaming user feels.",
    ),
    def(
        STREAM_TIME_PER_CHUNK_SECONDS,
        MetricType::Histogram,
        NAME,
        Some(Unit::Seconds),
        "Time between a stream's chunks after the first.",
    ),
    def(
        STREAM_CHUNKS_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Chunks streams emitted.",
    ),
    def(
        STREAM_OUTCOMES_TOTAL,
        MetricType::Counter,
        &["primitive_name", "outcome"],
        None,
        "Streams by how they ended: completed, failed_before_first_chunk, failed_mid_stream or cancelled.",
    ),
    def(
        HEDGES_STARTED_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Second attempts a hedge started because the first was slow.",
    ),
    def(
        HEDGES_WON_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Calls a hedge's second attempt answered first.",
    ),
    def(
        RETRY_BUDGET_EXHAUSTED_TOTAL,
        MetricType::Counter,
        NAME,
        None,
        "Retries and hedges a retry budget refused.",
    ),
    def(
        SPANS_DROPPED_TOTAL,
        MetricType::Counter,
        &[],
        None,
        "Spans the exporter dropped.",
    ),
    def(
        BUILD_INFO,
        MetricType::Gauge,
        &["version"],
        None,
        "Always 1; the version label says which TTA.dev is running.",
    ),
];

const fn def(
    name: &'static str,
    metric_type: MetricType,
    labels: &'static [&'static str],
    unit: Option<Unit>,
    help: &'static str,
) -> MetricDef {
    MetricDef {
        name,
        metric_type,
        labels,
        unit,
        help,
    }
}

/// Registers the help text and unit of every catalog metric, and of the
/// GenAI metrics ([`semconv`](crate::llm::semconv)), with the installed
/// recorder. Exporters call it once after installing theirs; the
/// instrumentation runtime calls it on first use as well.
pub fn describe() {
    crate::llm::semconv::metrics::describe();
    for metric in ALL {
        let (name, help) = (metric.name, metric.help);
        match (metric.metric_type, metric.unit) {
            (MetricType::Counter, Some(unit)) => metrics::describe_counter!(name, unit, help),
            (MetricType::Counter, None) => metrics::describe_counter!(name, help),
            (MetricType::Gauge, Some(unit)) => metrics::describe_gauge!(name, unit, help),
            (MetricType::Gauge, None) => metrics::describe_gauge!(name, help),
            (MetricType::Histogram, Some(unit)) => metrics::describe_histogram!(name, unit, help),
            (MetricType::Histogram, None) => metrics::describe_histogram!(name, help),
        }
    }
}
