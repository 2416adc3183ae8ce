//! The model client: streaming `POST {base_url}/{path}` for either wire API (`wire/`), on
//! OpenAI or any compatible server. Failures are sorted the way users meet them: a rejected
//! key, an unknown model, a model without tools and a missing endpoint are not retried; rate
//! limits wait as long as the server asks; outages and timeouts are retried with backoff; a
//! server on this computer that is not running is said so at once; nothing waits forever.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::agent::sse::SseDecoder;
use crate::agent::wire::WireApi;
use crate::broker::connection::{is_loopback_url, ApiStyle};
use crate::broker::secret::SecretString;
use crate::chatkit::responder::RespondError;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct ModelConfig {
    /// e.g. `https://api.openai.com/v1`, without a trailing slash (it may carry a query, as
    /// Azure's `?api-version=`).
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub api_style: ApiStyle,
}

impl std::fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("model", &self.model)
            .field("api_style", &self.api_style)
            .finish()
    }
}
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub connect_timeout: Duration,
    /// Longest silence accepted from the model, before headers and between events.
    pub idle_timeout: Duration,
    pub attempts: u32,
    pub backoff_base: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            attempts: 3,
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The defaults, with `TODO_ASSISTANT_MODEL_IDLE_TIMEOUT_SECS` and
    /// `TODO_ASSISTANT_RETRY_BASE_MS` honoured (tests shorten them).
    pub fn from_env() -> Self {
        let mut policy = Self::default();
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(secs) = number("TODO_ASSISTANT_MODEL_IDLE_TIMEOUT_SECS") {
            policy.idle_timeout = Duration::from_secs(secs.max(1));
        }
        if let Some(ms) = number("TODO_ASSISTANT_RETRY_BASE_MS") {
            policy.backoff_base = Duration::from_millis(ms);
        }
        policy
    }
}

/// How a model call failed, with the stable code the UI sees.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelFailure {
    InvalidKey(String),
    RateLimited(String),
    Unavailable(String),
    StreamBroken(String),
    ModelError(String),
    /// The server has no model by the configured name.
    ModelNotFound(String),
    /// Nothing listens at a loopback base URL (the URL).
    ServerNotRunning(String),
    /// The model cannot call tools.
    NoTools(String),
    /// The server has no such endpoint (404 or 405 for the path itself).
    ApiMissing(String),
}

impl ModelFailure {
    pub fn code(&self) -> &'static str {
        match self {
            ModelFailure::InvalidKey(_) => "invalid_api_key",
            ModelFailure::RateLimited(_) => "rate_limited",
            ModelFailure::Unavailable(_) => "model_unavailable",
            ModelFailure::StreamBroken(_) => "model_stream_broken",
            ModelFailure::ModelError(_) => "model_error",
            ModelFailure::ModelNotFound(_) => "model_not_found",
            ModelFailure::ServerNotRunning(_) => "model_server_not_running",
            ModelFailure::NoTools(_) => "model_no_tools",
            ModelFailure::ApiMissing(_) => "model_api_not_found",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ModelFailure::InvalidKey(detail) => format!("The model service rejected the API key ({detail}). Check the key in Settings."),
            ModelFailure::RateLimited(detail) => format!("The model service is limiting requests right now ({detail}). Try again in a moment."),
            ModelFailure::Unavailable(detail) => format!("The model service could not be reached ({detail}). Check your connection and the base URL in Settings, then retry."),
            ModelFailure::StreamBroken(detail) => format!("The answer was cut off ({detail}). What arrived is kept; retry for a full answer."),
            ModelFailure::ModelError(detail) => format!("The model reported an error: {detail}"),
            ModelFailure::ModelNotFound(detail) => format!("The model server does not have the model set in Settings ({detail}). Open Settings, press Test connection and pick one of the server's models (with Ollama, `ollama pull` it first)."),
            ModelFailure::ServerNotRunning(url) => format!("Nothing is answering at {url}. Start your model server (open Ollama, or start the local server in LM Studio) or change the base URL in Settings, then retry."),
            ModelFailure::NoTools(detail) => format!("This model cannot call tools, which the assistant needs to manage your tasks ({detail}). Open Settings and choose a model that supports tool calling (with Ollama, for example llama3.1 or qwen2.5)."),
            ModelFailure::ApiMissing(detail) => format!("The model server has no such endpoint ({detail}). Check the base URL in Settings (OpenAI-compatible servers usually end in /v1) and the API style (Automatic finds the one the server speaks)."),
        }
    }

    pub fn into_respond_error(self) -> RespondError {
        // Retrying cannot help until Settings change (or, for a stopped server, it starts).
        let allow_retry = !matches!(
            self,
            ModelFailure::InvalidKey(_)
                | ModelFailure::ModelNotFound(_)
                | ModelFailure::NoTools(_)
                | ModelFailure::ApiMissing(_)
        );
        RespondError::coded(self.code(), self.message(), allow_retry)
    }
}

