//! One entry per model a process has called: its price and metric handles,
//! resolved once and reused by every call reported for it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use metrics::{Counter, Histogram, Label, counter, histogram};

use super::prices::{ModelPrice, price_table};
use super::semconv::{self, Convention};
use super::usage::{Cost, Tokens, Usage};
use crate::catalog;
use crate::error::ErrorKind;
use crate::labels;

/// What identifies a model's series: the GenAI metric labels.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    operation: Box<str>,
    provider: Box<str>,
    request_model: Box<str>,
    response_model: Option<Box<str>>,
}

impl Key {
    fn matches(&self, usage: &Usage) -> bool {
        *self.request_model == *usage.request_model
            && *self.provider == *usage.provider
            && *self.operation == *usage.operation
            && self.response_model.as_deref() == usage.response_model.as_deref()
    }
}

/// The disjoint kinds of `tta_llm_tokens_total{token_type}`: their sum is
/// every token billed.
const TOKEN_TYPES: [&str; 5] = ["input", "cache_read", "cache_write", "output", "reasoning"];

/// A model's price and handles.
pub(crate) struct ModelEntry {
    key: Key,
    /// The price-table generation the price was resolved in.
    generation: u64,
    price: Option<ModelPrice>,
    calls: Counter,
    unpriced: Counter,
    cost: Counter,
    tokens: [Counter; 5],
    gen_ai: GenAiHandles,
}

/// The GenAI metrics of one model, in the convention in force when it registered.
struct GenAiHandles {
    labels: Vec<Label>,
    duration_metric: &'static str,
    duration: Histogram,
    /// Registered on the first failure of each kind, labelled `error_type`.
    failed_duration: [OnceLock<Histogram>; ErrorKind::ALL.len()],
    tokens: GenAiTokens,
}

enum GenAiTokens {
    /// `gen_ai_client_token_usage` by `gen_ai_token_type`: input, output.
    Histograms([Histogram; 2]),
    /// One counter per kind: input, output, cache read, cache write, reasoning.
    Counters([Counter; 5]),
}

impl ModelEntry {
    fn register(usage: &Usage, generation: u64) -> Self {
        let table = price_table();
        let price = usage
            .response_model
            .as_deref()
            .and_then(|model| table.lookup(&usage.provider, model))
            .or_else(|| table.lookup(&usage.provider, &usage.request_model))
            .copied();
        let provider = labels::bounded("provider", &usage.provider);
        let model = labels::bounded("model", usage.model());
        let by_model = || {
            vec![
                Label::new("provider", provider.clone()),
                Label::new("model", model.clone()),
            ]
        };
        let tokens = TOKEN_TYPES.map(|token_type| {
            let mut labels = by_model();
            labels.push(Label::from_static_parts("token_type", token_type));
            counter!(catalog::LLM_TOKENS_TOTAL, labels)
        });
        Self {
            calls: counter!(catalog::LLM_CALLS_TOTAL, by_model()),
            unpriced: counter!(catalog::LLM_UNPRICED_CALLS_TOTAL, by_model()),
            cost: counter!(catalog::LLM_COST_NANO_USD_TOTAL, by_model()),
            tokens,
            gen_ai: GenAiHandles::register(usage),
            price,
            generation,
            key: Key {
                operation: usage.operation.as_ref().into(),
                provider: usage.provider.as_ref().into(),
                request_model: usage.request_model.as_ref().into(),
                response_model: usage.response_model.as_deref().map(Into::into),
            },
        }
    }

    pub(crate) fn cost(&self, tokens: &Tokens) -> Cost {
        self.price
            .map_or(Cost::Unpriced, |price| Cost::Priced(price.cost(tokens)))
    }

    /// Counts one call's tokens and cost.
    pub(crate) fn record(&self, tokens: &Tokens, cost: Cost) {
        self.calls.increment(1);
        match cost {
            Cost::Priced(amount) => self.cost.increment(amount.nanos()),
            Cost::Unpriced => self.unpriced.increment(1),
        }
        let by_type = [
            tokens.uncached_input(),
            tokens.cache_read,
            tokens.cache_write,
            tokens.visible_output(),
            tokens.reasoning,
        ];
        for (counter, count) in self.tokens.iter().zip(by_type) {
            if count > 0 {
                counter.increment(count);
            }
        }
        match &self.gen_ai.tokens {
            GenAiTokens::Histograms([input, output]) => {
                input.record(tokens.input as f64);
                output.record(tokens.output as f64);
            }
            GenAiTokens::Counters(counters) => {
                let by_kind = [
                    tokens.input,
                    tokens.output,
                    tokens.cache_read,
                    tokens.cache_write,
                    tokens.reasoning,
                ];
                for (counter, count) in counters.iter().zip(by_kind) {
                    counter.increment(count);
                }
            }
        }
    }

