//! A folder of JSON documents, each a JSON object written crash-safely. The app reaches the
//! folder through tauri-plugin-store (the app crate's `plugin_store.rs`); `serve` and tests reach the same
//! files directly. Both write the same JSON, so either can read what the other wrote.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult};
use crate::storage::atomic::{self, Flush, Recovery};

pub type Document = Map<String, Value>;

pub trait DocumentStore: Send + Sync {
    /// The folder the documents live in.
    fn root(&self) -> &Path;
    /// Reads `name` as it is on disk now, whoever wrote it last; a file that does not parse
    /// is moved aside (reported through `take_recoveries`) and its last good copy read
    /// instead, if any.
    fn read(&self, name: &str) -> AppResult<Option<Document>>;
    /// Writes `name` whole (crash-safe either way); `flush` says whether it must also
    /// survive a power cut before this returns, or may wait for `sync`.
    fn write_with(&self, name: &str, doc: &Document, flush: Flush) -> AppResult<()>;
    fn write(&self, name: &str, doc: &Document) -> AppResult<()> {
        self.write_with(name, doc, Flush::Now)
    }
    /// `write_with` for a document its caller encoded (a JSON object's bytes): plain files
    /// take the bytes as they are, with no `Document` built in between.
    fn write_encoded(&self, name: &str, bytes: &[u8], flush: Flush) -> AppResult<()> {
        let doc: Document = serde_json::from_slice(bytes)
            .map_err(|e| AppError::internal(format!("{name} is not a JSON object: {e}")))?;
        self.write_with(name, &doc, flush)
    }
    /// Flushes what `write_with(.., Flush::Later)` left for later.
    fn sync(&self, name: &str) -> AppResult<()> {
        atomic::sync_file(&document_path(self.root(), name)?)
    }
    fn remove(&self, name: &str) -> AppResult<()>;
    /// Every stored document's name.
    fn names(&self) -> AppResult<Vec<String>>;
    /// Repairs made since the last call, for the UI to report.
    fn take_recoveries(&self) -> Vec<Recovery>;

    /// Which version of `name` is on disk: changes whenever any process replaces it.
    fn stamp(&self, name: &str) -> AppResult<Option<Stamp>> {
        stamp_of(&document_path(self.root(), name)?)
    }

    /// Holds off every other process's `lock_folder` on this folder until dropped, for a
    /// read-modify-write that must not lose another process's change.
    fn lock_folder(&self) -> AppResult<FolderLock> {
        FolderLock::acquire(self.root())
    }
}

/// A file's identity and size and modification time: a rename into place (every write)
/// gives a new inode, so two versions never share a stamp even within one clock tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

pub fn stamp_of(path: &Path) -> AppResult<Option<Stamp>> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::storage("inspect", path, e)),
    }
}

/// An exclusive advisory lock on `<folder>/.lock` (flock on Unix, LockFileEx on Windows),
/// released when dropped or when the process dies, so a kill -9 never leaves it held.
pub struct FolderLock {
    _file: fs::File,
}

impl FolderLock {
    pub fn acquire(folder: &Path) -> AppResult<Self> {
        fs::create_dir_all(folder).map_err(|e| AppError::storage("create folder", folder, e))?;
        let path = folder.join(".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| AppError::storage("open", &path, e))?;
        file.lock()
            .map_err(|e| AppError::storage("lock", &path, e))?;
        Ok(Self { _file: file })
    }
}

const EXTENSION: &str = ".json";

/// Maps a document name to its file; names are ids we generate, checked to stay inside.
pub fn document_path(root: &Path, name: &str) -> AppResult<PathBuf> {
    let safe = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.');
    if !safe {
        return Err(AppError::invalid_input(format!(
            "not a valid document name: {name:?}"
        )));
    }
    Ok(root.join(format!("{name}{EXTENSION}")))
}

pub fn parses_as_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Document>(bytes).is_ok()
}