/// A failure the server explained in words (an error body, or an error in the stream): an
/// unknown model and a model without tools are worded the same way by most servers.
pub fn classify_error_message(message: &str) -> ModelFailure {
    let lower = message.to_ascii_lowercase();
    let no_tools = [
        "does not support tools",
        "does not support tool",
        "tools are not supported",
        "tool use is not supported",
        "tool calling is not supported",
        "does not support function calling",
        "enable-auto-tool-choice",
    ];
    if no_tools.iter().any(|p| lower.contains(p)) {
        return ModelFailure::NoTools(message.to_string());
    }
    let not_found = [
        "not found",
        "does not exist",
        "no such model",
        "unknown model",
        "try pulling",
    ];
    if lower.contains("model") && not_found.iter().any(|p| lower.contains(p)) {
        return ModelFailure::ModelNotFound(message.to_string());
    }
    ModelFailure::ModelError(message.to_string())
}

/// What an HTTP error answer means.
fn classify_http(status: StatusCode, body: &str) -> ModelFailure {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
    let detail = error_detail(status, body);
    match status.as_u16() {
        401 | 403 => return ModelFailure::InvalidKey(detail),
        429 => return ModelFailure::RateLimited(detail),
        _ => {}
    }
    if code.as_deref() == Some("model_not_found") {
        return ModelFailure::ModelNotFound(detail);
    }
    match (status.as_u16(), classify_error_message(&detail)) {
        (_, named @ (ModelFailure::NoTools(_) | ModelFailure::ModelNotFound(_))) => named,
        (404 | 405, _) => ModelFailure::ApiMissing(detail),
        (408 | 500..=599, _) => ModelFailure::Unavailable(detail),
        (_, other) => other,
    }
}

/// `{base_url}/{path}`, keeping a query the base URL carries (Azure's `api-version`).
pub fn endpoint(base_url: &str, path: &str) -> String {
    match url::Url::parse(base_url) {
        Ok(mut url) => {
            let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
            url.set_path(&joined);
            url.to_string()
        }
        Err(_) => format!("{}/{path}", base_url.trim_end_matches('/')),
    }
}

/// The path of an endpoint URL, for messages (never its query, which may carry a version).
fn endpoint_path(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| url.to_string())
}

/// Azure OpenAI takes its keys in an `api-key` header, as the openai package's
/// `AzureOpenAI` client sends them.
fn is_azure(base_url: &str) -> bool {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    [
        ".openai.azure.com",
        ".cognitiveservices.azure.com",
        ".services.ai.azure.com",
    ]
    .iter()
    .any(|suffix| host.ends_with(suffix))
}

/// The key on a request, the way the server expects it.
pub fn authorized(
    request: reqwest::RequestBuilder,
    config_base_url: &str,
    key: Option<&SecretString>,
) -> reqwest::RequestBuilder {
    match key {
        Some(key) if is_azure(config_base_url) => request.header("api-key", key.expose()),
        Some(key) => request.bearer_auth(key.expose()),
        None => request,
    }
}

/// A request that never reached the server: a stopped server on this computer is named.
fn unreachable(config: &ModelConfig, err: reqwest::Error) -> ModelFailure {
    if err.is_connect() && is_loopback_url(&config.base_url) {
        return ModelFailure::ServerNotRunning(config.base_url.clone());
    }
    ModelFailure::Unavailable(crate::broker::http::describe(err))
}

/// One streamed model response: its `data:` payloads, in order.
pub struct ModelStream {
    response: reqwest::Response,
    decoder: SseDecoder,
    queue: VecDeque<String>,
    idle_timeout: Duration,
    ended: bool,
}

impl ModelStream {
    /// The next payload, `None` at the end of the stream.
    pub async fn next_data(&mut self) -> Result<Option<String>, ModelFailure> {
        loop {
            if let Some(data) = self.queue.pop_front() {
                return Ok(Some(data));
            }
            if self.ended {
                return Ok(None);
            }
            match tokio::time::timeout(self.idle_timeout, self.response.chunk()).await {
                Err(_) => {
                    return Err(ModelFailure::StreamBroken(format!(
                        "the model sent nothing for {} s",
                        self.idle_timeout.as_secs()
                    )))
                }
                Ok(Err(e)) => {
                    return Err(ModelFailure::StreamBroken(format!(
                        "the connection broke: {e}"
                    )))
                }
                Ok(Ok(Some(bytes))) => self.queue.extend(self.decoder.feed(&bytes)),
                Ok(Ok(None)) => {
                    self.ended = true;
                    self.queue.extend(self.decoder.finish());
                }
            }
        }
    }
}

