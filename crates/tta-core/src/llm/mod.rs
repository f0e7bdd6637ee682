//! LLM calls as first-class citizens: tokens, money, models and the
//! OpenTelemetry GenAI conventions.
//!
//! Any primitive that calls a model reports what the call used, in one line:
//!
//! ```
//! use tta_core::llm::{Usage, Usd};
//! use tta_core::{from_fn, PrimitiveExt, WorkflowContext};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> tta_core::Result<()> {
//! let summarize = from_fn("summarize", |text: String, ctx: WorkflowContext| {
//!     async move {
//!         // ... call any SDK, then:
//!         ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 1_000, 0, 200, 0))?;
//!         Ok(text.len())
//!     }
//! });
//!
//! let ctx = WorkflowContext::new();
//! summarize.run_with("a long document".to_owned(), ctx.clone()).await?;
//! let spent = ctx.usage();
//! assert_eq!(spent.total_tokens(), 1_200);
//! // $0.15 per million in, $0.60 out: 1000 × 0.15 + 200 × 0.60 = 270 millionths of a dollar.
//! assert_eq!(spent.cost, Usd::from_micros(270));
//! # Ok(())
//! # }
//! ```
//!
//! From that one report:
//! - **cost**: priced by the process's [`PriceTable`] (the bundled snapshot
//!   unless [`set_price_table`] replaced it) in integer nano-dollars
//!   ([`Usd`]), each token kind at its own rate; an unknown model is
//!   counted as unpriced, never as $0;
//! - **the run**: [`WorkflowContext::usage`](crate::WorkflowContext::usage)
//!   sums every call of the run and its child runs, and a budget
//!   ([`WorkflowContextBuilder::cost_budget`](crate::WorkflowContextBuilder::cost_budget),
//!   [`token_budget`](crate::WorkflowContextBuilder::token_budget)) stops
//!   the run once spent, with [`Error::BudgetExceeded`](crate::Error::BudgetExceeded);
//! - **spans**: the reporting execution's span gets the GenAI attributes
//!   (`gen_ai.usage.input_tokens`, `gen_ai.response.model`,
//!   `gen_ai.usage.cost`, ...) and every enclosing span the ∑ of its subtree
//!   (`tta.usage.*`);
//! - **metrics**: `tta_llm_tokens_total`, `tta_llm_cost_nano_usd_total`,
//!   `tta_llm_calls_total`, `tta_llm_unpriced_calls_total`, and the GenAI
//!   histograms `gen_ai_client_token_usage` and
//!   `gen_ai_client_operation_duration_seconds` ([`semconv`]);
//! - **logs**: an `llm_usage` event at DEBUG with the run's ids;
//! - **caches**: a [`Cached`](crate::resilience::Cached) primitive remembers
//!   what each entry cost and credits it on every hit
//!   (`tta_cache_saved_*`).
//!
//! Prompts and responses are never recorded: a report holds counts and
//! names only. Content goes on spans only on opt-in, scrubbed and capped:
//! see [`capture`].

pub mod capture;
mod ledger;
pub(crate) mod models;
mod money;
mod prices;
pub mod semconv;
mod usage;

use std::time::Duration;

use tracing::Span;

pub use crate::instrument::frame::{Measured, measure};
pub use money::{ParseUsdError, Usd};
pub use prices::{ModelPrice, PriceError, PriceTable, price_table, set_price_table};
pub use usage::{Budget, Cost, MAX_TOKENS_PER_CALL, Tokens, Usage, UsageError, UsageTotals};

pub(crate) use ledger::{Ledger, Limits};

use crate::catalog;
use crate::context::WorkflowContext;
use crate::error::ErrorKind;
use crate::instrument::attributes::{self, AttributeValue};
use crate::instrument::frame::{self, UsageTally};
use semconv::attributes as attr;

