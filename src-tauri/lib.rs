//! The Tauri shell: plugins, managed state and the command list. Logic lives in the core
//! rooms (`broker`, `storage`, …), which tests reach without a window.

pub mod commands;
pub mod plugin_store;
pub mod state;
pub mod updates;

// The core's rooms, under the names the shell and its tests have always used.
pub use todo_assistant_core::{
    agent, broker, chatkit, cli, error, logging, mcp, mcp_setup, serve, storage, tasks,
};

use tauri::{Manager, RunEvent};
use tauri_plugin_window_state::{StateFlags, WindowExt};

use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// When `main` began: the log says how long the window took to show, counted from it.
static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Called first thing in `main`.
pub fn mark_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

use crate::broker::keychain::OsKeychain;
use crate::chatkit::ipc::IpcStreams;
use crate::plugin_store::PluginDocuments;
use crate::state::{AppPaths, AppState};
use crate::storage::atomic::Recovery;
use crate::storage::documents::DocumentStore;

/// The typed command list; `ui/src/bindings.ts` is generated from it (see the test below).
pub fn ipc_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::app::app_info,
            commands::app::open_logs_folder,
            commands::settings::get_settings,
            commands::settings::save_connection,
            commands::settings::secret_status,
            commands::settings::save_secret,
            commands::settings::clear_secret,
            commands::settings::test_model_server,
            commands::settings::save_chatkit_domain_key,
            commands::settings::remember_thread,
            commands::chatkit::chatkit_client_secret,
            commands::chatkit::chatkit_fetch,
            commands::chatkit::chatkit_cancel,
            commands::chatkit::chatkit_upload,
            commands::chatkit::chat_models,
            commands::tasks::tasks_list,
            commands::tasks::search_tasks,
            commands::tasks::task_add,
            commands::tasks::task_update,
            commands::tasks::task_set_completed,
            commands::tasks::task_delete,
            commands::tasks::task_restore,
            commands::tasks::run_task_tool,
            commands::tasks::sync_status,
            commands::tasks::sync_now,
            commands::connection::backend_sign_in,
            commands::connection::backend_paste_token,
            commands::connection::backend_sign_out,
            commands::connection::backend_status,
            commands::connection::chatkit_session_secret,
            commands::app::mcp_setup,
            commands::app::add_to_claude_desktop,
            commands::updates::save_update_mode,
            commands::updates::update_check,
            commands::updates::update_download,
            commands::updates::update_install,
        ])
        .events(tauri_specta::collect_events![
            commands::tasks::TasksChanged,
            commands::tasks::SyncChanged,
            commands::chatkit::ThreadsChanged
        ])
}

pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

pub fn export_bindings() -> String {
    ipc_builder()
        .export_str(
            specta_typescript::Typescript::default()
                .bigint(specta_typescript::BigIntExportBehavior::Number)
                .header("// Generated from Rust by tauri-specta (`UPDATE_BINDINGS=1 cargo test bindings`). Do not edit.\n// @ts-nocheck\n/* eslint-disable */\n"),
        )
        .expect("IPC bindings export")
        // tauri-specta rc.21 also emits a placeholder type for `Channel` that shadows the
        // real `Channel` class it imports under the same name; drop the placeholder.
        .replace("export type TAURI_CHANNEL<TSend> = null\n", "")
}

