use tauri::State;

use crate::broker::connection::{Connection, Settings};
use crate::broker::keychain::{SecretSlot, SecretStatus};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    Settings::from_entries(&state.settings.entries())
}

#[tauri::command]
#[specta::specta]
pub fn save_connection(state: State<'_, AppState>, connection: Connection) -> AppResult<Settings> {
    let mut settings = Settings::from_entries(&state.settings.entries());
    settings.connection = Some(connection.validated()?);
    state.settings.save_entries(settings.to_entries())?;
    Ok(settings)
}

// Keychain calls block (D-Bus, or an OS prompt), so they run off the async workers.

#[tauri::command]
#[specta::specta]
pub async fn secret_status(
    state: State<'_, AppState>,
    slot: SecretSlot,
) -> AppResult<SecretStatus> {
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
