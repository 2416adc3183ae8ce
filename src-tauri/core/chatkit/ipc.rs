//! The app's transport: ChatKit's `api.fetch` in the webview sends each request over Tauri
//! IPC, and a streaming answer comes back as chunks on an IPC channel, which the webview
//! turns into the body of a `Response`. Aborting that fetch cancels the stream here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::chatkit::gateway::{error_body, ChatKitGateway};
use crate::chatkit::server::ChatKitResponse;
use crate::chatkit::store::new_id;

/// The URL ChatKit is given in the app: requests never leave it (`api.fetch` carries them
/// over IPC), so it names nothing that could be reached. Upload URLs live under it.
pub const IPC_CHATKIT_URL: &str = "https://todo-assistant.invalid/chatkit";

/// Where the webview is told to `PUT` an attachment's bytes; its IPC fetch sends them to
/// `chatkit_upload` instead.
pub fn ipc_upload_url(attachment_id: &str) -> String {
    format!(
        "https://todo-assistant.invalid{}",
        crate::chatkit::http::upload_path(attachment_id)
    )
}

/// One piece of a streamed answer: a serialized protocol event, or the end.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatKitChunk {
    Event { data: String },
    End,
}

/// What `fetch` resolves with: an HTTP-like status and either a JSON body or a stream id.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ChatKitReply {
    pub status: u16,
    pub content_type: String,
    /// The JSON body, for JSON answers and errors.
    pub body: Option<String>,
    /// For streamed answers: pass it to `chatkit_cancel` to stop the stream.
    pub stream_id: Option<String>,
}

#[derive(Default)]
pub struct IpcStreams {
    cancels: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl IpcStreams {
    /// Answers one request. Streamed events go to `emit` (in order) until the stream ends,
    /// `emit` returns false (the webview went away), or the stream is cancelled.
    pub async fn fetch(
        self: &Arc<Self>,
        gateway: &ChatKitGateway,
        client_secret: Option<&str>,
        body: &str,
        emit: impl Fn(ChatKitChunk) -> bool + Send + 'static,
    ) -> ChatKitReply {
        match gateway.call(client_secret, body.as_bytes()).await {
            Ok(ChatKitResponse::Json(json)) => ChatKitReply {
                status: 200,
                content_type: "application/json".into(),
                body: Some(String::from_utf8_lossy(&json).into_owned()),
                stream_id: None,
            },
            Err(err) => ChatKitReply {
                status: err.http_status(),
                content_type: "application/json".into(),
                body: Some(String::from_utf8_lossy(&error_body(&err)).into_owned()),
                stream_id: None,
            },
            Ok(ChatKitResponse::Stream(mut events)) => {
                // Serialize protocol events into the same relay a backend's stream uses.
                let (tx, rx) = mpsc::channel(64);
                tokio::spawn(async move {
                    loop {
                        let event = tokio::select! {
                            // A cancelled relay drops `events` at once, so the server
                            // stops even while it is waiting on the model.
                            _ = tx.closed() => break,
                            event = events.recv() => event,
                        };
                        let Some(event) = event else { break };
                        let data = serde_json::to_string(&event).unwrap_or_default();
                        if tx.send(data).await.is_err() {
                            break;
                        }
                    }
                });
                self.relay(rx, emit)
            }
        }
    }

    /// The upload step of an attachment, answered like a JSON op.
    pub fn upload(
        gateway: &ChatKitGateway,
        client_secret: Option<&str>,
        attachment_id: &str,
        data_base64: &str,
    ) -> ChatKitReply {
        use base64::Engine;
        let answer = base64::engine::general_purpose::STANDARD
            .decode(data_base64)
            .map_err(|e| {
                crate::error::AppError::new(
                    crate::error::ErrorCode::InvalidRequest,
                    format!("The upload is not base64 ({e})."),
                )
            })
            .and_then(|bytes| gateway.upload(client_secret, attachment_id, &bytes));
        match answer {
            Ok(ChatKitResponse::Json(json)) => ChatKitReply {
                status: 200,
                content_type: "application/json".into(),
                body: Some(String::from_utf8_lossy(&json).into_owned()),
                stream_id: None,
            },
            Ok(ChatKitResponse::Stream(_)) => unreachable_stream(),
            Err(err) => ChatKitReply {
                status: err.http_status(),
                content_type: "application/json".into(),
                body: Some(String::from_utf8_lossy(&error_body(&err)).into_owned()),
                stream_id: None,
            },
        }
    }

    /// Streams event payloads to `emit` until they end, `emit` fails, or `cancel` is called
    /// with the returned reply's stream id. Dropping `events` stops whoever produces them.
    pub fn relay(
        self: &Arc<Self>,
        mut events: mpsc::Receiver<String>,
        emit: impl Fn(ChatKitChunk) -> bool + Send + 'static,
    ) -> ChatKitReply {
        let stream_id = new_id("stream");
        let (cancel, mut cancelled) = oneshot::channel();
        self.cancels
            .lock()
            .unwrap()
            .insert(stream_id.clone(), cancel);
        let streams = self.clone();
        let id = stream_id.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // Dropping `events` here is what tells the server to stop.
                    _ = &mut cancelled => break,
                    event = events.recv() => match event {
                        Some(data) => {
                            if !emit(ChatKitChunk::Event { data }) {
                                break;
                            }
                        }
                        None => break,
                    },
                }
            }
            drop(events);
            emit(ChatKitChunk::End);
            streams.cancels.lock().unwrap().remove(&id);
        });
        ChatKitReply {
            status: 200,
            content_type: "text/event-stream".into(),
            body: None,
            stream_id: Some(stream_id),
        }
    }

    /// Stops a stream; false when it had already ended.
    pub fn cancel(&self, stream_id: &str) -> bool {
        match self.cancels.lock().unwrap().remove(stream_id) {
            Some(cancel) => cancel.send(()).is_ok(),
            None => false,
        }
    }
}

fn unreachable_stream() -> ChatKitReply {
    let err = crate::error::AppError::internal("an upload answered with a stream");
    ChatKitReply {
        status: err.http_status(),
        content_type: "application/json".into(),
        body: Some(String::from_utf8_lossy(&error_body(&err)).into_owned()),
        stream_id: None,
    }
}
