//! [`ChatConfig`]: where a chat model is, and how to call it.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tta_core::ConfigError;

/// Where a chat model is served and how to call it.
///
/// | setting | default |
/// |---|---|
/// | `base_url` | `OPENAI_BASE_URL`, else `https://api.openai.com/v1` |
/// | `api_key` | the `OPENAI_API_KEY` variable (another with [`api_key_env`](ChatConfigBuilder::api_key_env)); none sends no `Authorization` |
/// | `provider` | `openai`: the `gen_ai.provider.name` and the price table's provider |
/// | `timeout` | 60 s per request, shortened to the run's deadline |
/// | `max_tokens` | none: the provider's default, unless the request sets one |
/// | `name` | `chat`: the primitive's name in metrics |
/// | `header` | none beyond `Authorization`, `Content-Type` and `traceparent` |
/// | `root_certificates_pem` | none: the platform's root certificates (Mozilla's where it has none) |
/// | `stream_usage` | on: streamed calls ask for a final usage chunk (`stream_options.include_usage`) |
///
/// Presets set the base URL, key variable and provider for
/// [Groq](Self::groq), [Mistral](Self::mistral) and [Ollama](Self::ollama);
/// any other OpenAI-compatible server (vLLM, Together, the LiteLLM proxy)
/// takes [`builder`](Self::builder) with its `base_url`.
///
/// The key is never logged: `Debug` prints `api_key: Some("…")`.
///
/// ```
/// use std::time::Duration;
/// use tta_openai::ChatConfig;
///
/// let config = ChatConfig::builder("gpt-4o-mini")
///     .base_url("http://127.0.0.1:4000/v1")
///     .api_key("sk-test")
///     .timeout(Duration::from_secs(20))
///     .header("x-team", "search")
///     .build()?;
/// assert_eq!(config.model(), "gpt-4o-mini");
/// assert!(!format!("{config:?}").contains("sk-test"));
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ChatConfig {
    pub(crate) base_url: String,
    pub(crate) model: String,
    pub(crate) provider: String,
    pub(crate) api_key: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) headers: HeaderMap,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) name: String,
    pub(crate) root_certificates: Option<Vec<CertificateDer<'static>>>,
    pub(crate) stream_usage: bool,
}

impl ChatConfig {
    /// Starts from the defaults in the table above, for `model`.
    pub fn builder(model: impl Into<String>) -> ChatConfigBuilder {
        ChatConfigBuilder {
            model: model.into(),
            base_url: None,
            provider: "openai".to_owned(),
            key: KeySource::Env("OPENAI_API_KEY".to_owned()),
            base_url_env: Some("OPENAI_BASE_URL"),
            timeout: Duration::from_secs(60),
            headers: Vec::new(),
            max_tokens: None,
            name: "chat".to_owned(),
            root_certificates: None,
            stream_usage: true,
        }
    }

    /// OpenAI's API, with `OPENAI_API_KEY`.
    pub fn openai(model: impl Into<String>) -> ChatConfigBuilder {
        Self::builder(model)
    }

    /// Groq's OpenAI-compatible API, with `GROQ_API_KEY`.
    pub fn groq(model: impl Into<String>) -> ChatConfigBuilder {
        Self::builder(model)
            .preset("https://api.groq.com/openai/v1", "groq")
            .api_key_env("GROQ_API_KEY")
    }

    /// Mistral's API, with `MISTRAL_API_KEY`.
    pub fn mistral(model: impl Into<String>) -> ChatConfigBuilder {
        Self::builder(model)
            .preset("https://api.mistral.ai/v1", "mistral_ai")
            .api_key_env("MISTRAL_API_KEY")
    }

    /// A local Ollama server on its default port, with no key.
    pub fn ollama(model: impl Into<String>) -> ChatConfigBuilder {
        let mut builder = Self::builder(model).preset("http://localhost:11434/v1", "ollama");
        builder.key = KeySource::None;
        builder
    }

    /// The model asked for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The provider's OpenTelemetry name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether a key will be sent.
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }
}

impl fmt::Debug for ChatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("provider", &self.provider)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("max_tokens", &self.max_tokens)
            .field("name", &self.name)
            .field(
                "root_certificates",
                &self.root_certificates.as_ref().map(Vec::len),
            )
            .field("stream_usage", &self.stream_usage)
            .finish()
    }
}

enum KeySource {
    Env(String),
    Value(String),
    None,
}

/// Builds a [`ChatConfig`]; see its table of defaults.
#[must_use = "call `build()` to get the configuration"]
pub struct ChatConfigBuilder {
    model: String,
    base_url: Option<String>,
    base_url_env: Option<&'static str>,
    provider: String,
    key: KeySource,
    timeout: Duration,
    headers: Vec<(String, String)>,
    max_tokens: Option<u32>,
    name: String,
    root_certificates: Option<Vec<u8>>,
    stream_usage: bool,
}

impl ChatConfigBuilder {
    fn preset(mut self, base_url: &str, provider: &str) -> Self {
        self.base_url = Some(base_url.to_owned());
        self.base_url_env = None;
        self.provider = provider.to_owned();
        self
    }

