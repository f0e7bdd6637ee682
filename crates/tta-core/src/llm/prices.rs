//! [`PriceTable`]: what each model charges per token of each kind.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use serde_json::{Map, Value};

use super::money::Usd;
use super::usage::Tokens;

/// The bundled snapshot, in LiteLLM's `model_prices_and_context_window.json`
/// format, so a current copy of LiteLLM's file drops in as an override.
const BUNDLED: &str = include_str!("prices.json");

/// The key of the bundled file's metadata entry.
const SNAPSHOT_KEY: &str = "tta_snapshot";

/// One model's prices, each in nano-dollars per **million** tokens, so that
/// prices down to $0.000000001 per million are exact.
///
/// A kind without its own price is billed at the plain rate: cache reads
/// and writes at the input price, reasoning at the output price, which is
/// what providers without prompt caching or separate reasoning rates charge.
///
/// ```
/// use tta_core::llm::{ModelPrice, Usd, Usage};
///
/// // Claude Sonnet 4: $3 in, $15 out, cache writes $3.75, cache reads $0.30 per million.
/// let price = ModelPrice::per_million("3".parse()?, "15".parse()?)
///     .with_cache_write("3.75".parse()?)
///     .with_cache_read("0.30".parse()?);
/// let usage = Usage::anthropic("claude-sonnet-4", 1_000, 10_000, 50_000, 500);
/// // 1k × $3 + 10k × $3.75 + 50k × $0.30 + 500 × $15, per million:
/// assert_eq!(price.cost(&usage.tokens()), "0.0630".parse()?);
/// # Ok::<(), tta_core::llm::ParseUsdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPrice {
    /// Input tokens not served from a prompt cache.
    pub input: Usd,
    /// Output tokens that are not reasoning.
    pub output: Usd,
    /// Input tokens read from a prompt cache, if priced apart.
    pub cache_read: Option<Usd>,
    /// Input tokens written to a prompt cache, if priced apart.
    pub cache_write: Option<Usd>,
    /// Reasoning tokens, if priced apart.
    pub reasoning: Option<Usd>,
}

/// Femto-dollars (10⁻¹⁵) in a nano-dollar: a count times a per-million
/// nano-dollar price is exact in femto-dollars.
const FEMTOS_PER_NANO: u128 = 1_000_000;

impl ModelPrice {
    /// Input and output prices per million tokens.
    pub const fn per_million(input: Usd, output: Usd) -> Self {
        Self {
            input,
            output,
            cache_read: None,
            cache_write: None,
            reasoning: None,
        }
    }

    /// Sets the price per million prompt-cache reads.
    pub const fn with_cache_read(mut self, price: Usd) -> Self {
        self.cache_read = Some(price);
        self
    }

    /// Sets the price per million prompt-cache writes.
    pub const fn with_cache_write(mut self, price: Usd) -> Self {
        self.cache_write = Some(price);
        self
    }

    /// Sets the price per million reasoning tokens.
    pub const fn with_reasoning(mut self, price: Usd) -> Self {
        self.reasoning = Some(price);
        self
    }

    /// What `tokens` cost: every kind at its own rate, summed exactly, then
    /// rounded once to the nearest nano-dollar (halves up).
    pub fn cost(&self, tokens: &Tokens) -> Usd {
        let at = |count: u64, price: Usd| u128::from(count) * u128::from(price.nanos());
        let femtos = at(tokens.uncached_input(), self.input)
            + at(tokens.cache_read, self.cache_read.unwrap_or(self.input))
            + at(tokens.cache_write, self.cache_write.unwrap_or(self.input))
            + at(tokens.visible_output(), self.output)
            + at(tokens.reasoning, self.reasoning.unwrap_or(self.output));
        let nanos = (femtos + FEMTOS_PER_NANO / 2) / FEMTOS_PER_NANO;
        Usd::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// Prices per model, looked up by provider and model name.
///
/// - [`PriceTable::bundled`] is a dated snapshot of the list prices of the
///   common OpenAI, Anthropic, Google, Groq and Mistral models
///   ([`PriceTable::snapshot_date`]).
/// - [`from_json`](Self::from_json) and [`from_file`](Self::from_file) read
///   LiteLLM's `model_prices_and_context_window.json` format, so a current
///   copy of that file replaces or extends the snapshot.
/// - [`with`](Self::with) adds or replaces one model from code.
///
/// Lookup tries `{provider}/{model}` then `{model}`, each first as given and
/// then without a dated or versioned suffix (`gpt-4o-2024-08-06` finds
/// `gpt-4o`). A model found nowhere is unpriced, never $0.
///
/// ```
/// use tta_core::llm::{ModelPrice, PriceTable, Usd};
///
/// let table = PriceTable::bundled()
///     .with("my-finetune", ModelPrice::per_million(Usd::from_cents(30), Usd::from_cents(120)));
/// assert!(table.lookup("openai", "gpt-4o-mini-2024-07-18").is_some());
/// assert!(table.lookup("openai", "my-finetune").is_some());
/// assert!(table.lookup("openai", "gpt-99").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    models: HashMap<String, ModelPrice>,
    snapshot_date: Option<String>,
}

impl PriceTable {
    /// A table with no models: every call is unpriced.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The snapshot that ships with TTA.
    pub fn bundled() -> Self {
        static TABLE: LazyLock<PriceTable> = LazyLock::new(|| {
            // The bundled file is tested to parse; a failure here is a bug in
            // the crate, and an empty table keeps every call unpriced.
            PriceTable::from_json(BUNDLED).unwrap_or_default()
        });
        TABLE.clone()
    }

