//! Reading and writing the W3C Trace Context headers, as the
//! specification's processing model says.
//!
//! Spec: <https://www.w3.org/TR/trace-context-2/#processing-model>.

use super::{TraceParent, TraceState};

/// The name of the `traceparent` header, lowercase as it is sent.
pub const TRACEPARENT: &str = "traceparent";
/// The name of the `tracestate` header, lowercase as it is sent.
pub const TRACESTATE: &str = "tracestate";

/// The trace context headers for one outgoing request: a `traceparent`
/// that names the span making the call, and the run's `tracestate`.
///
/// Get them from [`WorkflowContext::trace_headers`](super::WorkflowContext::trace_headers)
/// or [`OutgoingCall::headers`](super::OutgoingCall::headers), and set each
/// pair on the request, whatever the HTTP client:
///
/// ```
/// # let ctx = tta_core::WorkflowContext::new();
/// let mut request = Vec::new();
/// for (name, value) in ctx.trace_headers().iter() {
///     request.push(format!("{name}: {value}"));
/// }
/// assert!(request[0].starts_with("traceparent: 00-"));
/// assert_eq!(request.len(), 1, "no tracestate header when it is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeaders {
    traceparent: TraceParent,
    tracestate: TraceState,
}

impl TraceHeaders {
    pub(super) fn new(traceparent: TraceParent, tracestate: TraceState) -> Self {
        Self {
            traceparent,
            tracestate,
        }
    }

    /// The `traceparent` to send.
    pub fn traceparent(&self) -> TraceParent {
        self.traceparent
    }

    /// The `tracestate` to send; empty means no header.
    pub fn tracestate(&self) -> &TraceState {
        &self.tracestate
    }

    /// Each header as a `(name, value)` pair: `traceparent`, then
    /// `tracestate` unless it is empty (the specification asks senders not
    /// to send an empty one).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        let tracestate = (!self.tracestate.is_empty()).then(|| self.tracestate.to_string());
        std::iter::once((TRACEPARENT, self.traceparent.to_string()))
            .chain(tracestate.map(|value| (TRACESTATE, value)))
    }

    /// Sets the headers on an outgoing request, replacing any
    /// `traceparent` or `tracestate` already there.
    ///
    /// ```
    /// # let ctx = tta_core::WorkflowContext::new();
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("TraceParent", "stale".parse().unwrap());
    /// ctx.trace_headers().inject(&mut headers);
    /// assert_eq!(headers.get_all("traceparent").iter().count(), 1);
    /// assert_eq!(headers["traceparent"], ctx.traceparent().to_string());
    /// ```
    #[cfg(feature = "http")]
    pub fn inject(&self, headers: &mut http::HeaderMap) {
        headers.remove(TRACESTATE);
        for (name, value) in self.iter() {
            // Both values are printable ASCII by construction.
            if let Ok(value) = http::HeaderValue::try_from(value) {
                headers.insert(name, value);
            }
        }
    }
}

/// What an incoming request's headers say: the trace to continue and its
/// `tracestate`, or why a new trace starts instead.
pub(super) enum Incoming {
    /// A valid `traceparent`, with the `tracestate` to keep (empty when it
    /// was missing or invalid).
    Continue(TraceParent, TraceState),
    /// No usable `traceparent`: a new trace starts and any `tracestate` is
    /// discarded, as the specification requires.
    Restart,
}

impl Incoming {
    /// Reads every field line of both headers, in the order received.
    pub(super) fn read<'a>(
        traceparent: impl IntoIterator<Item = &'a str>,
        tracestate: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut lines = traceparent.into_iter();
        let parent = match (lines.next(), lines.next()) {
            (Some(line), None) => line.parse::<TraceParent>(),
            (None, _) => return Self::Restart,
            // Two values for one trace position: neither can be trusted.
            (Some(_), Some(_)) => {
                tracing::debug!("several traceparent headers; starting a new trace");
                return Self::Restart;
            }
        };
        let parent = match parent {
            Ok(parent) => parent,
            Err(error) => {
                tracing::debug!(%error, "traceparent rejected; starting a new trace");
                return Self::Restart;
            }
        };
        let state = TraceState::from_field_lines(tracestate).unwrap_or_else(|error| {
            tracing::debug!(%error, "tracestate discarded");
            TraceState::new()
        });
        Self::Continue(parent, state)
    }

    /// Reads the headers of an `http` request or response.
    #[cfg(feature = "http")]
    pub(super) fn from_header_map(headers: &http::HeaderMap) -> Self {
        // A value that is not visible ASCII cannot be valid; `\u{1}` fails
        // both parsers, so such a line rejects its header as a whole.
        let lines = |name| {
            headers
                .get_all(name)
                .into_iter()
                .map(|value| value.to_str().unwrap_or("\u{1}"))
        };
        Self::read(lines(TRACEPARENT), lines(TRACESTATE))
    }
}