    /// The API's base URL, such as `http://localhost:8000/v1` for vLLM.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The provider's OpenTelemetry name (`openai`, `groq`, `mistral_ai`,
    /// `together`, ...): the `gen_ai.provider.name` attribute and the
    /// provider the price table is searched under.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = provider.into();
        self
    }

    /// Uses this key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = KeySource::Value(key.into());
        self
    }

    /// Reads the key from this environment variable when building.
    pub fn api_key_env(mut self, variable: impl Into<String>) -> Self {
        self.key = KeySource::Env(variable.into());
        self
    }

    /// Sends no key, for local servers.
    pub fn no_api_key(mut self) -> Self {
        self.key = KeySource::None;
        self
    }

    /// How long one request may take; a run's deadline shortens it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a header to every request, such as an organisation or project id.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The default cap on generated tokens, for requests that set none.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// The primitive's name in metrics and logs.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Trusts only the certificate authorities in this PEM text, instead of
    /// the platform's: for a self-hosted server (vLLM, a LiteLLM proxy)
    /// behind a private CA.
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates = Some(pem.into());
        self
    }

    /// Whether streamed calls ask for a final usage chunk
    /// (`stream_options.include_usage`). Turn it off for a server that
    /// rejects the option; usage is then estimated, and marked so.
    pub fn stream_usage(mut self, ask: bool) -> Self {
        self.stream_usage = ask;
        self
    }

    /// Checks every setting.
    pub fn build(self) -> Result<ChatConfig, ConfigError> {
        let from_env = self
            .base_url_env
            .and_then(|variable| std::env::var(variable).ok())
            .filter(|url| !url.trim().is_empty());
        let base_url = self
            .base_url
            .or(from_env)
            .unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let rest = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"))
            .ok_or_else(|| {
                ConfigError::new(
                    "base_url",
                    format!("`{base_url}` must start with http:// or https://"),
                )
            })?;
        if rest.split('/').next().is_none_or(str::is_empty) {
            return Err(ConfigError::new(
                "base_url",
                format!("`{base_url}` has no host"),
            ));
        }
        if self.model.trim().is_empty() {
            return Err(ConfigError::new("model", "the model name is empty"));
        }
        if self.provider.trim().is_empty() {
            return Err(ConfigError::new("provider", "the provider name is empty"));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::new("timeout", "must be greater than zero"));
        }
        let api_key = match self.key {
            KeySource::Value(key) => Some(key),
            KeySource::Env(variable) => std::env::var(&variable).ok(),
            KeySource::None => None,
        }
        .filter(|key| !key.trim().is_empty());
        if let Some(key) = &api_key {
            HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                ConfigError::new("api_key", "holds characters a header cannot carry")
            })?;
        }
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConfigError::new("header", format!("`{name}` is not a valid header name"))
            })?;
            let value = HeaderValue::from_str(&value).map_err(|_| {
                ConfigError::new(
                    "header",
                    format!("the value of `{name}` is not a valid header value"),
                )
            })?;
            headers.insert(header, value);
        }
        let root_certificates = self
            .root_certificates
            .map(|pem| {
                let certificates = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|error| {
                        ConfigError::new("root_certificates_pem", error.to_string())
                    })?;
                if certificates.is_empty() {
                    return Err(ConfigError::new(
                        "root_certificates_pem",
                        "holds no `BEGIN CERTIFICATE` block",
                    ));
                }
                Ok(certificates)
            })
            .transpose()?;
        Ok(ChatConfig {
            root_certificates,
            base_url,
            model: self.model,
            provider: self.provider,
            api_key,
            timeout: self.timeout,
            headers,
            max_tokens: self.max_tokens,
            name: self.name,
            stream_usage: self.stream_usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_name_the_field() {
        let cases = [
            (ChatConfig::builder("m").base_url("ftp://x"), "base_url"),
            (ChatConfig::builder("m").base_url("http://"), "base_url"),
            (ChatConfig::builder(" ").base_url("http://x"), "model"),
            (
                ChatConfig::builder("m")
                    .base_url("http://x")
                    .timeout(Duration::ZERO),
                "timeout",
            ),
            (
                ChatConfig::builder("m")
                    .base_url("http://x")
                    .header("bad header", "v"),
                "header",
            ),
            (
                ChatConfig::builder("m")
                    .base_url("http://x")
                    .api_key("line\nbreak"),
                "api_key",
            ),
            (
                ChatConfig::builder("m").base_url("http://x").provider(""),
                "provider",
            ),
        ];
        for (builder, field) in cases {
            let error = builder.build().expect_err(field);
            assert_eq!(error.field(), field, "{error}");
        }
    }

    #[test]
    fn presets_point_at_their_provider() {
        let groq = ChatConfig::groq("llama-3.3-70b-versatile")
            .api_key("k")
            .build()
            .expect("valid");
        assert_eq!(groq.base_url(), "https://api.groq.com/openai/v1");
        assert_eq!(groq.provider(), "groq");
        let ollama = ChatConfig::ollama("llama3.2").build().expect("valid");
        assert!(!ollama.has_api_key());
        let trimmed = ChatConfig::builder("m")
            .base_url("http://h:1/v1/")
            .build()
            .expect("valid");
        assert_eq!(trimmed.base_url(), "http://h:1/v1");
    }
}
