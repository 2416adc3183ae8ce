//! Settings → Updates: check, download (verified), install; the webview relaunches the app
//! with tauri-plugin-process once the user agrees.

use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::broker::connection::{Settings, UpdateMode};
use crate::error::AppResult;
use crate::state::AppState;
use crate::updates::{UpdateInfo, UpdateProgress, Updates};

#[tauri::command]
#[specta::specta]
pub fn save_update_mode(state: State<'_, AppState>, mode: UpdateMode) -> AppResult<Settings> {
    let mut settings = state.settings()?;
    settings.updates = mode;
    state.save_settings(&settings)?;
    Ok(settings)
}

/// The newer version on the release feed, or `null` when this one is the latest.
#[tauri::command]
#[specta::specta]
pub async fn update_check(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> AppResult<Option<UpdateInfo>> {
    updates.check(&app).await
}

/// Downloads and verifies the update the last check found; returns its version.
#[tauri::command]
#[specta::specta]
pub async fn update_download(
    updates: State<'_, Updates>,
    on_progress: Channel<UpdateProgress>,
) -> AppResult<String> {
    updates.download(&on_progress).await
}

/// Installs the downloaded update; the app runs the new version after a relaunch.
#[tauri::command]
#[specta::specta]
pub async fn update_install(updates: State<'_, Updates>) -> AppResult<()> {
    updates.install().await
}
