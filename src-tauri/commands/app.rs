use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::{AppPaths, AppState};
use crate::storage::atomic::Recovery;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub paths: AppPaths,
    pub keychain_service: String,
    pub settings_recovery: Recovery,
}

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        paths: state.paths.clone(),
        keychain_service: state.keychain.service().to_string(),
        settings_recovery: state.settings_recovery.clone(),
    }
}

#[tauri::command]
#[specta::specta]
pub fn open_logs_folder(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let dir = &state.paths.log_dir;
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                ErrorCode::OpenFailed,
                format!(
                    "Could not open {} ({e}). Open it from a file manager instead.",
                    dir.display()
                ),
            )
        })
}