pub fn list_names(root: &Path) -> AppResult<Vec<String>> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AppError::storage("list", root, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AppError::storage("list", root, e))?;
        if let Some(name) = entry.file_name().to_str() {
            if let Some(stem) = name.strip_suffix(EXTENSION) {
                if !stem.contains(".tmp-") && !stem.starts_with('.') {
                    names.push(stem.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// Reads and parses a document file; one that does not parse goes through
/// `ensure_loadable` (moved aside, its last good copy restored) and is read again.
pub fn read_checked(path: &Path, recoveries: &Mutex<Vec<Recovery>>) -> AppResult<Option<Document>> {
    // A whole file, every read but a damaged one's, costs one read and one parse.
    match fs::read(path) {
        Ok(bytes) => {
            if let Ok(doc) = serde_json::from_slice(&bytes) {
                return Ok(Some(doc));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AppError::storage("read", path, e)),
    }
    let recovery = atomic::ensure_loadable(path, parses_as_object)?;
    if recovery != Recovery::Clean {
        recoveries.lock().unwrap().push(recovery);
    }
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AppError::storage("parse", path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::storage("read", path, e)),
    }
}

/// Document `name` parsed straight into `T` from its file (every `DocumentStore` keeps
/// each document in `document_path`): one read and one parse, with no `Document` in
/// between, for reads on every request. `None` when the file is missing, damaged or not a
/// `T`; the caller then takes `DocumentStore::read`, which repairs and reports.
pub fn read_file_as<T: DeserializeOwned>(root: &Path, name: &str) -> Option<T> {
    let bytes = fs::read(document_path(root, name).ok()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn remove_file(path: &Path) -> AppResult<()> {
    for file in [path.to_path_buf(), atomic::backup_path(path)] {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(AppError::storage("delete", &file, e)),
        }
    }
    Ok(())
}

/// Documents as plain files in a folder: `serve`, benchmarks and tests.
pub struct FileDocuments {
    root: PathBuf,
    recoveries: Mutex<Vec<Recovery>>,
}

impl FileDocuments {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            recoveries: Mutex::new(Vec::new()),
        }
    }
}

impl DocumentStore for FileDocuments {
    fn root(&self) -> &Path {
        &self.root
    }

    fn read(&self, name: &str) -> AppResult<Option<Document>> {
        read_checked(&document_path(&self.root, name)?, &self.recoveries)
    }

    fn write_with(&self, name: &str, doc: &Document, flush: Flush) -> AppResult<()> {
        atomic::write_json_with(&document_path(&self.root, name)?, doc, flush)
    }

    fn write_encoded(&self, name: &str, bytes: &[u8], flush: Flush) -> AppResult<()> {
        atomic::write_with(&document_path(&self.root, name)?, bytes, flush)
    }

    fn remove(&self, name: &str) -> AppResult<()> {
        remove_file(&document_path(&self.root, name)?)
    }

    fn names(&self) -> AppResult<Vec<String>> {
        list_names(&self.root)
    }

    fn take_recoveries(&self) -> Vec<Recovery> {
        std::mem::take(&mut self.recoveries.lock().unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_list() {
        let dir = tempfile::tempdir().unwrap();
        let docs = FileDocuments::new(dir.path().join("threads"));
        assert!(docs.read("thr_1").unwrap().is_none());
        let mut doc = Document::new();
        doc.insert("a".into(), 1.into());
        docs.write("thr_1", &doc).unwrap();
        docs.write("thr_1", &doc).unwrap();
        docs.write("index", &doc).unwrap();
        let mut names = docs.names().unwrap();
        names.sort();
        assert_eq!(names, vec!["index", "thr_1"]);
        assert_eq!(docs.read("thr_1").unwrap(), Some(doc));
        docs.remove("thr_1").unwrap();
        assert!(docs.read("thr_1").unwrap().is_none());
        assert_eq!(docs.names().unwrap(), vec!["index"]);
    }

    #[test]
    fn names_cannot_escape_the_folder() {
        let docs = FileDocuments::new("/tmp/x");
        for bad in ["../etc/passwd", "a/b", "", ".hidden"] {
            assert!(docs.read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_corrupt_document_is_reported_and_its_backup_read() {
        let dir = tempfile::tempdir().unwrap();
        let docs = FileDocuments::new(dir.path());
        let mut doc = Document::new();
        doc.insert("v".into(), 1.into());
        docs.write("d", &doc).unwrap();
        doc.insert("v".into(), 2.into());
        docs.write("d", &doc).unwrap();
        std::fs::write(dir.path().join("d.json"), b"{\"v\": 3").unwrap();
        assert_eq!(docs.read("d").unwrap().unwrap()["v"], 1);
        let recoveries = docs.take_recoveries();
        assert!(matches!(
            recoveries.as_slice(),
            [Recovery::Quarantined {
                restored_from_backup: true,
                ..
            }]
        ));
        assert!(docs.take_recoveries().is_empty());
    }
}
