//! Which models the connection offers (`GET {base_url}/models`, as OpenAI and compatible
//! servers answer it), for the composer's model picker, and which one a thread uses: the
//! one picked for it (kept in the thread's metadata), else the connection's.

use serde::Serialize;
use serde_json::Value;

use crate::agent::client::{ModelClient, ModelConfig, RetryPolicy};
use crate::chatkit::types::{InferenceOptions, ThreadMetadata};
use crate::error::AppResult;

/// Where a thread's picked model is kept in its metadata.
pub const THREAD_MODEL_KEY: &str = "model";

/// What the picker offers: the connection's models, and the one used when none is picked.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ModelChoices {
    pub models: Vec<String>,
    pub default: String,
}

/// The connection's models (the one `GET /models` Settings' Test connection uses, with each
/// provider's auth and coded failures); the configured one is always among them.
pub async fn list_models(config: &ModelConfig) -> AppResult<ModelChoices> {
    let mut models = ModelClient::new(RetryPolicy::from_env())?
        .list_models(config)
        .await?;
    if !models.contains(&config.model) {
        models.insert(0, config.model.clone());
    }
    Ok(ModelChoices {
        models,
        default: config.model.clone(),
    })
}

/// The model a turn uses: the message's pick, else the thread's, else the connection's.
pub fn model_for_turn(
    configured: &str,
    thread: &ThreadMetadata,
    options: Option<&InferenceOptions>,
) -> String {
    options
        .and_then(|o| o.model.clone())
        .filter(|m| !m.trim().is_empty())
        .or_else(|| {
            thread
                .metadata
                .get(THREAD_MODEL_KEY)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| configured.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatkit::types::{now, ThreadStatus};

    #[test]
    fn a_turn_uses_the_message_pick_then_the_thread_pick_then_the_connection() {
        let mut thread = ThreadMetadata {
            title: None,
            id: "thr_1".into(),
            created_at: now(),
            status: ThreadStatus::Active,
            allowed_image_domains: None,
            metadata: Default::default(),
        };
        assert_eq!(model_for_turn("gpt-5-mini", &thread, None), "gpt-5-mini");
        thread
            .metadata
            .insert(THREAD_MODEL_KEY.into(), "gpt-4.1".into());
        assert_eq!(model_for_turn("gpt-5-mini", &thread, None), "gpt-4.1");
        let picked = InferenceOptions {
            tool_choice: None,
            model: Some("o4-mini".into()),
        };
        assert_eq!(
            model_for_turn("gpt-5-mini", &thread, Some(&picked)),
            "o4-mini"
        );
    }

    #[tokio::test]
    async fn the_list_is_asked_with_the_key_and_keeps_the_configured_model() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4096];
            let n = socket.read(&mut request).await.unwrap();
            let body = r#"{"object":"list","data":[{"id":"llama3.2","object":"model","created":1,"owned_by":"library"},{"id":"qwen3","object":"model","created":1,"owned_by":"library"}]}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&request[..n]).to_string()
        });
        let config = ModelConfig {
            base_url: format!("http://127.0.0.1:{port}/v1/"),
            api_key: Some(crate::broker::secret::SecretString::new("sk-test-models")),
            model: "gpt-5-mini".into(),
            api_style: Default::default(),
        };
        let choices = list_models(&config).await.unwrap();
        assert_eq!(choices.models, ["gpt-5-mini", "llama3.2", "qwen3"]);
        assert_eq!(choices.default, "gpt-5-mini");
        let request = server.await.unwrap().to_lowercase();
        assert!(request.starts_with("get /v1/models "), "{request}");
        assert!(
            request.contains("authorization: bearer sk-test-models"),
            "{request}"
        );
    }
}
