//! Legacy hosted workflows (Agent Builder, ended by OpenAI on 2026-11-30): the broker mints
//! ChatKit sessions with the user's key and cancels them on sign-out or switch.

use serde::Serialize;
use serde_json::{json, Value};

use crate::broker::http::{self, Answer};
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};

pub const HOSTED_WORKFLOWS_END: &str = "2026-11-30";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct HostedSession {
    pub session_id: String,
    pub client_secret: String,
    pub expires_at: i64,
}

/// Words with which a refusal says the hosted product is gone.
const ENDED_WORDS: [&str; 9] = [
    "deprecat",
    "sunset",
    "no longer",
    "shut down",
    "shutdown",
    "ended",
    "discontinu",
    "retired",
    "agent builder",
];

/// Whether a 4xx refusal names the workflow or the product's end: after 2026-11-30 that is
/// how OpenAI turns a hosted workflow away, and Local is the way on.
fn names_workflow_or_its_end(detail: &str, workflow_id: &str) -> bool {
    let lower = detail.to_lowercase();
    lower.contains("workflow")
        || (!workflow_id.is_empty() && detail.contains(workflow_id))
        || ENDED_WORDS.iter().any(|word| lower.contains(word))
}

fn refusal(answer: &Answer, workflow_id: &str) -> AppError {
    let detail = http::error_message(&answer.body);
    let status = answer.status.as_u16();
    if (400..500).contains(&status)
        && !matches!(status, 401 | 429)
        && names_workflow_or_its_end(&detail, workflow_id)
    {
        return AppError::new(
            ErrorCode::HostedWorkflowEnded,
            format!(
                "OpenAI no longer serves the hosted workflow {workflow_id} (HTTP {status}: {detail}). Hosted Agent Builder workflows ended on {HOSTED_WORKFLOWS_END}; switch to Local to keep chatting with the same key and your tasks."
            ),
        );
    }
    match status {
        401 => AppError::new(ErrorCode::InvalidApiKey, format!("OpenAI did not accept the API key ({detail}). Check the key in Settings.")),
        403 => AppError::new(ErrorCode::Forbidden, format!("OpenAI refused this key access to hosted ChatKit ({detail}).")),
        404 => AppError::new(ErrorCode::WorkflowNotFound, format!("The key's OpenAI project has no workflow {workflow_id} ({detail}). Check the workflow ID, or that the key belongs to the project that owns it.")),
        429 => AppError::new(ErrorCode::RateLimited, format!("OpenAI is limiting requests; try again in a moment ({detail}).")),
        500..=599 => AppError::new(ErrorCode::OpenaiUnavailable, format!("OpenAI failed to start a session after retries (HTTP {status}).")),
        other => AppError::new(ErrorCode::BackendError, format!("OpenAI answered HTTP {other}: {detail}")),
    }
}

fn unreachable(detail: String) -> AppError {
    AppError::new(
        ErrorCode::OpenaiUnavailable,
        format!("OpenAI cannot be reached ({detail}). Check your connection."),
    )
}

pub struct HostedSessions {
    http: reqwest::Client,
    /// e.g. `https://api.openai.com/v1`
    base_url: String,
}

impl HostedSessions {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            http: http::client(),
            base_url: base_url.into().trim_end_matches('/').to_string(),
        }
    }

    fn request(&self, key: &SecretString, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(key.expose())
            .header("OpenAI-Beta", "chatkit_beta=v1")
    }

    /// `POST /chatkit/sessions` for `workflow_id`, as the stable per-install `user`.
    pub async fn start(
        &self,
        key: &SecretString,
        user: &str,
        workflow_id: &str,
    ) -> AppResult<HostedSession> {
        let body = json!({"user": user, "workflow": {"id": workflow_id}});
        let answer = http::send_with_retry(|| self.request(key, "/chatkit/sessions").json(&body))
            .await
            .map_err(unreachable)?;
        if !answer.status.is_success() {
            return Err(refusal(&answer, workflow_id));
        }
        let value: Value = serde_json::from_str(&answer.body).map_err(|e| {
            AppError::new(
                ErrorCode::BackendError,
                format!("OpenAI's session answer is not JSON: {e}"),
            )
        })?;
        let session_id = value["id"].as_str().unwrap_or_default().to_string();
        let client_secret = value["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let expires_at = value["expires_at"].as_i64().unwrap_or_default();
        if session_id.is_empty() || client_secret.is_empty() {
            return Err(AppError::new(
                ErrorCode::BackendError,
                "OpenAI's session answer has no id or client secret.",
            ));
        }
        Ok(HostedSession {
            session_id,
            client_secret,
            expires_at,
        })
    }

    /// `POST /chatkit/sessions/{id}/cancel`: revokes the session's client secret.
    pub async fn cancel(&self, key: &SecretString, session_id: &str) -> AppResult<()> {
        let path = format!("/chatkit/sessions/{session_id}/cancel");
        let answer = http::send_with_retry(|| self.request(key, &path).json(&json!({})))
            .await
            .map_err(unreachable)?;
        match answer.status.as_u16() {
            200..=299 => Ok(()),
            404 => Err(AppError::new(
                ErrorCode::NotFound,
                format!("OpenAI has no ChatKit session {session_id}; it may have ended already."),
            )),
            _ => Err(refusal(&answer, "")),
        }
    }
}

/// The stable per-install id OpenAI sessions are created for (`user`), kept in the data
/// folder's `install.json`.
pub fn install_id(docs: &dyn crate::storage::documents::DocumentStore) -> AppResult<String> {
    if let Some(doc) = docs.read("install")? {
        if let Some(id) = doc.get("install_id").and_then(Value::as_str) {
            return Ok(id.to_string());
        }
    }
    let id = format!("install_{}", uuid::Uuid::new_v4().simple());
    let mut doc = serde_json::Map::new();
    doc.insert("install_id".into(), id.clone().into());
    docs.write("install", &doc)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, message: &str) -> Answer {
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: json!({"error": {"message": message, "type": "invalid_request_error"}})
                .to_string(),
        }
    }

    #[test]
    fn a_refusal_naming_the_workflow_or_the_products_end_is_hosted_workflow_ended() {
        for (status, message) in [
            (404, "Workflow with id 'wf_1' not found."),
            (400, "Agent Builder workflows have been deprecated."),
            (410, "ChatKit hosted sessions are no longer available."),
            (403, "Access to wf_1 was retired."),
        ] {
            let err = refusal(&answer(status, message), "wf_1");
            assert_eq!(
                err.code,
                ErrorCode::HostedWorkflowEnded,
                "{status} {message}"
            );
            assert!(err.message.contains("switch to Local"), "{}", err.message);
        }
        let key = refusal(
            &answer(401, "Incorrect API key provided for workflow"),
            "wf_1",
        );
        assert_eq!(key.code, ErrorCode::InvalidApiKey);
        let limited = refusal(&answer(429, "Too many workflow sessions"), "wf_1");
        assert_eq!(limited.code, ErrorCode::RateLimited);
        let other = refusal(&answer(403, "Project is over its quota."), "wf_1");
        assert_eq!(other.code, ErrorCode::Forbidden);
    }
}
