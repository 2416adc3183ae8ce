use tauri::State;

use crate::agent::client::{ModelClient, ModelConfig, RetryPolicy};
use crate::broker::connection::{
    http_url, validated_domain_key, ApiStyle, Connection, Settings, DEFAULT_MODEL,
    DEFAULT_OPENAI_BASE_URL,
};
use crate::broker::keychain::{SecretSlot, SecretStatus};
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> AppResult<Settings> {
    state.settings()
}

#[tauri::command]
#[specta::specta]
pub async fn save_connection(
    state: State<'_, AppState>,
    connection: Connection,
) -> AppResult<Settings> {
    let mut settings = state.settings()?;
    let connection = connection.validated()?;
    let was_hosted = matches!(settings.connection, Some(Connection::HostedWorkflow(_)));
    let changed = settings.connection.as_ref() != Some(&connection);
    settings.connection = Some(connection);
    state.save_settings(&settings)?;
    if changed {
        // Secrets minted for the old connection must not serve the new one.
        state.session_secrets.forget().await;
        if was_hosted {
            crate::commands::connection::cancel_hosted_session(&state).await;
        }
        if let Some(sync) = &state.sync {
            sync.kick();
        }
    }
    Ok(settings)
}

#[tauri::command]
#[specta::specta]
pub fn save_chatkit_domain_key(
    state: State<'_, AppState>,
    domain_key: String,
) -> AppResult<Settings> {
    let mut settings = state.settings()?;
    settings.chatkit_domain_key = validated_domain_key(&domain_key)?;
    state.save_settings(&settings)?;
    Ok(settings)
}

/// Settings' "Test connection": reaches `GET {base_url}/models` with the key the form holds
/// (typed, or else the one in use when the URL is the one in use) and returns the model ids
/// the server offers, so a wrong URL, a rejected key or a stopped server shows before
/// anything is saved.
#[tauri::command]
#[specta::specta]
pub async fn test_model_server(
    state: State<'_, AppState>,
    base_url: Option<String>,
    api_key: Option<String>,
) -> AppResult<Vec<String>> {
    let base_url = match base_url.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_OPENAI_BASE_URL.to_string(),
        Some(url) => http_url("Base URL", url)?,
    };
    let typed = api_key
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .map(SecretString::new);
    let settings = state.settings()?;
    let environment = state.environment.clone();
    let keychain = state.keychain.clone();
    let tested = base_url.clone();
    let api_key = blocking(move || {
        settings.key_for_test(&environment, &tested, typed, || {
            keychain.read(SecretSlot::OpenaiApiKey)
        })
    })
    .await?;
    let config = ModelConfig {
        base_url,
        api_key,
        model: DEFAULT_MODEL.into(),
        api_style: ApiStyle::Automatic,
    };
    ModelClient::new(RetryPolicy::from_env())?
        .list_models(&config)
        .await
}

/// Remembers the open chat thread so the next start reopens it.
#[tauri::command]
#[specta::specta]
pub fn remember_thread(state: State<'_, AppState>, thread_id: Option<String>) -> AppResult<()> {
    let mut settings = state.settings()?;
    if settings.last_thread_id != thread_id {
        settings.last_thread_id = thread_id;
        state.save_settings(&settings)?;
    }
    Ok(())
}

// Keychain calls block (D-Bus, or an OS prompt), so they run off the async workers.

#[tauri::command]
#[specta::specta]
pub async fn secret_status(
    state: State<'_, AppState>,
    slot: SecretSlot,
) -> AppResult<SecretStatus> {
    if let (SecretSlot::OpenaiApiKey, Some(key)) = (slot, &state.environment.api_key) {
        return Ok(SecretStatus::from_environment(slot, key));
    }
    let keychain = state.keychain.clone();
    blocking(move || keychain.status(slot)).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_secret(
    state: State<'_, AppState>,
    slot: SecretSlot,
    value: String,
) -> AppResult<SecretStatus> {
    let keychain = state.keychain.clone();
    blocking(move || keychain.save_typed(slot, &value)).await
}

#[tauri::command]
#[specta::specta]
pub async fn clear_secret(state: State<'_, AppState>, slot: SecretSlot) -> AppResult<SecretStatus> {
    let keychain = state.keychain.clone();
    blocking(move || {
        keychain.erase(slot)?;
        keychain.status(slot)
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(format!("keychain task failed: {e}")))?
}
