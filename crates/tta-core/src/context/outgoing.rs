//! [`OutgoingCall`]: one request to another service, with a client span of
//! its own and the headers that make the service's spans nest under it.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

use tracing::field::{Empty, display};
use tracing::{Instrument, Span};

use super::builder::random_span_id;
use super::{TraceHeaders, WorkflowContext};

/// One call to another service, made from inside a run.
///
/// It opens a client span (OpenTelemetry `SpanKind::Client`) under the
/// current span, and its [`headers`](Self::headers) name that span as the
/// parent, so three calls from one step carry three parent ids, each of an
/// exported span. When the run is not sampled, or no exporter is installed,
/// there is no span and each call still gets a parent id of its own.
///
/// ```
/// # async fn demo(ctx: &tta_core::WorkflowContext) -> Result<(), std::io::Error> {
/// let call = ctx.outgoing_call("POST /search");
/// let headers: Vec<(&str, String)> = call.headers().iter().collect();
/// // ... give `headers` to the HTTP client, then:
/// let response = call.run(async { Ok::<_, std::io::Error>(200) }).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "the call's span ends when it is dropped"]
pub struct OutgoingCall {
    span: Span,
    headers: TraceHeaders,
}

impl OutgoingCall {
    pub(super) fn start(ctx: &WorkflowContext, name: Cow<'static, str>) -> Self {
        let span = if ctx.is_sampled() {
            tracing::debug_span!(
                "outgoing_call",
                otel.name = %name,
                otel.kind = "client",
                otel.status_code = Empty,
                otel.status_description = Empty,
                tta.workflow.id = ctx.workflow_id(),
                tta.correlation.id = ctx.correlation_id(),
            )
        } else {
            Span::none()
        };
        let own = ctx.run_traceparent();
        let span_id = ctx.exported_span_id(&span).unwrap_or_else(random_span_id);
        let headers = TraceHeaders::new(own.with_span_id(span_id), ctx.tracestate().clone());
        Self { span, headers }
    }

    /// The headers to send with this call.
    pub fn headers(&self) -> &TraceHeaders {
        &self.headers
    }

    /// Sets this call's headers on an `http` request; see
    /// [`TraceHeaders::inject`].
    #[cfg(feature = "http")]
    pub fn inject(&self, headers: &mut http::HeaderMap) {
        self.headers.inject(headers);
    }

    /// The call's client span, disabled when the run is not sampled.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Awaits the request inside the call's span and records how it ended
    /// as the span's status. The span ends with this future.
    pub async fn run<T, E: fmt::Display>(
        self,
        request: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let result = request.instrument(self.span.clone()).await;
        match &result {
            Ok(_) => {
                self.span.record("otel.status_code", "ok");
            }
            Err(error) => {
                self.span.record("otel.status_code", "error");
                self.span.record("otel.status_description", display(error));
            }
        }
        result
    }
}
