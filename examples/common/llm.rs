//! A simulated model provider and the agent pipeline built on it, with no
//! network: shared by the `llm_pipeline` example and the live demo.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tta::instrument::GenAiCall;
use tta::llm::Usage;
use tta::prelude::*;
use tta::resilience::{CacheStats, CircuitBreakerHandle};
use tta::testing::{FaultConfig, Faulty};

/// Which real model a simulated one stands for: its answers are fake, its
/// usage is shaped like the real model's and priced at its list price.
#[derive(Clone, Copy)]
pub(crate) struct Card {
    pub(crate) provider: &'static str,
    pub(crate) model: &'static str,
    /// Whether the provider serves the system prompt from its prompt cache.
    pub(crate) prompt_caching: bool,
}

/// The tokens of the system prompt every call sends first.
const SYSTEM_PROMPT_TOKENS: u64 = 800;

impl Card {
    /// What one answer to `prompt` uses: the system prompt and about a token
    /// per four characters in, 60 to 300 tokens out.
    pub(crate) fn usage(&self, prompt: &str) -> Usage {
        let user = (prompt.len() as u64).div_ceil(4);
        let spread = prompt.bytes().fold(7_u64, |hash, byte| {
            hash.wrapping_mul(31).wrapping_add(u64::from(byte))
        });
        let usage = Usage::new(self.provider, self.model)
            .input_tokens(SYSTEM_PROMPT_TOKENS + user)
            .output_tokens(60 + spread % 240)
            .finish_reason("stop");
        if self.prompt_caching {
            usage.cache_read_tokens(SYSTEM_PROMPT_TOKENS)
        } else {
            usage
        }
    }
}

/// The cheap model: OpenAI's GPT-4o mini, with automatic prompt caching.
pub(crate) const CHEAP: Card = Card {
    provider: "openai",
    model: "gpt-4o-mini",
    prompt_caching: true,
};
/// The quality model: Anthropic's Claude Sonnet 4, system prompt cached.
pub(crate) const QUALITY: Card = Card {
    provider: "anthropic",
    model: "claude-sonnet-4",
    prompt_caching: true,
};
/// The backup: Llama 3.3 70B on Groq, no prompt cache.
pub(crate) const BACKUP: Card = Card {
    provider: "groq",
    model: "llama-3.3-70b-versatile",
    prompt_caching: false,
};

/// A model behind a provider's API: slow, sometimes rate-limited or down,
/// and now and then hung. Reproducible per seed. Each answer reports the
/// usage `card` describes, so tokens and money flow like a real call's.
pub(crate) fn model(
    name: &'static str,
    card: Card,
    latency: std::ops::RangeInclusive<Duration>,
    error_rate: f64,
    hang_rate: f64,
    seed: u64,
    outage: Arc<AtomicBool>,
) -> impl Primitive<Input = String, Output = String> {
    let answer = from_fn(name, move |prompt: String, ctx: WorkflowContext| {
        let down = outage.load(Ordering::Relaxed);
        async move {
            if down {
                return Err(Error::transient("503 Service Unavailable"));
            }
            ctx.record_usage(card.usage(&prompt))?;
            Ok(format!(
                "[{name}] {}",
                prompt.chars().rev().collect::<String>()
            ))
        }
    })
    .with_gen_ai(GenAiCall::chat(card.provider, card.model));
    let faults = FaultConfig::builder()
        .latency(latency)
        .error_rate(error_rate)
        .hang_rate(hang_rate)
        .seed(seed)
        .build()
        .expect("the simulated provider's fault rates are valid");
    Faulty::new(answer, faults)
}

/// A call to one provider made robust: a timeout per attempt, retries with
/// exponential backoff and jitter, and a circuit breaker around it all.
pub(crate) fn robust(
    provider: impl Primitive<Input = String, Output = String>,
) -> (
    impl Primitive<Input = String, Output = String>,
    CircuitBreakerHandle,
) {
    let retry = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::exponential(Duration::from_millis(50)).cap(Duration::from_millis(400)))
        .jitter(Jitter::Full)
        .build()
        .expect("valid retry policy");
    let breaker = CircuitBreakerConfig::builder()
        .trip_on(TripOn::FailureRatio {
            ratio: 0.5,
            window: 10,
            min_calls: 4,
        })
        .open_for(Duration::from_secs(3))
        .half_open_probes(2)
        .build()
        .expect("valid breaker");
    let guarded = provider
        .timeout(Duration::from_millis(800))
        .retry(retry)
        .circuit_breaker(breaker);
    let handle = guarded.handle();
    (guarded, handle)
}

