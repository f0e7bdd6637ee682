//! The instrumentation runtime: one path that every primitive execution,
//! built-in or user-defined, goes through.
//!
//! [`PrimitiveExt::call`](crate::PrimitiveExt::call) wraps a primitive's
//! [`execute`](crate::Primitive::execute) future in an [`Instrumented`]
//! future, which for each execution:
//!
//! - opens a span (`primitive`, with `otel.name` set to the primitive's name)
//!   as a child of the current span, so spans nest exactly as the composition
//!   does, and sets its OpenTelemetry status;
//! - logs the seeds' events (`sequential_step_complete`, ...) with
//!   `correlation_id`, `workflow_id` and `duration_ms`;
//! - records the catalog's metrics through handles registered once per
//!   primitive in its [`Meta`];
//! - turns a panic into [`Error::Panicked`](crate::Error::Panicked) and a
//!   dropped future into a cancelled execution.
//!
//! The clock is read twice per execution, and the one duration feeds the
//! histogram, the log event and the span.
//!
//! When nobody listens (no `tracing` subscriber wants anything, and
//! [`set_metrics_enabled`] was not called), an execution inside a run is
//! only its guarantees: the cancellation, deadline and budget checks and
//! the panic guard. It opens no span, reads no clock and records nothing.
//! A run's outermost execution is always recorded in full: it is what
//! ends a stream at the run's deadline.

pub mod attributes;
mod decisions;
mod events;
mod execution;
mod family;
pub(crate) mod frame;
mod future;
mod guard;
mod handles;
pub(crate) mod handoff;
mod kind;
pub(crate) mod link;
mod listening;
mod position;
mod span;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::context::WorkflowContext;

pub use attributes::{AttributeSink, AttributeValue, set_attribute_sink};
pub use future::Instrumented;
pub use kind::Kind;
pub use link::{RunParent, RunSpan, TraceLinker, set_trace_linker};
pub use listening::{metrics_enabled, set_metrics_enabled};
pub use position::Position;
pub use span::{SpanOpener, fields};

pub(crate) use decisions::Decisions;
pub(crate) use events::primitive_event;
pub(crate) use execution::{Execution, Outcome};
pub(crate) use family::{CounterFamily, OwnCounter, OwnGauge, OwnHistogram};
pub(crate) use guard::RunGuard;
pub(crate) use handles::StreamOutcome;
use handles::{Handles, WorkflowHandles};

/// Records `value` on the span of the primitive executing now.
///
/// Call it from inside [`Primitive::execute`](crate::Primitive::execute),
/// where that span is the current one. Unsampled runs have no span of their
/// own, so nothing is recorded: the current span then belongs to someone else.
pub fn record_on_own_span(ctx: &WorkflowContext, field: &'static str, value: impl tracing::Value) {
    if ctx.is_sampled() {
        tracing::Span::current().record(field, value);
    }
}

/// A primitive's identity for telemetry: its name, its [`Kind`], and its
/// metric handles, registered on first use.
///
/// Every primitive owns one and returns it from
/// [`Primitive::meta`](crate::Primitive::meta). Register the metrics recorder
/// before the first execution: handles registered earlier stay bound to the
/// no-op recorder.
///
/// ```
/// use tta_core::{Kind, Meta};
///
/// // `const`, so a primitive without fields can keep its `Meta` in a static.
/// static META: Meta = Meta::from_static("summarize", Kind::CUSTOM);
/// assert_eq!(META.name(), "summarize");
/// ```
pub struct Meta {
    name: Cow<'static, str>,
    kind: Kind,
    gen_ai: Option<GenAiCall>,
    /// `{operation} {model}` for a GenAI call, built on first use.
    span_name: OnceLock<String>,
    open_span: SpanOpener,
    /// Shared, so that an execution that outlives its borrow of the
    /// primitive (a stream's) keeps recording into the same series.
    handles: OnceLock<Arc<Handles>>,
    workflow: OnceLock<Arc<WorkflowHandles>>,
}

impl Meta {
    /// A `Meta` with a name known at compile time.
    pub const fn from_static(name: &'static str, kind: Kind) -> Self {
        Self::with_parts(Cow::Borrowed(name), kind, None)
    }

    /// A `Meta` with a name built at run time. The name becomes a metric
    /// label: build it from code, never from input.
    pub fn new(name: impl Into<Cow<'static, str>>, kind: Kind) -> Self {
        Self::with_parts(name.into(), kind, None)
    }

    /// The `Meta` of a primitive that calls a model: its kind is
    /// [`Kind::LLM`], and its span is a CLIENT span named
    /// `{operation} {model}` (`chat gpt-4o`), as the OpenTelemetry GenAI
    /// conventions ask, with the call's operation, provider and model set
    /// when it opens. Metrics keep `name` as `primitive_name`.
    ///
    /// ```
    /// use tta_core::{Kind, Meta};
    /// use tta_core::instrument::GenAiCall;
    ///
    /// static META: Meta = Meta::gen_ai_static("draft", GenAiCall::chat("openai", "gpt-4o"));
    /// assert_eq!(META.span_name(), "chat gpt-4o");
    /// assert_eq!(META.kind(), Kind::LLM);
    /// ```
    pub const fn gen_ai_static(name: &'static str, call: GenAiCall) -> Self {
        Self::with_parts(Cow::Borrowed(name), Kind::LLM, Some(call))
    }

