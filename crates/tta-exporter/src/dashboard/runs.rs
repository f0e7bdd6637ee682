//! Recent runs as span trees, for the dashboard's waterfall.
//!
//! A tracing layer collects the spans of primitive executions and outgoing
//! calls while someone has the dashboard open, and keeps the last runs in
//! a bounded store that, as tail sampling would, prefers failed and slow
//! runs. With nobody watching, the layer tells `tracing` it wants no span
//! at all, so an execution pays nothing for it: the interest is cached per
//! call site and rebuilt only when a viewer arrives or leaves.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::TraceContextExt;
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

/// Whether spans are being collected: someone is watching.
static CAPTURING: AtomicBool = AtomicBool::new(false);

/// Spans kept per run; a bigger run is cut, and says so.
const MAX_SPANS: usize = 256;
/// Characters kept of a name or an error message.
const MAX_TEXT: usize = 300;

/// Starts or stops collecting spans, and makes `tracing` ask again.
pub(crate) fn set_capturing(on: bool) {
    if CAPTURING.swap(on, Ordering::SeqCst) != on {
        tracing::callsite::rebuild_interest_cache();
    }
}

pub(crate) fn is_capturing() -> bool {
    CAPTURING.load(Ordering::Relaxed)
}

/// Primitive spans (they carry `tta.primitive.name`) and outgoing calls.
fn is_ours(metadata: &Metadata<'_>) -> bool {
    metadata.is_span()
        && (metadata.fields().field("tta.primitive.name").is_some()
            || metadata.name() == "outgoing_call")
}

/// The layer's filter: our spans, and only while capturing.
pub(crate) struct WhileWatched;

