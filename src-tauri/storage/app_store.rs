//! tauri-plugin-store, made crash-safe. The plugin keeps the values in memory and the UI
//! can rely on its format, but its own save is a plain overwrite (plugins-workspace issue
//! 3085): a crash mid-write leaves a truncated file, and its loader then silently starts
//! empty. So we check the file before the plugin loads it, save through `atomic`, and close
//! our stores before exit so the plugin's exit-time save never overwrites them.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_store::{Store, StoreBuilder};

use crate::error::{AppError, AppResult};
use crate::storage::atomic::{self, Recovery};

pub struct CrashSafeStore<R: Runtime> {
    store: Arc<Store<R>>,
    path: PathBuf,
}

impl<R: Runtime> CrashSafeStore<R> {
    /// Opens `file_name` in the app's data folder, repairing it first if it does not parse.
    pub fn open(app: &AppHandle<R>, file_name: &str) -> AppResult<(Self, Recovery)> {
        let dir = app
            .path()
            .app_data_dir()
            .map_err(|e| AppError::internal(format!("no app data folder: {e}")))?;
        let path = dir.join(file_name);
        let recovery = atomic::ensure_loadable(&path, |bytes| {
            serde_json::from_slice::<Map<String, Value>>(bytes).is_ok()
        })?;
        let store = StoreBuilder::new(app, &path)
            .disable_auto_save()
            .build()
            .map_err(|e| AppError::storage("open", &path, e))?;
        Ok((Self { store, path }, recovery))
    }

    pub fn entries(&self) -> Map<String, Value> {
        self.store.entries().into_iter().collect()
    }

    /// Replaces the given keys and writes the whole store crash-safely.
    pub fn save_entries(&self, entries: Map<String, Value>) -> AppResult<()> {
        for (key, value) in entries {
            self.store.set(key, value);
        }
        atomic::write_json(&self.path, &self.entries())
    }

    /// Removes the store from the plugin so its exit-time save cannot touch our file.
    pub fn close(&self) {
        self.store.close_resource();
    }
}