/// Records one call's usage for `ctx`'s run; see [`WorkflowContext::record_usage`].
pub(crate) fn record(
    ctx: &WorkflowContext,
    ledger: &Ledger,
    usage: Usage,
) -> Result<Cost, UsageError> {
    if let Err(error) = usage.validate() {
        metrics::counter!(catalog::LLM_USAGE_REJECTED_TOTAL).increment(1);
        tracing::warn!(
            error = %error,
            correlation_id = ctx.correlation_id(),
            workflow_id = ctx.workflow_id(),
            "llm_usage_rejected"
        );
        return Err(error);
    }
    let model = models::entry(&usage);
    let tokens = usage.tokens();
    let cost = model.cost(&tokens);
    let totals = UsageTotals::of(tokens, cost);
    ledger.add(totals);
    model.record(&tokens, cost);
    frame::report(totals, &model);
    if ctx.is_sampled() && attributes::have_sink() {
        annotate_call(&Span::current(), &usage);
    }
    tracing::debug!(
        gen_ai.operation.name = &*usage.operation,
        gen_ai.provider.name = &*usage.provider,
        gen_ai.request.model = &*usage.request_model,
        gen_ai.response.model = usage.response_model.as_deref(),
        input_tokens = tokens.input,
        output_tokens = tokens.output,
        cache_read_tokens = tokens.cache_read,
        cache_write_tokens = tokens.cache_write,
        reasoning_tokens = tokens.reasoning,
        cost_usd = cost.usd().map(Usd::as_dollars),
        priced = cost != Cost::Unpriced,
        estimated = usage.estimated,
        correlation_id = ctx.correlation_id(),
        workflow_id = ctx.workflow_id(),
        "llm_usage"
    );
    Ok(cost)
}

/// The names a report gives the span of the execution that made it.
fn annotate_call(span: &Span, usage: &Usage) {
    attributes::set(span, attr::OPERATION_NAME, &*usage.operation);
    attributes::set(span, attr::PROVIDER_NAME, &*usage.provider);
    attributes::set(span, attr::REQUEST_MODEL, &*usage.request_model);
    if let Some(model) = &usage.response_model {
        attributes::set(span, attr::RESPONSE_MODEL, &**model);
    }
    if let Some(reason) = &usage.finish_reason {
        attributes::set(span, attr::FINISH_REASONS, &**reason);
    }
    if usage.estimated {
        attributes::set(span, attr::USAGE_ESTIMATED, true);
    }
}

/// Closes the usage of an execution that had some: the GenAI duration of an
/// LLM call, the attributes of its span, and the ∑ handed to the execution
/// around it.
pub(crate) fn settle(
    usage: UsageTally,
    span: Option<&Span>,
    elapsed: Duration,
    error: Option<ErrorKind>,
) {
    let UsageTally {
        own,
        subtree,
        model,
    } = usage;
    if let Some(model) = &model {
        model.record_duration(elapsed, error);
    }
    if let Some(span) = span {
        if model.is_some() {
            attributes::set(span, attr::INPUT_TOKENS, own.input_tokens);
            attributes::set(span, attr::OUTPUT_TOKENS, own.output_tokens);
            attributes::set(span, attr::CACHE_READ_TOKENS, own.cache_read_tokens);
            attributes::set(span, attr::cache_write_tokens(), own.cache_write_tokens);
            attributes::set(span, attr::REASONING_TOKENS, own.reasoning_tokens);
            if own.unpriced_calls == 0 {
                attributes::set(span, attr::COST, own.cost.as_dollars());
            }
            if let Some(kind) = error {
                attributes::set(span, attr::ERROR_TYPE, kind.as_str());
            }
        }
        if !subtree.is_empty() {
            attributes::set(span, attr::SUBTREE_CALLS, subtree.calls);
            attributes::set(span, attr::SUBTREE_UNPRICED_CALLS, subtree.unpriced_calls);
            attributes::set(span, attr::SUBTREE_INPUT_TOKENS, subtree.input_tokens);
            attributes::set(span, attr::SUBTREE_OUTPUT_TOKENS, subtree.output_tokens);
            attributes::set(
                span,
                attr::SUBTREE_COST,
                AttributeValue::F64(subtree.cost.as_dollars()),
            );
        }
    }
    frame::credit(subtree);
}
