use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::mcp_setup::{self, ClaudeConfigWritten, McpSetup};
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

/// The MCP configuration for other AI apps, naming this installation's binary; the data
/// folder is named only when it is not the one `mcp` opens by default.
fn mcp_command(state: &AppState) -> AppResult<(std::path::PathBuf, Option<std::path::PathBuf>)> {
    let exe = std::env::current_exe()
        .map_err(|e| AppError::internal(format!("cannot tell where the app is installed: {e}")))?;
    let data_dir = &state.paths.data_dir;
    let named = match todo_assistant_core::serve::default_data_dir() {
        Ok(default) if &default == data_dir => None,
        _ => Some(data_dir.clone()),
    };
    Ok((mcp_setup::server_command(&exe), named))
}

#[tauri::command]
#[specta::specta]
pub fn mcp_setup(state: State<'_, AppState>) -> AppResult<McpSetup> {
    let (command, data_dir) = mcp_command(&state)?;
    Ok(mcp_setup::setup(&command, data_dir.as_deref()))
}

#[tauri::command]
#[specta::specta]
pub fn add_to_claude_desktop(state: State<'_, AppState>) -> AppResult<ClaudeConfigWritten> {
    let (command, data_dir) = mcp_command(&state)?;
    let setup = mcp_setup::setup(&command, data_dir.as_deref());
    let path = mcp_setup::claude_config_path().ok_or_else(|| {
        AppError::new(
            ErrorCode::StorageFailed,
            "This system has no folder where Claude Desktop keeps its config; paste the snippet instead.",
        )
    })?;
    mcp_setup::add_to_claude_desktop(&path, &setup.command, &setup.args)
}
