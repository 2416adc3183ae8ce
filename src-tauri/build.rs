//! Declares the app's IPC commands so each one is denied unless a capability grants it.

/// Every command in `commands/`; the capability files grant them by `allow-<name>`.
const APP_COMMANDS: &[&str] = &[
    "app_info",
    "get_settings",
    "save_connection",
    "secret_status",
    "save_secret",
    "clear_secret",
    "test_model_server",
    "open_logs_folder",
    "save_chatkit_domain_key",
    "remember_thread",
    "chatkit_client_secret",
    "chatkit_fetch",
    "chatkit_cancel",
    "chatkit_upload",
    "chat_models",
    "tasks_list",
    "search_tasks",
    "task_add",
    "task_update",
    "task_set_completed",
    "task_delete",
    "task_restore",
    "run_task_tool",
    "sync_status",
    "sync_now",
    "backend_sign_in",
    "backend_paste_token",
    "backend_sign_out",
    "backend_status",
    "chatkit_session_secret",
    "mcp_setup",
    "add_to_claude_desktop",
    "save_update_mode",
    "update_check",
    "update_download",
    "update_install",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    tauri_build::try_build(attributes).expect("failed to run tauri-build");
}