/// Opens the task store and forwards its changes to the webview as `TasksChanged`.
/// Changes made by other processes on the data folder (`serve`, `tasks …`) arrive the same way.
fn open_tasks(
    app: &tauri::AppHandle,
    data_dir: &std::path::Path,
) -> Result<Arc<tasks::store::TaskStore>, error::AppError> {
    use tauri_specta::Event;
    let store = Arc::new(tasks::store::TaskStore::open(data_dir).inspect_err(|e| {
        tracing::error!("tasks unavailable: {}", e.message);
    })?);
    for recovery in store.take_recoveries() {
        tracing::warn!(?recovery, "task storage was repaired on open");
    }
    let mut changes = store.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match changes.recv().await {
                Ok(change) => {
                    let _ = commands::tasks::TasksChanged(change).emit(&app);
                }
                // Missed some: one generic change makes views reload.
                Err(RecvError::Lagged(_)) => {
                    let change = tasks::store::TaskChange {
                        kind: "many".into(),
                        task_id: String::new(),
                    };
                    let _ = commands::tasks::TasksChanged(change).emit(&app);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    Ok(store)
}

/// Tells the webview when the local chats change on disk, whoever changed them.
fn watch_local_threads(app: &tauri::AppHandle, data_dir: &std::path::Path) {
    use tauri_specta::Event;
    let app = app.clone();
    let watched = storage::history_watch::watch_history(
        serve::local_threads_dir(data_dir),
        storage::history_watch::HISTORY_WATCH_INTERVAL,
        move || {
            let _ = commands::chatkit::ThreadsChanged.emit(&app);
            true
        },
    );
    if let Err(e) = watched {
        tracing::warn!("chats made elsewhere show after a restart: no watcher ({e})");
    }
}

/// Starts background sync; its status reaches the webview as `SyncChanged`.
fn start_sync(
    app: &tauri::AppHandle,
    store: Arc<tasks::store::TaskStore>,
    settings_docs: Arc<PluginDocuments<tauri::Wry>>,
    keychain: OsKeychain,
) -> Arc<tasks::sync_runner::SyncRunner> {
    use tauri_specta::Event;
    let runner = tasks::sync_runner::SyncRunner::new(store);
    let target = move || -> futures_util::future::BoxFuture<'static, _> {
        let settings_docs = settings_docs.clone();
        let keychain = keychain.clone();
        Box::pin(async move {
            let settings = state::read_settings(settings_docs.as_ref())?;
            state::backend_sync_target(&settings, &keychain).await
        })
    };
    let app = app.clone();
    let report = move |status| {
        let _ = commands::tasks::SyncChanged(status).emit(&app);
    };
    tauri::async_runtime::spawn(runner.clone().run(Arc::new(target), report));
    runner
}

/// The global the page reads its first settings from (ui/src/startSettings.ts).
const START_SETTINGS_GLOBAL: &str = "__TODO_ASSISTANT_START_SETTINGS__";
/// The pending tasks' count for the sidebar's badge, read by `ui/src/startSettings.ts`: the
/// first render has it, so the badge does not pop in once the list arrives (a repaint that,
/// landing between the start's own paints, costs a window-sized X shared-memory block).
const START_PENDING_TASKS_GLOBAL: &str = "__TODO_ASSISTANT_START_PENDING_TASKS__";

/// Creates the main window (`"create": false` in tauri.conf.json) with the settings already
/// in the page, so its first render is the real view rather than a wait for an IPC answer
/// (issue 13: start to first paint). The page asks again after it paints, which also covers
/// a reload. Settings hold no secrets; the script runs in the top frame only.
fn create_main_window(
    app: &tauri::App,
    settings: &error::AppResult<broker::connection::Settings>,
    pending_tasks: Option<usize>,
) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .unwrap_or_default();
    let mut window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?;
    if let Some(json) = settings
        .as_ref()
        .ok()
        .and_then(|s| serde_json::to_string(s).ok())
    {
        window = window.initialization_script(format!("window.{START_SETTINGS_GLOBAL} = {json};"));
    }
    if let Some(count) = pending_tasks {
        window =
            window.initialization_script(format!("window.{START_PENDING_TASKS_GLOBAL} = {count};"));
    }
    let window = window
        .on_page_load(|_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                release_start_up_memory();
            }
        })
        .build()?;
    // The plugin restores the saved size too, but only once the event loop reaches the new
    // window, after setup has shown it; restored here, it maps at the saved size.
    window.restore_state(window_state_flags())?;
    Ok(())
}

/// The variable JavaScriptCore reads at start to turn its JIT compilers on or off.
#[cfg(target_os = "linux")]
const JSC_JIT_VAR: &str = "JSC_useJIT";

/// WebKitGTK's web processes inherit this process's environment: unless the person chose
/// otherwise, they run the page's JavaScript in JavaScriptCore's interpreter. The JIT costs
/// about 10 MB at idle (web and app process) and maps memory that is written, then run; the
/// page's scripts are short UI work (a long streamed answer took 0.25 s of CPU instead of
/// 0.19 s). Runs before any thread starts, as setting a variable requires.
#[cfg(target_os = "linux")]
fn javascript_without_jit() {
    if std::env::var_os(JSC_JIT_VAR).is_none() {
        std::env::set_var(JSC_JIT_VAR, "false");
    }
}

/// How long after the page has loaded its start-up work (first IPC calls, the chat view's
/// choice, the first lists) is taken to be over.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const START_UP_SETTLES: std::time::Duration = std::time::Duration::from_secs(2);

/// Gives the heap that start-up freed back to the system once the page has settled (issue
/// 13: idle memory). glibc keeps freed blocks in its arenas and returns only the top of
/// each; the window's creation, the embedded page's decompression and the first answers
/// leave holes below it, about 2.4 MB of the app process at idle here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_start_up_memory() {
    tauri::async_runtime::spawn(async {
        tokio::time::sleep(START_UP_SETTLES).await;
        // SAFETY: malloc_trim only walks glibc's own arenas under their locks.
        let released = unsafe { libc::malloc_trim(0) } == 1;
        tracing::debug!(released, "start-up heap returned to the system");
    });
}

/// Other allocators (macOS, Windows, musl) give freed memory back on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_start_up_memory() {}

/// All of the window's state but whether it is visible: setup shows it.
fn window_state_flags() -> StateFlags {
    StateFlags::all() - StateFlags::VISIBLE
}

