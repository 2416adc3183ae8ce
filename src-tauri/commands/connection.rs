use serde::Serialize;
use tauri::State;

use crate::broker::backend::TokenInfo;
use crate::broker::backend_token::read_claims;
use crate::broker::client_secret::{ClientSecret, REUSE_MARGIN_SECS};
use crate::broker::connection::{BackendChat, Connection, DEFAULT_OPENAI_BASE_URL};
use crate::broker::hosted::{install_id, HostedSessions};
use crate::broker::keychain::SecretSlot;
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

fn backend_url(state: &AppState) -> AppResult<String> {
    match state.settings()?.connection {
        Some(Connection::Backend(backend)) => Ok(backend.url),
        _ => Err(AppError::invalid_input(
            "Choose the Team backend connection first.",
        )),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn backend_sign_in(
    state: State<'_, AppState>,
    email: String,
    password: String,
) -> AppResult<TokenInfo> {
    let url = backend_url(&state)?;
    let info = state
        .backend_auth
        .sign_in(&url, &email, &SecretString::new(password))
        .await?;
    state.session_secrets.forget().await;
    if let Some(sync) = &state.sync {
        sync.kick();
    }
    Ok(info)
}

#[tauri::command]
#[specta::specta]
pub async fn backend_paste_token(
    state: State<'_, AppState>,
    token: String,
) -> AppResult<TokenInfo> {
    let info = state.backend_auth.paste_token(&token)?;
    state.session_secrets.forget().await;
    if let Some(sync) = &state.sync {
        sync.kick();
    }
    Ok(info)
}

/// Forgets the backend token and session; chat and sync stop until the next sign-in.
#[tauri::command]
#[specta::specta]
pub async fn backend_sign_out(state: State<'_, AppState>) -> AppResult<()> {
    state.backend_auth.sign_out()?;
    state.session_secrets.forget().await;
    if let Some(sync) = &state.sync {
        sync.kick();
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BackendStatus {
    pub signed_in: bool,
    pub user_id: Option<String>,
    pub expires_at: Option<i64>,
}

#[tauri::command]
#[specta::specta]
pub fn backend_status(state: State<'_, AppState>) -> AppResult<BackendStatus> {
    let token = state.keychain.read(SecretSlot::BackendToken)?;
    let claims = token
        .as_ref()
        .and_then(|t| read_claims(t.expose()))
        .unwrap_or_default();
    Ok(BackendStatus {
        signed_in: token.is_some(),
        user_id: claims.user_id,
        expires_at: claims.expires_at,
    })
}

/// ChatKit's `getClientSecret(current)` for the connections whose chat OpenAI hosts: a
/// backend's session endpoint, or a legacy hosted workflow.
#[tauri::command]
#[specta::specta]
pub async fn chatkit_session_secret(
    state: State<'_, AppState>,
    current: Option<String>,
) -> AppResult<ClientSecret> {
    match state.settings()?.connection {
        Some(Connection::Backend(backend)) if backend.chat == BackendChat::SessionEndpoint => {
            let (token, _) = state.backend_auth.current_token(&backend.url).await?;
            state
                .session_secrets
                .client_secret(&backend.url, &token, current.as_deref())
                .await
        }
        Some(Connection::HostedWorkflow(hosted)) => {
            let mut session = state.hosted_session.lock().await;
            let now = chrono::Utc::now().timestamp();
            if let Some(existing) = session.as_ref() {
                let matches = current
                    .as_deref()
                    .is_none_or(|c| c == existing.client_secret);
                if matches && existing.expires_at - now > REUSE_MARGIN_SECS {
                    return Ok(ClientSecret {
                        client_secret: existing.client_secret.clone(),
                        expires_at: existing.expires_at,
                    });
                }
            }
            let key = state
                .keychain
                .read(SecretSlot::OpenaiApiKey)?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::InvalidApiKey,
                        "Add your OpenAI API key in Settings.",
                    )
                })?;
            let user = install_id(state.settings_docs.as_ref())?;
            let started = HostedSessions::new(DEFAULT_OPENAI_BASE_URL)
                .start(&key, &user, &hosted.workflow_id)
                .await?;
            let secret = ClientSecret {
                client_secret: started.client_secret.clone(),
                expires_at: started.expires_at,
            };
            *session = Some(started);
            Ok(secret)
        }
        _ => Err(AppError::invalid_input(
            "This connection's chat does not use OpenAI client secrets.",
        )),
    }
}

/// Revokes the hosted session handed out last (on a switch away or sign-out).
pub async fn cancel_hosted_session(state: &AppState) {
    let Some(session) = state.hosted_session.lock().await.take() else {
        return;
    };
    let Ok(Some(key)) = state.keychain.read(SecretSlot::OpenaiApiKey) else {
        return;
    };
    match HostedSessions::new(DEFAULT_OPENAI_BASE_URL)
        .cancel(&key, &session.session_id)
        .await
    {
        // Already over: nothing to revoke.
        Ok(())
        | Err(AppError {
            code: ErrorCode::NotFound,
            ..
        }) => {}
        Err(e) => tracing::warn!("could not cancel the hosted session: {}", e.message),
    }
}