impl<S> Filter<S> for WhileWatched {
    fn enabled(&self, metadata: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        is_capturing() && is_ours(metadata)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_capturing() && is_ours(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

/// One span being collected, kept in its registry extensions.
struct Open {
    name: String,
    kind: String,
    started: Instant,
    started_unix: f64,
    status_error: bool,
    error: Option<String>,
    trace_id: Option<String>,
    /// Finished descendants, depth-first, with depth relative to this span.
    below: Vec<Finished>,
    cut: usize,
}

/// A finished span, relative to its run.
#[derive(Debug, Clone)]
struct Finished {
    name: String,
    kind: String,
    depth: usize,
    started: Instant,
    duration_ms: f64,
    error: Option<String>,
}

/// One finished run.
#[derive(Debug)]
pub(crate) struct Run {
    name: String,
    trace_id: Option<String>,
    started_unix: f64,
    duration_ms: f64,
    error: Option<String>,
    /// Root first, then its descendants depth-first.
    spans: Vec<Finished>,
    started: Instant,
    cut: usize,
}

impl Run {
    fn failed(&self) -> bool {
        self.error.is_some()
    }

    fn to_json(&self) -> Value {
        let spans: Vec<Value> = self
            .spans
            .iter()
            .map(|span| {
                json!({
                    "name": span.name,
                    "kind": span.kind,
                    "depth": span.depth,
                    "offset_ms": span.started.saturating_duration_since(self.started).as_secs_f64() * 1e3,
                    "duration_ms": span.duration_ms,
                    "status": if span.error.is_some() { "error" } else { "ok" },
                    "error": span.error,
                })
            })
            .collect();
        json!({
            "name": self.name,
            "trace_id": self.trace_id,
            "started_unix": self.started_unix,
            "duration_ms": self.duration_ms,
            "status": if self.failed() { "error" } else { "ok" },
            "error": self.error,
            "spans": spans,
            "spans_cut": self.cut,
        })
    }
}

/// The last runs: half the most recent, half the most notable (failed,
/// then slow) of those that aged out.
pub(crate) struct RunStore {
    inner: Mutex<Store>,
}

struct Store {
    capacity: usize,
    recent: std::collections::VecDeque<Arc<Run>>,
    notable: Vec<Arc<Run>>,
    version: u64,
}

impl RunStore {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Store {
                capacity: capacity.max(2),
                recent: std::collections::VecDeque::new(),
                notable: Vec::new(),
                version: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, run: Run) {
        let mut store = self.lock();
        store.version += 1;
        store.recent.push_back(Arc::new(run));
        let recent_capacity = store.capacity / 2;
        if store.recent.len() <= recent_capacity {
            return;
        }
        let Some(aged) = store.recent.pop_front() else {
            return;
        };
        let notable_capacity = store.capacity - recent_capacity;
        store.notable.push(aged);
        // Failed first, then slowest; the least notable goes.
        store.notable.sort_by(|a, b| {
            b.failed()
                .cmp(&a.failed())
                .then(b.duration_ms.total_cmp(&a.duration_ms))
        });
        store.notable.truncate(notable_capacity);
    }

    /// Which runs are kept; it changes whenever one is added.
    pub(crate) fn version(&self) -> u64 {
        self.lock().version
    }

    /// Every kept run, newest first.
    pub(crate) fn to_json(&self) -> Value {
        let store = self.lock();
        let mut runs: Vec<&Arc<Run>> = store.recent.iter().chain(&store.notable).collect();
        runs.sort_by(|a, b| b.started_unix.total_cmp(&a.started_unix));
        json!(runs.iter().map(|run| run.to_json()).collect::<Vec<_>>())
    }
}

/// Collects spans into runs.
pub(crate) struct Capture {
    store: Arc<RunStore>,
}

impl Capture {
    pub(crate) fn new(store: Arc<RunStore>) -> Self {
        Self { store }
    }
}

/// Reads the fields the waterfall shows.
struct Fields<'a>(&'a mut Open);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "otel.name" => self.0.name = truncate(value),
            "tta.primitive.type" => self.0.kind = truncate(value),
            "otel.status_code" => self.0.status_error = value == "error",
            "exception.message" | "otel.status_description" => {
                self.0.error = Some(truncate(value));
            }
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(
            field.name(),
            "otel.name" | "exception.message" | "otel.status_description"
        ) {
            self.record_str(field, format!("{value:?}").trim_matches('"'));
        }
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut open = Open {
            name: attrs.metadata().name().to_owned(),
            kind: if attrs.metadata().name() == "outgoing_call" {
                "client".to_owned()
            } else {
                String::new()
            },
            started: Instant::now(),
            started_unix: unix_now(),
            status_error: false,
            error: None,
            trace_id: None,
            below: Vec::new(),
            cut: 0,
        };
        attrs.record(&mut Fields(&mut open));
        span.extensions_mut().insert(open);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(open) = span.extensions_mut().get_mut::<Open>()
        {
            values.record(&mut Fields(open));
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        // A run's trace id, as exported: known once the span has been
        // linked, which happens before it is first entered.
        let Some(span) = ctx.span(id) else {
            return;
        };
        let is_root = span
            .parent()
            .is_none_or(|parent| parent.extensions().get::<Open>().is_none());
        if !is_root
            || span
                .extensions()
                .get::<Open>()
                .is_none_or(|o| o.trace_id.is_some())
        {
            return;
        }
        let trace_id = tracing::dispatcher::get_default(|dispatch| {
            tracing_opentelemetry::get_otel_context(id, dispatch)
        })
        .map(|context| context.span().span_context().trace_id())
        .filter(|trace| *trace != opentelemetry::trace::TraceId::INVALID)
        .map(|trace| trace.to_string());
        if let Some(open) = span.extensions_mut().get_mut::<Open>() {
            open.trace_id = Some(trace_id.unwrap_or_default());
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(open) = span.extensions_mut().remove::<Open>() else {
            return;
        };
        let duration_ms = open.started.elapsed().as_secs_f64() * 1e3;
        let error = if open.status_error {
            Some(open.error.clone().unwrap_or_else(|| "error".to_owned()))
        } else {
            None
        };
        let this = Finished {
            name: open.name.clone(),
            kind: open.kind.clone(),
            depth: 0,
            started: open.started,
            duration_ms,
            error: error.clone(),
        };
        let parent = span.parent();
        let mut parent_extensions = parent.as_ref().map(|parent| parent.extensions_mut());
        if let Some(parent) = parent_extensions
            .as_mut()
            .and_then(|extensions| extensions.get_mut::<Open>())
        {
            // Children close before their parent: insert this subtree in
            // start order among its siblings, one level deeper.
            let subtree = std::iter::once(this).chain(open.below).map(|mut finished| {
                finished.depth += 1;
                finished
            });
            let room = MAX_SPANS.saturating_sub(parent.below.len() + 1);
            let subtree: Vec<Finished> = subtree.collect();
            parent.cut += open.cut + subtree.len().saturating_sub(room);
            let at = parent
                .below
                .iter()
                .position(|sibling| sibling.depth == 1 && sibling.started > open.started)
                .unwrap_or(parent.below.len());
            parent.below.splice(at..at, subtree.into_iter().take(room));
            return;
        }
        drop(parent_extensions);
        let mut spans = Vec::with_capacity(open.below.len() + 1);
        spans.push(this);
        spans.extend(open.below);
        self.store.add(Run {
            name: open.name,
            trace_id: open.trace_id.filter(|trace| !trace.is_empty()),
            started_unix: open.started_unix,
            duration_ms,
            error,
            spans,
            started: open.started,
            cut: open.cut,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn run(name: &str, duration_ms: f64, failed: bool, started_unix: f64) -> Run {
        Run {
            name: name.to_owned(),
            trace_id: None,
            started_unix,
            duration_ms,
            error: failed.then(|| "boom".to_owned()),
            spans: Vec::new(),
            started: Instant::now(),
            cut: 0,
        }
    }

    #[test]
    fn the_store_keeps_recent_runs_and_prefers_failed_then_slow_ones() {
        let store = RunStore::new(4);
        store.add(run("failed", 1.0, true, 1.0));
        store.add(run("slow", 500.0, false, 2.0));
        for n in 0..20 {
            store.add(run(&format!("fast{n}"), 1.0, false, 10.0 + f64::from(n)));
        }
        let names: Vec<String> = store
            .to_json()
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["fast19", "fast18", "slow", "failed"]);
        assert_eq!(store.version(), 22);
    }

    #[test]
    fn spans_become_a_tree_only_while_capturing() {
        let store = Arc::new(RunStore::new(10));
        let subscriber = tracing_subscriber::registry()
            .with(Capture::new(Arc::clone(&store)).with_filter(WhileWatched));
        tracing::subscriber::with_default(subscriber, || {
            let primitive = |name: &str| {
                tracing::debug_span!(
                    "primitive",
                    otel.name = name,
                    tta.primitive.name = name,
                    tta.primitive.type = "custom",
                    otel.status_code = tracing::field::Empty,
                    exception.message = tracing::field::Empty,
                )
            };
            primitive("unseen").in_scope(|| {});
            assert_eq!(store.version(), 0, "nobody watching, nothing kept");

            set_capturing(true);
            primitive("root").in_scope(|| {
                primitive("first").in_scope(|| primitive("inner").in_scope(|| {}));
                let failing = primitive("<script>alert(1)</script>");
                failing.record("otel.status_code", "error");
                failing.record("exception.message", "it broke");
                failing.in_scope(|| {});
            });
            set_capturing(false);
            primitive("unseen again").in_scope(|| {});
        });
        let runs = store.to_json();
        assert_eq!(runs.as_array().unwrap().len(), 1, "{runs:#}");
        let spans: Vec<(String, u64, String)> = runs[0]["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|span| {
                (
                    span["name"].as_str().unwrap().to_owned(),
                    span["depth"].as_u64().unwrap(),
                    span["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("root", 0, "ok"),
            ("first", 1, "ok"),
            ("inner", 2, "ok"),
            ("<script>alert(1)</script>", 1, "error"),
        ];
        let expected: Vec<(String, u64, String)> = expected
            .iter()
            .map(|(n, d, s)| ((*n).to_owned(), *d, (*s).to_owned()))
            .collect();
        assert_eq!(spans, expected);
        assert_eq!(runs[0]["spans"][3]["error"], "it broke");
    }
}
