//! The OpenTelemetry sampler that agrees with TTA's head sampling.
//!
//! TTA decides whether a run is sampled once, when its root context is
//! built ([`tta_core::sampling`]), and an unsampled run opens no spans. So
//! when a run's outermost span reaches the SDK, the run was already kept:
//! sampling it again at the same ratio, by a different trace id, would keep
//! only ratio² of the runs. Every other span is sampled as usual: it follows
//! its parent, and a new trace is kept at the same ratio.

use opentelemetry::trace::{SpanKind, TraceContextExt, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};
use tta_core::instrument::fields;

#[derive(Debug, Clone)]
pub(crate) struct RunSampler {
    otherwise: Sampler,
}

impl RunSampler {
    pub(crate) fn new(ratio: f64) -> Self {
        Self {
            otherwise: Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio))),
        }
    }
}

impl ShouldSample for RunSampler {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[opentelemetry::trace::Link],
    ) -> SamplingResult {
        let has_parent = parent.is_some_and(|cx| cx.has_active_span());
        let is_primitive = attributes
            .iter()
            .any(|attribute| attribute.key.as_str() == fields::PRIMITIVE_TYPE);
        if is_primitive && !has_parent {
            return SamplingResult {
                decision: SamplingDecision::RecordAndSample,
                attributes: Vec::new(),
                trace_state: TraceState::default(),
            };
        }
        self.otherwise
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(sampler: &RunSampler, attributes: &[KeyValue]) -> SamplingDecision {
        // Low bits all ones: dropped by any ratio below 1.
        let trace_id = TraceId::from(u128::from(u64::MAX));
        sampler
            .should_sample(None, trace_id, "step", &SpanKind::Internal, attributes, &[])
            .decision
    }

    #[test]
    fn a_run_that_opened_its_root_span_is_kept_and_other_roots_use_the_ratio() {
        let sampler = RunSampler::new(0.0);
        let primitive = [KeyValue::new(fields::PRIMITIVE_TYPE, "custom")];
        assert_eq!(
            decide(&sampler, &primitive),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, &[KeyValue::new("http.route", "/ask")]),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&RunSampler::new(1.0), &[]),
            SamplingDecision::RecordAndSample
        );
    }
}
