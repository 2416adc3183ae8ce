//! The door every ChatKit request comes through, whatever its transport (IPC in the app,
//! loopback HTTP in `serve`): the client secret is checked, then the server answers.

use std::sync::Arc;

use crate::broker::client_secret::ClientSecrets;
use crate::chatkit::server::{ChatKitResponse, ChatKitServer};
use crate::error::{AppError, AppResult};

pub struct ChatKitGateway {
    server: ChatKitServer,
    secrets: Arc<ClientSecrets>,
}

impl ChatKitGateway {
    pub fn new(server: ChatKitServer, secrets: Arc<ClientSecrets>) -> Self {
        Self { server, secrets }
    }

    pub fn secrets(&self) -> &ClientSecrets {
        &self.secrets
    }

    pub async fn call(
        &self,
        client_secret: Option<&str>,
        body: &[u8],
    ) -> AppResult<ChatKitResponse> {
        self.secrets.verify(client_secret)?;
        let response = self.server.handle(body).await;
        if let Err(e) = &response {
            tracing::info!(code = ?e.code, "chatkit request refused: {}", e.message);
        }
        response
    }

    /// The upload step of an attachment (its bytes), behind the same client secret.
    pub fn upload(
        &self,
        client_secret: Option<&str>,
        attachment_id: &str,
        bytes: &[u8],
    ) -> AppResult<ChatKitResponse> {
        self.secrets.verify(client_secret)?;
        let response = self.server.upload(attachment_id, bytes);
        if let Err(e) = &response {
            tracing::info!(code = ?e.code, "attachment upload refused: {}", e.message);
        }
        response
    }
}

/// The JSON body of an error answer: `{"code": "...", "message": "..."}`.
pub fn error_body(err: &AppError) -> Vec<u8> {
    serde_json::to_vec(err).unwrap_or_else(|_| br#"{"code":"internal","message":"error"}"#.to_vec())
}

/// One server-sent-events frame, as chatkit-python writes it: no event or id lines.
pub fn sse_frame(event: &crate::chatkit::types::ThreadStreamEvent) -> Vec<u8> {
    let mut frame = b"data: ".to_vec();
    frame.extend(serde_json::to_vec(event).unwrap_or_default());
    frame.extend(b"\n\n");
    frame
}