pub struct ModelClient {
    http: reqwest::Client,
    policy: RetryPolicy,
}

fn error_detail(status: StatusCode, body: &str) -> String {
    let message = match serde_json::from_str::<Value>(body) {
        Ok(v) => v["error"]["message"]
            .as_str()
            .or(v["error"].as_str())
            .or(v["detail"].as_str())
            .or(v["message"].as_str())
            .map(str::to_string),
        // A short plain-text answer ("404 page not found"), never an HTML page.
        Err(_) => Some(body.trim())
            .filter(|b| !b.is_empty() && b.len() <= 120 && !b.contains('<'))
            .map(str::to_string),
    };
    match message {
        Some(message) => format!("HTTP {}: {message}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

impl ModelClient {
    pub fn new(policy: RetryPolicy) -> AppResult<Self> {
        // reqwest honours HTTP(S)_PROXY / NO_PROXY from the environment by default.
        let http = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .user_agent(concat!("todo-assistant/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AppError::internal(format!("no HTTP client: {e}")))?;
        Ok(Self { http, policy })
    }

    /// Starts a streamed response and waits for its first event, retrying what is worth
    /// retrying. Returns that event and the rest of the stream.
    pub async fn stream(
        &self,
        config: &ModelConfig,
        api: WireApi,
        body: &Value,
    ) -> Result<(String, ModelStream), ModelFailure> {
        let url = endpoint(&config.base_url, api.path());
        let mut last = ModelFailure::Unavailable("no attempt was made".into());
        for attempt in 1..=self.policy.attempts {
            let mut wait = self.policy.backoff_base * 2u32.pow(attempt - 1);
            match self.attempt(config, &url, body).await {
                Ok(started) => return Ok(started),
                Err((failure, asked_wait)) => {
                    tracing::warn!(
                        attempt,
                        code = failure.code(),
                        "model call failed: {}",
                        failure.message()
                    );
                    let retryable = matches!(
                        failure,
                        ModelFailure::RateLimited(_) | ModelFailure::Unavailable(_)
                    );
                    last = failure;
                    if !retryable {
                        break;
                    }
                    if let Some(asked) = asked_wait {
                        wait = asked.min(self.policy.max_retry_after);
                    }
                }
            }
            if attempt < self.policy.attempts {
                tokio::time::sleep(wait).await;
            }
        }
        Err(last)
    }

    async fn attempt(
        &self,
        config: &ModelConfig,
        url: &str,
        body: &Value,
    ) -> Result<(String, ModelStream), (ModelFailure, Option<Duration>)> {
        let request = self
            .http
            .post(url)
            .json(body)
            .header("accept", "text/event-stream");
        let request = authorized(request, &config.base_url, config.api_key.as_ref());
        let idle = self.policy.idle_timeout;
        let response = match tokio::time::timeout(idle, request.send()).await {
            Err(_) => {
                return Err((
                    ModelFailure::Unavailable(format!("no answer within {} s", idle.as_secs())),
                    None,
                ))
            }
            Ok(Err(e)) => return Err((unreachable(config, e), None)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            let asked_wait = crate::broker::http::retry_after(response.headers());
            let body = tokio::time::timeout(idle, response.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            let failure = match classify_http(status, &body) {
                // Which endpoint was missing is what tells a wrong URL from a wrong style.
                ModelFailure::ApiMissing(detail) => {
                    ModelFailure::ApiMissing(format!("{}: {detail}", endpoint_path(url)))
                }
                other => other,
            };
            return Err((failure, asked_wait));
        }
        let mut stream = ModelStream {
            response,
            decoder: SseDecoder::default(),
            queue: VecDeque::new(),
            idle_timeout: idle,
            ended: false,
        };
        // A stream that dies before its first event produced nothing: safe to retry.
        match stream.next_data().await {
            Ok(Some(first)) => Ok((first, stream)),
            Ok(None) => Err((
                ModelFailure::Unavailable("the model closed the stream at once".into()),
                None,
            )),
            Err(ModelFailure::StreamBroken(detail)) => {
                Err((ModelFailure::Unavailable(detail), None))
            }
            Err(other) => Err((other, None)),
        }
    }
}

impl ModelClient {
    /// `GET {base_url}/models`: the model ids the server offers, sorted, for Settings' "Test
    /// connection" (which checks the URL and the key on the way).
    pub async fn list_models(&self, config: &ModelConfig) -> AppResult<Vec<String>> {
        use crate::error::ErrorCode;
        let request = self
            .http
            .get(endpoint(&config.base_url, "models"))
            .timeout(self.policy.idle_timeout.min(Duration::from_secs(20)));
        let response = authorized(request, &config.base_url, config.api_key.as_ref())
            .send()
            .await
            .map_err(|e| match unreachable(config, e) {
                failure @ ModelFailure::ServerNotRunning(_) => {
                    AppError::new(ErrorCode::ModelServerNotRunning, failure.message())
                }
                failure => AppError::new(ErrorCode::OpenaiUnavailable, failure.message()),
            })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let failure = classify_http(status, &body);
            let code = match failure {
                ModelFailure::InvalidKey(_) => ErrorCode::InvalidApiKey,
                ModelFailure::RateLimited(_) => ErrorCode::RateLimited,
                ModelFailure::Unavailable(_) => ErrorCode::OpenaiUnavailable,
                _ => ErrorCode::InvalidInput,
            };
            let message = match failure {
                ModelFailure::ApiMissing(detail) => format!(
                    "The server answered but has no model list at /models ({detail}). Check the base URL: OpenAI-compatible servers usually end in /v1."
                ),
                other => other.message(),
            };
            return Err(AppError::new(code, message));
        }
        let listed: Value = serde_json::from_str(&body).map_err(|_| {
            AppError::invalid_input(
                "The server's /models answer is not an OpenAI-style model list. Check the base URL.",
            )
        })?;
        let data = listed["data"].as_array().or(listed["models"].as_array());
        let Some(data) = data else {
            return Err(AppError::invalid_input(
                "The server's /models answer is not an OpenAI-style model list. Check the base URL.",
            ));
        };
        let mut ids: Vec<String> = data
            .iter()
            .filter_map(|m| m["id"].as_str().or(m.as_str()).map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path_and_query() {
        assert_eq!(
            endpoint("http://localhost:11434/v1", "chat/completions"),
            "http://localhost:11434/v1/chat/completions"
        );
        assert_eq!(
            endpoint(
                "https://res.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21",
                "chat/completions"
            ),
            "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            endpoint("https://openrouter.ai/api/v1/", "models"),
            "https://openrouter.ai/api/v1/models"
        );
        assert!(is_azure("https://res.openai.azure.com/openai/v1"));
        assert!(!is_azure("https://azure.com.example.org/v1"));
    }

    #[test]
    fn azure_takes_the_key_as_api_key_and_everyone_else_as_bearer() {
        let http = reqwest::Client::new();
        let key = SecretString::new("k-123");
        let azure = "https://contoso.openai.azure.com/openai/v1";
        let sent = authorized(http.post(endpoint(azure, "responses")), azure, Some(&key))
            .build()
            .unwrap();
        assert_eq!(sent.headers()["api-key"], "k-123");
        assert!(sent.headers().get("authorization").is_none());
        let router = "https://openrouter.ai/api/v1";
        let sent = authorized(http.get(endpoint(router, "models")), router, Some(&key))
            .build()
            .unwrap();
        assert_eq!(sent.headers()["authorization"], "Bearer k-123");
        let ollama = "http://localhost:11434/v1";
        let sent = authorized(http.get(endpoint(ollama, "models")), ollama, None)
            .build()
            .unwrap();
        assert!(sent.headers().is_empty());
    }

    #[test]
    fn error_answers_get_the_code_that_names_the_fix() {
        let code = |status: u16, body: &str| {
            classify_http(StatusCode::from_u16(status).unwrap(), body).code()
        };
        // OpenAI: an unknown model is 404 with code model_not_found.
        assert_eq!(
            code(
                404,
                r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#
            ),
            "model_not_found"
        );
        // Ollama: 404 with a sentence, no code.
        assert_eq!(
            code(
                404,
                r#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#
            ),
            "model_not_found"
        );
        // Ollama: a model without tool support.
        assert_eq!(
            code(
                400,
                r#"{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error","param":null,"code":null}}"#
            ),
            "model_no_tools"
        );
        // A path the server does not serve.
        assert_eq!(code(404, "404 page not found"), "model_api_not_found");
        assert_eq!(
            code(405, r#"{"detail":"Method Not Allowed"}"#),
            "model_api_not_found"
        );
        assert_eq!(code(401, "{}"), "invalid_api_key");
        assert_eq!(code(503, "{}"), "model_unavailable");
        assert_eq!(
            code(400, r#"{"error":{"message":"Invalid 'input'."}}"#),
            "model_error"
        );
    }
}