fn focus_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// On Linux the window needs a display; say so instead of letting GTK panic.
pub fn display_available() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Err("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset). \
                        Run it in a desktop session, or use `todo-assistant serve` for the headless server."
                .into());
        }
    }
    Ok(())
}

/// Opens the desktop app.
pub fn run() {
    #[cfg(target_os = "linux")]
    javascript_without_jit();
    let ipc = ipc_builder();
    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            focus_main_window(app)
        }))
        // The window is created hidden, so its saved size is applied before it first maps;
        // shown at the end of setup (a visible window would map at the default size first
        // and be resized after, which a window manager or a test can observe as the wrong size).
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(window_state_flags())
                .build(),
        )
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_http::init())
        .plugin(tauri_plugin_opener::init())
        // Updates are checked, downloaded and installed from Rust (`updates.rs`); the webview
        // may only relaunch the app afterwards (process:allow-restart).
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_process::init())
        .invoke_handler(ipc.invoke_handler())
        .setup(move |app| {
            ipc.mount_events(app);
            let handle = app.handle();
            let data_dir = app.path().app_data_dir()?;
            let log_dir = app.path().app_log_dir()?;
            match logging::init(&log_dir) {
                Ok(guard) => {
                    app.manage(guard);
                }
                Err(e) => eprintln!("logging to a file is off: {e}"),
            }
            tracing::info!(version = env!("CARGO_PKG_VERSION"), data = %data_dir.display(), "starting");
            let settings_docs = Arc::new(PluginDocuments::new(handle.clone(), data_dir.clone()));
            // Read once now: a repaired settings file surfaces in Settings, and the window
            // starts with these.
            let start_settings = state::read_settings(settings_docs.as_ref());
            if let Err(e) = &start_settings {
                tracing::error!("settings unreadable: {}", e.message);
            }
            let settings_recovery = settings_docs
                .take_recoveries()
                .into_iter()
                .next()
                .unwrap_or(Recovery::Clean);
            let thread_docs = Arc::new(PluginDocuments::new(
                handle.clone(),
                serve::local_threads_dir(&data_dir),
            ));
            watch_local_threads(handle, &data_dir);
            let tasks = open_tasks(handle, &data_dir);
            let pending_tasks = tasks.as_ref().ok().map(|store| store.pending_count());
            let sync = tasks.as_ref().ok().map(|store| {
                start_sync(handle, store.clone(), settings_docs.clone(), OsKeychain::for_app())
            });
            app.manage(AppState {
                keychain: OsKeychain::for_app(),
                settings_docs,
                thread_docs,
                chat: Default::default(),
                tasks,
                sync,
                backend_auth: broker::backend::BackendAuth::new(OsKeychain::for_app()),
                session_secrets: broker::backend::SessionSecrets::new(),
                backend_chat: chatkit::proxy::BackendChatKit::new(),
                hosted_session: Default::default(),
                streams: Arc::new(IpcStreams::default()),
                paths: AppPaths { data_dir, log_dir },
                environment: broker::environment::EnvironmentModel::from_env(),
                settings_recovery,
            });
            app.manage(updates::Updates::default());
            create_main_window(app, &start_settings, pending_tasks)?;
            focus_main_window(app.handle());
            let launched = LAUNCHED.get_or_init(Instant::now);
            tracing::info!(ms = launched.elapsed().as_millis() as u64, "window shown");
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the app could not start");

    app.run(|app, event| {
        if let RunEvent::ExitRequested { .. } = event {
            if let Some(state) = app.try_state::<AppState>() {
                state.settings_docs.close_all();
                state.thread_docs.close_all();
            }
            tracing::info!("exiting");
        }
    });
}

#[cfg(test)]
mod tests {
    /// The three lists that must agree: commands the webview can call (tauri-specta), the
    /// commands declared to tauri-build, and the permissions the main window is granted.
    #[test]
    fn every_command_is_registered_declared_and_granted() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let bindings = super::export_bindings();
        let mut registered: Vec<String> = bindings
            .split("TAURI_INVOKE(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_string)
            .collect();
        registered.sort();
        registered.dedup();

        let build = std::fs::read_to_string(root.join("src-tauri/build.rs")).unwrap();
        let list = &build[build.find("APP_COMMANDS").unwrap()..];
        let list = &list[..list.find("];").unwrap()];
        let mut declared: Vec<String> = list
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        declared.sort();
        assert_eq!(
            registered, declared,
            "ipc_builder() vs build.rs APP_COMMANDS"
        );

        let capability: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("src-tauri/capabilities/main.json")).unwrap(),
        )
        .unwrap();
        let mut granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        granted.sort();
        assert_eq!(
            registered, granted,
            "ipc_builder() vs capabilities/main.json"
        );
    }

    #[test]
    fn bindings_are_current() {
        let generated = super::export_bindings();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(super::BINDINGS_PATH);
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test bindings`",
            super::BINDINGS_PATH
        );
    }
}