    /// The date the prices were taken, for a bundled or dated file.
    pub fn snapshot_date(&self) -> Option<&str> {
        self.snapshot_date.as_deref()
    }

    /// Reads LiteLLM's price format: an object of models, each with
    /// `input_cost_per_token` and `output_cost_per_token` in dollars, and
    /// optionally `cache_read_input_token_cost`,
    /// `cache_creation_input_token_cost` and `output_cost_per_reasoning_token`.
    ///
    /// Entries without per-token input and output prices (image or audio
    /// models priced per unit) are skipped. A price that is not a finite,
    /// non-negative number of at most $1 per token is an error naming the
    /// model and the field.
    pub fn from_json(text: &str) -> Result<Self, PriceError> {
        let root: Value = serde_json::from_str(text).map_err(|error| PriceError::Json {
            reason: error.to_string(),
        })?;
        let Value::Object(entries) = root else {
            return Err(PriceError::Json {
                reason: "the top level must be an object of models".to_owned(),
            });
        };
        let mut table = PriceTable::empty();
        for (model, entry) in &entries {
            let Value::Object(fields) = entry else {
                return Err(PriceError::Entry {
                    model: model.clone(),
                    reason: "must be an object".to_owned(),
                });
            };
            if model == SNAPSHOT_KEY {
                table.snapshot_date = fields
                    .get("date")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                continue;
            }
            if let Some(price) = parse_entry(model, fields)? {
                table.models.insert(model.clone(), price);
            }
        }
        Ok(table)
    }

    /// Reads a price file; see [`from_json`](Self::from_json).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, PriceError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| PriceError::Read {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
        Self::from_json(&text).map_err(|error| PriceError::File {
            path: path.display().to_string(),
            source: Box::new(error),
        })
    }

    /// Adds or replaces one model. The key is a model name, or
    /// `{provider}/{model}` to price one provider's copy apart.
    pub fn with(mut self, model: impl Into<String>, price: ModelPrice) -> Self {
        self.models.insert(model.into(), price);
        self
    }

    /// This table with every model of `overrides` added or replaced.
    pub fn merged(mut self, overrides: PriceTable) -> Self {
        self.models.extend(overrides.models);
        if overrides.snapshot_date.is_some() {
            self.snapshot_date = overrides.snapshot_date;
        }
        self
    }

    /// How many models are priced.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether no model is priced.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The price of `model` at `provider` (an OpenTelemetry provider name
    /// such as `openai`, `gcp.gemini` or `mistral_ai`).
    pub fn lookup(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        let prefix = litellm_prefix(provider);
        let find = |name: &str| {
            self.models
                .get(&format!("{prefix}/{name}"))
                .or_else(|| self.models.get(name))
        };
        find(model).or_else(|| versionless(model).find_map(find))
    }
}

/// LiteLLM's key prefix for an OpenTelemetry `gen_ai.provider.name`.
fn litellm_prefix(provider: &str) -> &str {
    match provider {
        "gcp.gemini" => "gemini",
        "gcp.vertex_ai" => "vertex_ai",
        "mistral_ai" => "mistral",
        "x_ai" => "xai",
        "aws.bedrock" => "bedrock",
        "azure.ai.openai" | "azure.ai.inference" => "azure",
        other => other,
    }
}

