//! One HTTP exchange with a service the broker talks to (a backend, OpenAI), retried the
//! way users expect: rate limits wait as long as asked, server errors and dead networks
//! back off and try again, everything else answers at once.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

pub const ATTEMPTS: u32 = 3;

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// The backoff base; `TODO_ASSISTANT_RETRY_BASE_MS` shortens it in tests.
pub fn backoff_base() -> Duration {
    std::env::var("TODO_ASSISTANT_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_millis(500))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("todo-assistant/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends `make()` until it gets an answer worth keeping. `Err` is a network failure after
/// every attempt; a 429 or 5xx still failing after the last attempt comes back as `Ok`.
pub async fn send_with_retry(make: impl Fn() -> reqwest::RequestBuilder) -> Result<Answer, String> {
    let base = backoff_base();
    let mut last_network = String::new();
    for attempt in 1..=ATTEMPTS {
        let mut wait = base * 2u32.pow(attempt - 1);
        match make().send().await {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.text().await.unwrap_or_default();
                let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                if !retryable || attempt == ATTEMPTS {
                    return Ok(Answer {
                        status,
                        headers,
                        body,
                    });
                }
                if let Some(asked) = retry_after(&headers) {
                    wait = asked.min(Duration::from_secs(20));
                }
            }
            Err(e) => last_network = describe(e),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
        }
    }
    Err(last_network)
}

/// How long a `Retry-After: <seconds>` header asks to wait.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()?;
    Some(Duration::from_secs_f64(seconds.max(0.0)))
}

/// A network error with its causes ("error sending request: … Connection refused"), without
/// the URL (which may carry a user id).
pub fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The `error.message` of an OpenAI-style error body, or the body itself, shortened.
pub fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v["error"]["message"]
            .as_str()
            .or(v["message"].as_str())
            .or(v["detail"].as_str())
            .map(str::to_string)
    });
    message.unwrap_or_else(|| body.chars().take(200).collect())
}
