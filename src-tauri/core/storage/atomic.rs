//! Crash-safe files. A write goes to a temporary file that is flushed and then renamed over
//! the old one, after the old one was kept as `<name>.bak`; so at every instant the file on
//! disk is either the old or the new content, whole. A file that fails to parse is moved
//! aside, reported, and replaced by its last good copy: never overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{AppError, AppResult};

/// What loading a file found, so the caller can tell the user about a repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recovery {
    /// The file was fine, or did not exist yet.
    Clean,
    /// The file did not parse. It was moved to `quarantined`, and the last good copy
    /// took its place when there was one.
    Quarantined {
        quarantined: String,
        restored_from_backup: bool,
    },
}

/// `path` with `suffix` added to its file name, in the same folder.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Where a file that failed its check is moved: `<file>.corrupt-<unix ms>`.
pub fn corrupt_path(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    sibling(path, &format!(".corrupt-{stamp}"))
}

pub fn backup_path(path: &Path) -> PathBuf {
    sibling(path, ".bak")
}

/// Writes `bytes` to `path` so a crash at any instant leaves a whole, parseable file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> AppResult<()> {
    write_with(path, bytes, Flush::Now)
}

/// When a write must reach the disk itself, not only the operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Flushed (file and folder) before the write returns: survives a power cut.
    Now,
    /// Renamed into place unflushed: a killed process loses nothing (the kernel holds
    /// the data), a power cut before a later `sync_file` may bring back the `.bak`.
    Later,
}

/// Flushes a file written with `Flush::Later`, and its folder (the rename).
pub fn sync_file(path: &Path) -> AppResult<()> {
    match File::open(path) {
        Ok(file) => file
            .sync_all()
            .map_err(|e| AppError::storage("flush", path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(AppError::storage("open", path, e)),
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// `write_atomic`, flushed now or left for a later `sync_file`.
pub fn write_with(path: &Path, bytes: &[u8], flush: Flush) -> AppResult<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| AppError::storage("create folder", dir, e))?;

    let temp = sibling(path, &format!(".tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .map_err(|e| AppError::storage("create", &temp, e))?;
        file.write_all(bytes)
            .and_then(|()| match flush {
                Flush::Now => file.sync_all(),
                Flush::Later => Ok(()),
            })
            .map_err(|e| AppError::storage("write", &temp, e))?;
        drop(file);

        if path.exists() {
            // A hard link keeps the current version as the backup without a moment in
            // which `path` is missing; the rename over `.bak` is atomic.
            let staged_backup = sibling(path, &format!(".bak-{}", std::process::id()));
            let _ = fs::remove_file(&staged_backup);
            if fs::hard_link(path, &staged_backup).is_ok() {
                fs::rename(&staged_backup, backup_path(path))
                    .map_err(|e| AppError::storage("keep a backup of", path, e))?;
            } else {
                fs::copy(path, backup_path(path))
                    .map_err(|e| AppError::storage("keep a backup of", path, e))?;
            }
        }
        fs::rename(&temp, path).map_err(|e| AppError::storage("replace", path, e))?;
        if flush == Flush::Now {
            sync_dir(dir);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
pub fn sync_dir(dir: &Path) {
    // Makes the rename itself durable; failing here only weakens durability, not integrity.
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) {}

/// Serializes `value` as compact JSON and writes it crash-safely.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> AppResult<()> {
    write_json_with(path, value, Flush::Now)
}

pub fn write_json_with<T: Serialize>(path: &Path, value: &T, flush: Flush) -> AppResult<()> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| AppError::internal(format!("could not serialize {}: {e}", path.display())))?;
    write_with(path, &bytes, flush)
}

/// Replaces `path` with `bytes` whole and flushed, keeping no `.bak` (for files whose
/// content can be rebuilt, like the thread index's journal).
pub fn replace_file(path: &Path, bytes: &[u8]) -> AppResult<()> {
    let temp = sibling(path, &format!(".tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temp).map_err(|e| AppError::storage("create", &temp, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| AppError::storage("write", &temp, e))?;
        fs::rename(&temp, path).map_err(|e| AppError::storage("replace", path, e))?;
        sync_dir(path.parent().unwrap_or(Path::new(".")));
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Makes `path` safe to load: if it exists and `parses` rejects it, moves it aside and puts
/// the last good copy in its place. Returns what it did, for the caller to report.
pub fn ensure_loadable(path: &Path, parses: impl Fn(&[u8]) -> bool) -> AppResult<Recovery> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A crash between two renames cannot lose `path`, but a user may delete it.
            return Ok(Recovery::Clean);
        }
        Err(e) => return Err(AppError::storage("read", path, e)),
    };
    if parses(&bytes) {
        return Ok(Recovery::Clean);
    }

    let quarantined = corrupt_path(path);
    fs::rename(path, &quarantined).map_err(|e| AppError::storage("move aside", path, e))?;
    tracing::warn!(file = %path.display(), moved_to = %quarantined.display(), "file did not parse; moved aside");

    let backup = backup_path(path);
    let restored_from_backup = match fs::read(&backup) {
        Ok(good) if parses(&good) => {
            write_atomic(path, &good)?;
            true
        }
        _ => false,
    };
    Ok(Recovery::Quarantined {
        quarantined: quarantined.display().to_string(),
        restored_from_backup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_json(bytes: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    }

    #[test]
    fn write_replaces_content_and_keeps_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        write_atomic(&path, b"{\"v\":1}").unwrap();
        write_atomic(&path, b"{\"v\":2}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"v\":2}");
        assert_eq!(fs::read(backup_path(&path)).unwrap(), b"{\"v\":1}");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_the_backup_restored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        write_atomic(&path, b"{\"good\":true}").unwrap();
        write_atomic(&path, b"{\"good\":false}").unwrap();
        fs::write(&path, b"{\"trunc").unwrap();

        let recovery = ensure_loadable(&path, is_json).unwrap();
        let Recovery::Quarantined {
            quarantined,
            restored_from_backup,
        } = recovery
        else {
            panic!("expected a quarantine, got {recovery:?}");
        };
        assert!(restored_from_backup);
        assert_eq!(fs::read(&quarantined).unwrap(), b"{\"trunc");
        assert_eq!(fs::read(&path).unwrap(), b"{\"good\":true}");
    }

    #[test]
    fn corrupt_file_without_backup_is_kept_aside_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("threads.json");
        fs::write(&path, b"not json").unwrap();
        let recovery = ensure_loadable(&path, is_json).unwrap();
        match recovery {
            Recovery::Quarantined {
                quarantined,
                restored_from_backup: false,
            } => assert_eq!(fs::read(quarantined).unwrap(), b"not json"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(!path.exists());
    }

    #[test]
    fn clean_and_missing_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        assert_eq!(ensure_loadable(&path, is_json).unwrap(), Recovery::Clean);
        write_json(&path, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(ensure_loadable(&path, is_json).unwrap(), Recovery::Clean);
        assert!(path.exists());
    }
}
