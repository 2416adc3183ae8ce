//! The model client: streaming `POST {base_url}/responses` (OpenAI's Responses API, or any
//! compatible server). Failures are sorted the way users meet them: a rejected key is not
//! retried; rate limits wait as long as the server asks; outages, timeouts and refused
//! connections are retried with backoff; nothing ever waits forever.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::agent::sse::SseDecoder;
use crate::broker::secret::SecretString;
use crate::chatkit::responder::RespondError;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct ModelConfig {
    /// e.g. `https://api.openai.com/v1`, without a trailing slash.
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub model: String,
}

impl std::fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("model", &self.model)
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
}

impl ModelFailure {
    pub fn code(&self) -> &'static str {
        match self {
            ModelFailure::InvalidKey(_) => "invalid_api_key",
            ModelFailure::RateLimited(_) => "rate_limited",
            ModelFailure::Unavailable(_) => "model_unavailable",
            ModelFailure::StreamBroken(_) => "model_stream_broken",
            ModelFailure::ModelError(_) => "model_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ModelFailure::InvalidKey(detail) => format!("The model service rejected the API key ({detail}). Check the key in Settings."),
            ModelFailure::RateLimited(detail) => format!("The model service is limiting requests right now ({detail}). Try again in a moment."),
            ModelFailure::Unavailable(detail) => format!("The model service could not be reached ({detail}). Check your connection and the base URL in Settings, then retry."),
            ModelFailure::StreamBroken(detail) => format!("The answer was cut off ({detail}). What arrived is kept; retry for a full answer."),
            ModelFailure::ModelError(detail) => format!("The model reported an error: {detail}"),
        }
    }

    pub fn into_respond_error(self) -> RespondError {
        let allow_retry = !matches!(self, ModelFailure::InvalidKey(_));
        RespondError::coded(self.code(), self.message(), allow_retry)
    }
}

/// One streamed model response: its events as JSON, in order.
pub struct ModelStream {
    response: reqwest::Response,
    decoder: SseDecoder,
    queue: VecDeque<String>,
    idle_timeout: Duration,
    ended: bool,
}

impl ModelStream {
    /// The next event, `None` at the end of the stream.
    pub async fn next_event(&mut self) -> Result<Option<Value>, ModelFailure> {
        loop {
            if let Some(data) = self.queue.pop_front() {
                if data.trim() == "[DONE]" {
                    continue;
                }
                return serde_json::from_str(&data).map(Some).map_err(|e| {
                    ModelFailure::StreamBroken(format!("the model sent malformed data: {e}"))
                });
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
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string));
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
        body: &Value,
    ) -> Result<(Value, ModelStream), ModelFailure> {
        let url = format!("{}/responses", config.base_url.trim_end_matches('/'));
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
    ) -> Result<(Value, ModelStream), (ModelFailure, Option<Duration>)> {
        let mut request = self
            .http
            .post(url)
            .json(body)
            .header("accept", "text/event-stream");
        if let Some(key) = &config.api_key {
            request = request.bearer_auth(key.expose());
        }
        let idle = self.policy.idle_timeout;
        let response = match tokio::time::timeout(idle, request.send()).await {
            Err(_) => {
                return Err((
                    ModelFailure::Unavailable(format!("no answer within {} s", idle.as_secs())),
                    None,
                ))
            }
            Ok(Err(e)) => {
                return Err((
                    ModelFailure::Unavailable(crate::broker::http::describe(e)),
                    None,
                ))
            }
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
            let detail = error_detail(status, &body);
            let failure = match status.as_u16() {
                401 | 403 => ModelFailure::InvalidKey(detail),
                429 => ModelFailure::RateLimited(detail),
                408 | 500..=599 => ModelFailure::Unavailable(detail),
                _ => ModelFailure::ModelError(detail),
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
        match stream.next_event().await {
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
