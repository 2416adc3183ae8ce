//! What the Tauri shell keeps for the commands: the keychain, the settings store, and paths.

use std::path::PathBuf;

use serde::Serialize;
use tauri::Wry;

use crate::broker::keychain::OsKeychain;
use crate::storage::app_store::CrashSafeStore;
use crate::storage::atomic::Recovery;

pub const SETTINGS_FILE: &str = "settings.json";

pub struct AppState {
    pub keychain: OsKeychain,
    pub settings: CrashSafeStore<Wry>,
    pub paths: AppPaths,
    /// What loading settings had to repair, shown once in Settings.
    pub settings_recovery: Recovery,
}

/// Where the app keeps things, shown in Settings so people can find them.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppPaths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}
