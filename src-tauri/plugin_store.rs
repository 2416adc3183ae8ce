//! Documents through tauri-plugin-store, made crash-safe. The plugin holds each open
//! document in memory (the app's cache, in the plugin's file format), but its own save is a
//! plain overwrite (plugins-workspace issue 3085): a crash mid-write leaves a truncated file,
//! which its loader then silently treats as empty. So files are vetted before the plugin
//! loads them, written through `atomic`, and our stores are closed before exit so the
//! plugin's exit-time save never overwrites them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Runtime};
use tauri_plugin_store::{Store, StoreBuilder};

use crate::error::{AppError, AppResult};
use crate::storage::atomic::{self, Recovery};
use crate::storage::documents::{self, Document, DocumentStore};

pub struct PluginDocuments<R: Runtime> {
    app: AppHandle<R>,
    root: PathBuf,
    open: Mutex<HashMap<String, Arc<Store<R>>>>,
    recoveries: Mutex<Vec<Recovery>>,
}

impl<R: Runtime> PluginDocuments<R> {
    pub fn new(app: AppHandle<R>, root: PathBuf) -> Self {
        Self {
            app,
            root,
            open: Mutex::new(HashMap::new()),
            recoveries: Mutex::new(Vec::new()),
        }
    }

    fn load_store(&self, name: &str) -> AppResult<Option<Arc<Store<R>>>> {
        if let Some(store) = self.open.lock().unwrap().get(name) {
            return Ok(Some(store.clone()));
        }
        let path = documents::document_path(&self.root, name)?;
        let recovery = atomic::ensure_loadable(&path, documents::parses_as_object)?;
        if recovery != Recovery::Clean {
            self.recoveries.lock().unwrap().push(recovery);
        }
        if !path.exists() {
            return Ok(None);
        }
        let store = StoreBuilder::new(&self.app, &path)
            .disable_auto_save()
            .build()
            .map_err(|e| AppError::storage("open", &path, e))?;
        self.open
            .lock()
            .unwrap()
            .insert(name.to_string(), store.clone());
        Ok(Some(store))
    }

    /// Takes every open document out of the plugin, so its exit-time save skips them.
    pub fn close_all(&self) {
        for (_, store) in self.open.lock().unwrap().drain() {
            store.close_resource();
        }
    }
}

impl<R: Runtime> DocumentStore for PluginDocuments<R> {
    fn read(&self, name: &str) -> AppResult<Option<Document>> {
        Ok(self
            .load_store(name)?
            .map(|store| store.entries().into_iter().collect()))
    }

    fn write(&self, name: &str, doc: &Document) -> AppResult<()> {
        let path = documents::document_path(&self.root, name)?;
        atomic::write_json(&path, doc)?;
        match self.load_store(name)? {
            Some(store) => {
                store.clear();
                for (key, value) in doc {
                    store.set(key.clone(), value.clone());
                }
            }
            None => return Err(AppError::internal(format!("{} vanished", path.display()))),
        }
        Ok(())
    }

    fn remove(&self, name: &str) -> AppResult<()> {
        if let Some(store) = self.open.lock().unwrap().remove(name) {
            store.close_resource();
        }
        documents::remove_file(&documents::document_path(&self.root, name)?)
    }

    fn names(&self) -> AppResult<Vec<String>> {
        documents::list_names(&self.root)
    }

    fn take_recoveries(&self) -> Vec<Recovery> {
        std::mem::take(&mut self.recoveries.lock().unwrap())
    }
}
