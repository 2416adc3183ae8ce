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
use crate::storage::atomic::{self, Flush, Recovery};
use crate::storage::documents::{self, Document, DocumentStore, Stamp};

/// An open document and the version of its file the plugin holds.
type Cached<R> = (Arc<Store<R>>, Option<Stamp>);

pub struct PluginDocuments<R: Runtime> {
    app: AppHandle<R>,
    root: PathBuf,
    /// Each open document and the version of its file the plugin holds: another process
    /// (`serve`, a second window's core) may replace the file, and then it is reloaded.
    open: Mutex<HashMap<String, Cached<R>>>,
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
        let path = documents::document_path(&self.root, name)?;
        let on_disk = documents::stamp_of(&path)?;
        if let Some((store, seen)) = self.open.lock().unwrap().get(name) {
            if *seen == on_disk {
                return Ok(Some(store.clone()));
            }
        }
        let recovery = atomic::ensure_loadable(&path, documents::parses_as_object)?;
        if recovery != Recovery::Clean {
            self.recoveries.lock().unwrap().push(recovery);
        }
        let Some(stamp) = documents::stamp_of(&path)? else {
            if let Some((store, _)) = self.open.lock().unwrap().remove(name) {
                store.close_resource();
            }
            return Ok(None);
        };
        let existing = self.open.lock().unwrap().get(name).map(|(s, _)| s.clone());
        let store = match existing {
            Some(store) => {
                store
                    .reload()
                    .map_err(|e| AppError::storage("reload", &path, e))?;
                store
            }
            None => StoreBuilder::new(&self.app, &path)
                .disable_auto_save()
                .build()
                .map_err(|e| AppError::storage("open", &path, e))?,
        };
        self.open
            .lock()
            .unwrap()
            .insert(name.to_string(), (store.clone(), Some(stamp)));
        Ok(Some(store))
    }

    /// Puts what was just written to `path` in the plugin's cache of document `name`.
    fn remember(&self, name: &str, path: &std::path::Path, doc: &Document) -> AppResult<()> {
        let cached = self.open.lock().unwrap().get(name).map(|(s, _)| s.clone());
        let Some(store) = cached else {
            // Not open yet: loading it now reads exactly what was just written.
            return match self.load_store(name)? {
                Some(_) => Ok(()),
                None => Err(AppError::internal(format!("{} vanished", path.display()))),
            };
        };
        store.clear();
        for (key, value) in doc {
            store.set(key.clone(), value.clone());
        }
        // Whoever must not miss another process's write in between holds `lock_folder`.
        let stamp = documents::stamp_of(path)?;
        self.open
            .lock()
            .unwrap()
            .insert(name.to_string(), (store, stamp));
        Ok(())
    }

    /// Takes every open document out of the plugin, so its exit-time save skips them.
    pub fn close_all(&self) {
        for (_, (store, _)) in self.open.lock().unwrap().drain() {
            store.close_resource();
        }
    }
}

impl<R: Runtime> DocumentStore for PluginDocuments<R> {
    fn root(&self) -> &std::path::Path {
        &self.root
    }

    fn read(&self, name: &str) -> AppResult<Option<Document>> {
        Ok(self
            .load_store(name)?
            .map(|store| store.entries().into_iter().collect()))
    }

    fn write_with(&self, name: &str, doc: &Document, flush: Flush) -> AppResult<()> {
        let path = documents::document_path(&self.root, name)?;
        atomic::write_json_with(&path, doc, flush)?;
        self.remember(name, &path, doc)
    }

    /// The caller's bytes go to the file as they are; the cache still needs them parsed.
    fn write_encoded(&self, name: &str, bytes: &[u8], flush: Flush) -> AppResult<()> {
        let doc: Document = serde_json::from_slice(bytes)
            .map_err(|e| AppError::internal(format!("{name} is not a JSON object: {e}")))?;
        let path = documents::document_path(&self.root, name)?;
        atomic::write_with(&path, bytes, flush)?;
        self.remember(name, &path, &doc)
    }

    fn remove(&self, name: &str) -> AppResult<()> {
        if let Some((store, _)) = self.open.lock().unwrap().remove(name) {
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