/// What the pipeline exposes for a summary.
pub(crate) struct Handles {
    pub(crate) breakers: Vec<CircuitBreakerHandle>,
    pub(crate) outage: Arc<AtomicBool>,
}

/// The models a pipeline routes between, and the switch that takes the
/// simulated primaries down.
pub(crate) struct Models {
    pub(crate) cheap: BoxPrimitive<String, String>,
    pub(crate) quality: BoxPrimitive<String, String>,
    pub(crate) backup: BoxPrimitive<String, String>,
    pub(crate) outage: Arc<AtomicBool>,
}

/// Simulated models: GPT-4o mini, Claude Sonnet 4 and Llama 3.3 on Groq,
/// with their latencies, failures, hangs and list prices. Reproducible per seed.
pub(crate) fn simulated(seed: u64) -> Models {
    let outage = Arc::new(AtomicBool::new(false));
    let ms = Duration::from_millis;
    Models {
        cheap: model(
            "cheap_model",
            CHEAP,
            ms(20)..=ms(120),
            0.15,
            0.02,
            seed,
            outage.clone(),
        )
        .boxed(),
        quality: model(
            "quality_model",
            QUALITY,
            ms(80)..=ms(400),
            0.10,
            0.02,
            seed + 1,
            outage.clone(),
        )
        .boxed(),
        backup: model(
            "backup_model",
            BACKUP,
            ms(150)..=ms(300),
            0.02,
            0.0,
            seed + 2,
            Arc::new(AtomicBool::new(false)),
        )
        .boxed(),
        outage,
    }
}

/// The pipeline: answers come from a cache keyed by the normalised prompt;
/// a miss is routed by length to the cheap or the quality model, each
/// robust, each falling back to the backup.
pub(crate) fn pipeline(
    models: Models,
) -> (
    impl Primitive<Input = String, Output = String>,
    Handles,
    impl Fn() -> CacheStats,
) {
    let (cheap, cheap_breaker) = robust(models.cheap);
    let (quality, quality_breaker) = robust(models.quality);
    let router = Router::builder("model_router", |prompt: &String, _ctx: &WorkflowContext| {
        if prompt.len() < 40 { "short" } else { "long" }
    })
    .route("short", cheap.fallback(models.backup.clone()))
    .route("long", quality.fallback(models.backup))
    .build()
    .expect("two routes");
    let config = CacheConfig::builder()
        .max_capacity(64)
        .time_to_live(Duration::from_secs(60))
        .build()
        .expect("valid cache");
    let cached = router.cached_by(config, |prompt: &String| prompt.trim().to_lowercase());
    let cached = Arc::new(cached);
    let stats_source = Arc::clone(&cached);
    let stats = move || stats_source.stats();
    let handles = Handles {
        breakers: vec![cheap_breaker, quality_breaker],
        outage: models.outage,
    };
    (
        SharedPrimitive(cached).named("llm_pipeline"),
        handles,
        stats,
    )
}

/// A primitive shared through an `Arc`, so its cache can also be read.
pub(crate) struct SharedPrimitive<P>(pub Arc<P>);

impl<P: Primitive> Primitive for SharedPrimitive<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        self.0.meta()
    }

    fn execute<'a>(
        &'a self,
        input: P::Input,
        ctx: &'a WorkflowContext,
    ) -> impl std::future::Future<Output = tta::Result<P::Output>> + Send + 'a {
        self.0.execute(input, ctx)
    }

    fn children(&self) -> Vec<tta::Graph> {
        self.0.children()
    }
}

/// Prompts from a small, skewed set, so some repeat (cache hits) and some
/// are rare (misses and evictions).
pub(crate) fn prompt(n: u64) -> String {
    let topic = (n * 2654435761 % 1000) % ((n % 7) * 20 + 5);
    if n.is_multiple_of(3) {
        format!("Summarise report #{topic} in three bullet points for the board")
    } else {
        format!("Define term {topic}")
    }
}
