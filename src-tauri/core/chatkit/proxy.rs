//! Chat through a backend's own ChatKit endpoint: the webview's requests go out with the
//! backend token added (the webview never sees it), and a streamed answer is relayed event
//! by event as it arrives, never buffered whole.

use tokio::sync::mpsc;

use crate::agent::sse::SseDecoder;
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};

pub enum ProxyAnswer {
    Json {
        status: u16,
        body: String,
    },
    /// Each item is one event's JSON, in order; the channel closes when the stream ends.
    Stream(mpsc::Receiver<String>),
}

pub struct BackendChatKit {
    http: reqwest::Client,
}

impl Default for BackendChatKit {
    fn default() -> Self {
        Self::new()
    }
}

impl BackendChatKit {
    pub fn new() -> Self {
        // No overall timeout: a chat answer streams for as long as it takes.
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { http }
    }

    pub async fn forward(
        &self,
        url: &str,
        token: &SecretString,
        body: String,
    ) -> AppResult<ProxyAnswer> {
        let mut response = self
            .http
            .post(url)
            .bearer_auth(token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                AppError::new(
                    ErrorCode::BackendUnreachable,
                    format!(
                        "The backend's chat cannot be reached ({}).",
                        crate::broker::http::describe(e)
                    ),
                )
            })?;
        let status = response.status().as_u16();
        match status {
            401 => {
                return Err(AppError::new(
                    ErrorCode::SignInRequired,
                    "The backend asked to sign in again.",
                ))
            }
            403 => {
                return Err(AppError::new(
                    ErrorCode::Forbidden,
                    "The backend refused chat for this account.",
                ))
            }
            _ => {}
        }
        let streaming = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !streaming {
            let body = response.text().await.unwrap_or_default();
            return Ok(ProxyAnswer::Json { status, body });
        }
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            let mut decoder = SseDecoder::default();
            loop {
                let chunk = tokio::select! {
                    chunk = response.chunk() => chunk,
                    // The client went away: dropping the response closes the connection.
                    _ = tx.closed() => return,
                };
                match chunk {
                    Ok(Some(bytes)) => {
                        for event in decoder.feed(&bytes) {
                            if tx.send(event).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        if let Some(event) = decoder.finish() {
                            let _ = tx.send(event).await;
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!("backend chat stream broke: {e}");
                        let error = serde_json::json!({"type": "error", "code": "stream.error", "allow_retry": true});
                        let _ = tx.send(error.to_string()).await;
                        return;
                    }
                }
            }
        });
        Ok(ProxyAnswer::Stream(rx))
    }
}
