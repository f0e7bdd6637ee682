//! A subscriber that captures spans and events on the current thread.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A captured span.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub id: u64,
    pub parent: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

impl SpanRecord {
    /// The `otel.name` field: the primitive's name.
    pub fn name(&self) -> &str {
        self.field("otel.name").unwrap_or("<unnamed>")
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A captured event.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: Level,
    pub span: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

impl EventRecord {
    pub fn message(&self) -> &str {
        self.field("message").unwrap_or("")
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct Store {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

/// What was captured; readable while capturing goes on.
#[derive(Clone, Default)]
pub struct Captured {
    store: Arc<Mutex<Store>>,
}

impl Captured {
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.store.lock().unwrap().spans.clone()
    }

    pub fn events(&self) -> Vec<EventRecord> {
        self.store.lock().unwrap().events.clone()
    }

    /// Events whose message is `message`.
    pub fn events_named(&self, message: &str) -> Vec<EventRecord> {
        self.events()
            .into_iter()
            .filter(|e| e.message() == message)
            .collect()
    }

    /// The span tree as indented names, children in creation order.
    pub fn tree(&self) -> String {
        let spans = self.spans();
        let mut out = String::new();
        for root in spans.iter().filter(|s| s.parent.is_none()) {
            render(&spans, root, 0, &mut out);
        }
        out
    }
}

fn render(spans: &[SpanRecord], span: &SpanRecord, depth: usize, out: &mut String) {
    let _ = writeln!(out, "{}{}", "  ".repeat(depth), span.name());
    for child in spans.iter().filter(|s| s.parent == Some(span.id)) {
        render(spans, child, depth + 1, out);
    }
}

/// Makes sure no call site is ever cached as uninteresting.
///
/// `tracing` caches each call site's interest when it is first hit. A test
/// thread that hits a call site while another thread is installing its
/// capturing subscriber can race and cache "never", hiding that call site
/// from the capture. A global subscriber that is interested in everything
/// rules that out; it records nothing itself.
pub fn ensure_global_subscriber() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Registry::default());
    });
}

/// Starts capturing on this thread until the guard drops. Use a
/// current-thread runtime so every poll happens on this thread.
pub fn capture() -> (DefaultGuard, Captured) {
    ensure_global_subscriber();
    let captured = Captured::default();
    let layer = CaptureLayer {
        captured: captured.clone(),
    };
    let guard = tracing::subscriber::set_default(Registry::default().with(layer));
    (guard, captured)
}

struct CaptureLayer {
    captured: Captured,
}

impl<S> Layer<S> for CaptureLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.id().into_u64());
        let mut fields = FieldMap::default();
        attrs.record(&mut fields);
        self.captured.store.lock().unwrap().spans.push(SpanRecord {
            id: id.into_u64(),
            parent,
            fields: fields.0,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut fields = FieldMap::default();
        values.record(&mut fields);
        let mut store = self.captured.store.lock().unwrap();
        if let Some(span) = store.spans.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            span.fields.extend(fields.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let span = ctx.event_span(event).map(|span| span.id().into_u64());
        self.captured
            .store
            .lock()
            .unwrap()
            .events
            .push(EventRecord {
                level: *event.metadata().level(),
                span,
                fields: fields.0,
            });
    }
}

#[derive(Default)]
struct FieldMap(BTreeMap<String, String>);

impl Visit for FieldMap {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