/// `model` without each `-<digit>...` suffix in turn, longest name first:
/// `gpt-4o-mini-2024-07-18` gives `gpt-4o-mini-2024-07`, `gpt-4o-mini-2024`,
/// `gpt-4o-mini`; a suffix such as `-mini` is kept because it names another model.
fn versionless(model: &str) -> impl Iterator<Item = &str> {
    model
        .match_indices('-')
        .rev()
        .filter(move |(index, _)| model[index + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(move |(index, _)| &model[..index])
}

fn parse_entry(model: &str, fields: &Map<String, Value>) -> Result<Option<ModelPrice>, PriceError> {
    let price = |field: &'static str| -> Result<Option<Usd>, PriceError> {
        let Some(value) = fields.get(field) else {
            return Ok(None);
        };
        let invalid = |reason: &str| PriceError::Entry {
            model: model.to_owned(),
            reason: format!("`{field}` {reason}"),
        };
        let dollars_per_token = value
            .as_f64()
            .ok_or_else(|| invalid("must be a number of dollars per token"))?;
        if !dollars_per_token.is_finite() || dollars_per_token < 0.0 {
            return Err(invalid("must be a finite number, zero or more"));
        }
        if dollars_per_token > 1.0 {
            return Err(invalid("is over $1 per token, which no model charges"));
        }
        // Dollars per token to nano-dollars per million tokens.
        Ok(Some(Usd::from_nanos(
            (dollars_per_token * 1e15).round() as u64
        )))
    };
    let (Some(input), Some(output)) = (
        price("input_cost_per_token")?,
        price("output_cost_per_token")?,
    ) else {
        return Ok(None);
    };
    Ok(Some(ModelPrice {
        input,
        output,
        cache_read: price("cache_read_input_token_cost")?,
        cache_write: price("cache_creation_input_token_cost")?,
        reasoning: price("output_cost_per_reasoning_token")?,
    }))
}

/// A price table that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// The file could not be read.
    #[error("cannot read the price file `{path}`: {reason}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The text is not JSON of the expected shape.
    #[error("the price table is not valid JSON of models: {reason}")]
    Json {
        /// What the parser found.
        reason: String,
    },
    /// One model's entry is invalid.
    #[error("the price of model `{model}` is invalid: {reason}")]
    Entry {
        /// The model's key.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// A file's content is invalid.
    #[error("in the price file `{path}`: {source}")]
    File {
        /// The file.
        path: String,
        /// What is wrong with its content.
        source: Box<PriceError>,
    },
}

static ACTIVE: LazyLock<RwLock<Arc<PriceTable>>> =
    LazyLock::new(|| RwLock::new(Arc::new(PriceTable::bundled())));

/// Makes `table` the process's price table for every call reported from
/// now on. Until then it is [`PriceTable::bundled`].
pub fn set_price_table(table: PriceTable) {
    *ACTIVE.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
    super::models::invalidate();
}

/// The process's price table.
pub fn price_table() -> Arc<PriceTable> {
    Arc::clone(&ACTIVE.read().unwrap_or_else(PoisonError::into_inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_snapshot_parses_and_is_dated() {
        let parsed = PriceTable::from_json(BUNDLED).expect("bundled prices parse");
        assert!(parsed.len() >= 40, "{}", parsed.len());
        assert_eq!(parsed.snapshot_date(), Some("2025-10-01"));
        let gpt = parsed.lookup("openai", "gpt-4o").expect("gpt-4o priced");
        assert_eq!(gpt.input, Usd::from_cents(250));
        assert_eq!(gpt.cache_read, Some(Usd::from_cents(125)));
        let llama = parsed
            .lookup("groq", "llama-3.3-70b-versatile")
            .expect("groq priced");
        assert_eq!(llama.output, Usd::from_cents(79));
        assert!(
            parsed
                .lookup("mistral_ai", "mistral-small-latest")
                .is_some()
        );
        assert!(parsed.lookup("gcp.gemini", "gemini-2.5-flash").is_some());
    }

    #[test]
    fn versioned_names_find_their_model_but_not_a_sibling() {
        let table = PriceTable::bundled();
        let mini = table.lookup("openai", "gpt-4o-mini-2024-07-18").copied();
        assert_eq!(mini, table.lookup("openai", "gpt-4o-mini").copied());
        assert_ne!(mini, table.lookup("openai", "gpt-4o").copied());
        let sonnet = table.lookup("anthropic", "claude-3-5-sonnet-20241022");
        assert_eq!(sonnet.map(|p| p.output), Some(Usd::from_dollars(15)));
        assert!(table.lookup("openai", "gpt-4o-mini-tts").is_none());
    }

    #[test]
    fn malformed_tables_name_what_is_wrong() {
        let cases = [
            ("not json", "not valid JSON"),
            ("[1, 2]", "top level must be an object"),
            (r#"{"m": 3}"#, "`m` is invalid: must be an object"),
            (
                r#"{"m": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-6}}"#,
                "must be a number",
            ),
            (
                r#"{"m": {"input_cost_per_token": -1e-6, "output_cost_per_token": 1e-6}}"#,
                "zero or more",
            ),
            (
                r#"{"m": {"input_cost_per_token": 5, "output_cost_per_token": 1e-6}}"#,
                "over $1 per token",
            ),
        ];
        for (text, expected) in cases {
            let error = PriceTable::from_json(text).expect_err(text);
            assert!(error.to_string().contains(expected), "{text}: {error}");
        }
        let missing = PriceTable::from_file("/nonexistent/prices.json").expect_err("missing file");
        assert!(
            missing.to_string().contains("/nonexistent/prices.json"),
            "{missing}"
        );
    }

    #[test]
    fn entries_priced_per_unit_are_skipped() {
        let table = PriceTable::from_json(
            r#"{"dall-e-3": {"output_cost_per_image": 0.04}, "m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}"#,
        )
        .expect("parses");
        assert_eq!(table.len(), 1);
    }
}
