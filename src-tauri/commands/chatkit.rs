use tauri::ipc::Channel;
use tauri::State;

use crate::agent::models::{list_models, ModelChoices};
use crate::broker::client_secret::ClientSecret;
use crate::broker::connection::{BackendChat, Connection};
use crate::chatkit::ipc::{ChatKitChunk, ChatKitReply, IpcStreams};
use crate::chatkit::proxy::ProxyAnswer;
use crate::error::AppResult;
use crate::state::AppState;

/// The local connection's list of chats changed on disk (made, renamed or deleted here or by
/// another process on the same data folder): the built-in chat's history reloads its first
/// page instead of asking every few seconds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct ThreadsChanged;

/// ChatKit's `getClientSecret(current)` for the local connection.
#[tauri::command]
#[specta::specta]
pub async fn chatkit_client_secret(
    state: State<'_, AppState>,
    current: Option<String>,
) -> AppResult<ClientSecret> {
    state
        .chat()
        .await?
        .secrets()
        .current_or_new(current.as_deref())
}

/// ChatKit's `api.fetch`: one protocol request; streamed events arrive on `on_event`.
#[tauri::command]
#[specta::specta]
pub async fn chatkit_fetch(
    state: State<'_, AppState>,
    body: String,
    client_secret: Option<String>,
    on_event: Channel<ChatKitChunk>,
) -> AppResult<ChatKitReply> {
    let emit = move |chunk: ChatKitChunk| on_event.send(chunk).is_ok();
    // A backend with its own ChatKit endpoint: relay, with the token the webview never sees.
    if let Some(Connection::Backend(backend)) = state.settings()?.connection {
        if backend.chat == BackendChat::ChatkitEndpoint {
            let (token, _) = state.backend_auth.current_token(&backend.url).await?;
            let url = format!("{}/chatkit", backend.url);
            return Ok(
                match state.backend_chat.forward(&url, &token, body).await? {
                    ProxyAnswer::Json { status, body } => ChatKitReply {
                        status,
                        content_type: "application/json".into(),
                        body: Some(body),
                        stream_id: None,
                    },
                    ProxyAnswer::Stream(events) => state.streams.relay(events, emit),
                },
            );
        }
    }
    let gateway = state.chat().await?;
    Ok(state
        .streams
        .fetch(&gateway, client_secret.as_deref(), &body, emit)
        .await)
}

/// The upload step of a chat attachment: its bytes (base64), for the attachment
/// `attachments.create` made. The Local connection's own server only.
#[tauri::command]
#[specta::specta]
pub async fn chatkit_upload(
    state: State<'_, AppState>,
    attachment_id: String,
    data_base64: String,
    client_secret: Option<String>,
) -> AppResult<ChatKitReply> {
    let gateway = state.chat().await?;
    tauri::async_runtime::spawn_blocking(move || {
        IpcStreams::upload(
            &gateway,
            client_secret.as_deref(),
            &attachment_id,
            &data_base64,
        )
    })
    .await
    .map_err(|e| crate::error::AppError::internal(format!("upload task failed: {e}")))
}

/// The composer's model picker: the models the Local connection's server lists
/// (`GET {base}/models`) and the configured one.
#[tauri::command]
#[specta::specta]
pub async fn chat_models(state: State<'_, AppState>) -> AppResult<ModelChoices> {
    let settings = state.settings()?;
    let keychain = state.keychain.clone();
    let environment = state.environment.clone();
    let config = tauri::async_runtime::spawn_blocking(move || {
        crate::state::local_model_config(&settings, &keychain, &environment)
    })
    .await
    .map_err(|e| crate::error::AppError::internal(format!("keychain task failed: {e}")))??;
    list_models(&config).await
}

/// Stops a streamed answer (the webview aborted its fetch); the partial answer is kept.
#[tauri::command]
#[specta::specta]
pub fn chatkit_cancel(state: State<'_, AppState>, stream_id: String) -> bool {
    state.streams.cancel(&stream_id)
}