    /// Records the duration of the call that reported this model.
    pub(crate) fn record_duration(&self, elapsed: Duration, error: Option<ErrorKind>) {
        let histogram = match error {
            None => &self.gen_ai.duration,
            Some(kind) => self.gen_ai.failed_duration[kind.index()].get_or_init(|| {
                let mut labels = self.gen_ai.labels.clone();
                labels.push(Label::from_static_parts(
                    semconv::labels::ERROR_TYPE,
                    kind.as_str(),
                ));
                histogram!(self.gen_ai.duration_metric, labels)
            }),
        };
        histogram.record(elapsed.as_secs_f64());
    }
}

impl GenAiHandles {
    fn register(usage: &Usage) -> Self {
        use semconv::labels as names;
        let mut labels = vec![
            Label::new(
                names::OPERATION_NAME,
                labels::bounded("gen_ai_operation_name", &usage.operation),
            ),
            Label::new(
                names::PROVIDER_NAME,
                labels::bounded("provider", &usage.provider),
            ),
            Label::new(
                names::REQUEST_MODEL,
                labels::bounded("model", &usage.request_model),
            ),
        ];
        if let Some(model) = &usage.response_model {
            labels.push(Label::new(
                names::RESPONSE_MODEL,
                labels::bounded("model", model),
            ));
        }
        let convention = semconv::convention();
        let duration_metric = match convention {
            Convention::Stable => semconv::metrics::OPERATION_DURATION,
            Convention::LatestExperimental => semconv::metrics::INFERENCE_DURATION,
        };
        let tokens = match convention {
            Convention::Stable => GenAiTokens::Histograms(["input", "output"].map(|token_type| {
                let mut labels = labels.clone();
                labels.push(Label::from_static_parts(names::TOKEN_TYPE, token_type));
                histogram!(semconv::metrics::TOKEN_USAGE, labels)
            })),
            Convention::LatestExperimental => GenAiTokens::Counters(
                semconv::metrics::INFERENCE_USAGE.map(|name| counter!(name, labels.clone())),
            ),
        };
        Self {
            duration: histogram!(duration_metric, labels.clone()),
            duration_metric,
            failed_duration: Default::default(),
            tokens,
            labels,
        }
    }
}

type Registry = HashMap<u64, Vec<Arc<ModelEntry>>>;

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(Default::default);

/// Bumped when the price table changes, so entries resolve their price again.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The entry this thread used last: most processes call a handful of
    /// models, so this skips the hash and the lock on most calls.
    static LAST: RefCell<Option<Arc<ModelEntry>>> = const { RefCell::new(None) };
}

/// The entry for `usage`'s model, registered on first use.
pub(crate) fn entry(usage: &Usage) -> Arc<ModelEntry> {
    let generation = GENERATION.load(Ordering::Acquire);
    let fresh =
        |entry: &Arc<ModelEntry>| entry.generation == generation && entry.key.matches(usage);
    if let Some(last) = LAST.with_borrow(|last| last.as_ref().filter(|e| fresh(e)).cloned()) {
        return last;
    }
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one((
        &*usage.operation,
        &*usage.provider,
        &*usage.request_model,
        usage.response_model.as_deref(),
    ));
    let found = REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&hash)
        .and_then(|entries| entries.iter().find(|e| fresh(e)).cloned());
    let entry = found.unwrap_or_else(|| {
        let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
        let entries = registry.entry(hash).or_default();
        entries.retain(|e| e.generation == generation);
        if let Some(existing) = entries.iter().find(|e| fresh(e)) {
            return Arc::clone(existing);
        }
        let created = Arc::new(ModelEntry::register(usage, generation));
        entries.push(Arc::clone(&created));
        created
    });
    LAST.set(Some(Arc::clone(&entry)));
    entry
}

/// Called when the price table or the GenAI convention changes.
pub(super) fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}