    /// [`gen_ai_static`](Self::gen_ai_static) with a name built at run time.
    pub fn gen_ai(name: impl Into<Cow<'static, str>>, call: GenAiCall) -> Self {
        Self::with_parts(name.into(), Kind::LLM, Some(call))
    }

    /// The same kind and model call under another name, for
    /// [`Primitive::adopt_name`](crate::Primitive::adopt_name). Built
    /// afresh: metric handles resolved under the old name are not kept.
    pub fn renamed(&self, name: Cow<'static, str>) -> Self {
        Self::with_parts(name, self.kind, self.gen_ai.clone()).with_span_opener(self.open_span)
    }

    const fn with_parts(name: Cow<'static, str>, kind: Kind, gen_ai: Option<GenAiCall>) -> Self {
        Self {
            name,
            kind,
            gen_ai,
            span_name: OnceLock::new(),
            open_span: span::open,
            handles: OnceLock::new(),
            workflow: OnceLock::new(),
        }
    }

    /// Opens this primitive's spans with `opener` instead of the default.
    ///
    /// `#[primitive]` uses it to declare the extra fields of
    /// `fields(..)` and `record_input`: a `tracing` span can only record
    /// fields declared when it was opened.
    pub const fn with_span_opener(mut self, opener: SpanOpener) -> Self {
        self.open_span = opener;
        self
    }

    pub(crate) fn open_span(&self, ctx: &WorkflowContext, position: Position) -> tracing::Span {
        (self.open_span)(self, ctx, position)
    }

    /// The primitive's name: `primitive_name` in metrics, `otel.name` in spans.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The primitive's kind: `primitive_type` in metrics.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The model call it makes, if it declared one.
    pub fn gen_ai_call(&self) -> Option<&GenAiCall> {
        self.gen_ai.as_ref()
    }

    /// The name of its spans (`otel.name`): `{operation} {model}` for a
    /// declared model call, its name otherwise.
    pub fn span_name(&self) -> &str {
        match &self.gen_ai {
            Some(call) => self
                .span_name
                .get_or_init(|| format!("{} {}", call.operation, call.model)),
            None => &self.name,
        }
    }

    /// The OpenTelemetry span kind of its spans (`otel.kind`).
    pub fn span_kind(&self) -> &'static str {
        if self.gen_ai.is_some() {
            "client"
        } else {
            "internal"
        }
    }

    pub(crate) fn handles(&self) -> &Handles {
        self.handles
            .get_or_init(|| Arc::new(Handles::register(&self.name, self.kind)))
    }

    pub(crate) fn workflow_handles(&self) -> &WorkflowHandles {
        self.workflow
            .get_or_init(|| Arc::new(WorkflowHandles::register(&self.name)))
    }

    /// An owned copy that records into the same metric series: what an
    /// execution keeps when it outlives its borrow of the primitive.
    pub(crate) fn detached(&self) -> Self {
        Self {
            name: self.name.clone(),
            kind: self.kind,
            gen_ai: self.gen_ai.clone(),
            span_name: self.span_name.clone(),
            open_span: self.open_span,
            handles: self.handles.clone(),
            workflow: self.workflow.clone(),
        }
    }

    /// The name as it reads inside another composition's name: composite
    /// names are parenthesised, so `a >> (b | c)` stays unambiguous.
    pub(crate) fn nested_name(&self) -> Cow<'_, str> {
        if self.kind.is_composite() {
            Cow::Owned(format!("({})", self.name))
        } else {
            Cow::Borrowed(&self.name)
        }
    }
}

/// The model call a primitive makes, declared on its [`Meta`] so that its
/// span can carry the GenAI name, kind and request attributes from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenAiCall {
    operation: Cow<'static, str>,
    provider: Cow<'static, str>,
    model: Cow<'static, str>,
}

impl GenAiCall {
    /// A `chat` call to `model` at `provider` (`openai`, `anthropic`, ...).
    pub const fn chat(provider: &'static str, model: &'static str) -> Self {
        Self::from_static("chat", provider, model)
    }

    /// Any operation with names known at compile time, for a `static` `Meta`.
    pub const fn from_static(
        operation: &'static str,
        provider: &'static str,
        model: &'static str,
    ) -> Self {
        Self {
            operation: Cow::Borrowed(operation),
            provider: Cow::Borrowed(provider),
            model: Cow::Borrowed(model),
        }
    }

    /// Any operation (`chat`, `embeddings`, `text_completion`, ...), with
    /// names known at run time.
    pub fn new(
        operation: impl Into<Cow<'static, str>>,
        provider: impl Into<Cow<'static, str>>,
        model: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            operation: operation.into(),
            provider: provider.into(),
            model: model.into(),
        }
    }

    /// `gen_ai.operation.name`.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// `gen_ai.provider.name`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// `gen_ai.request.model`.
    pub fn model(&self) -> &str {
        &self.model
    }
}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meta")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
