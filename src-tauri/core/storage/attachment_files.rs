//! Attachments on disk: `attachments/` in the data folder, beside `threads/`, with two
//! files per attachment: `att_….json` (its ChatKit metadata) and `att_….bin` (its bytes),
//! each written crash-safely. Ids are checked before they name a file, so a request can
//! never reach outside the folder.

use std::fs;
use std::path::{Path, PathBuf};

use crate::chatkit::types::Attachment;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::{self, backup_path};

pub struct AttachmentFiles {
    dir: PathBuf,
}

/// `att_` and 16 lowercase hex digits, as `new_id("att")` makes them.
pub fn valid_id(id: &str) -> bool {
    id.strip_prefix("att_").is_some_and(|rest| {
        rest.len() == 16
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!("No attachment with id {id}; attach the file again."),
    )
}

impl AttachmentFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str, extension: &str) -> AppResult<PathBuf> {
        if !valid_id(id) {
            return Err(not_found(id));
        }
        Ok(self.dir.join(format!("{id}.{extension}")))
    }

    pub fn save(&self, attachment: &Attachment) -> AppResult<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| AppError::storage("create folder", &self.dir, e))?;
        atomic::write_json(&self.path(&attachment.id, "json")?, attachment)
    }

    pub fn load(&self, id: &str) -> AppResult<Attachment> {
        let path = self.path(id, "json")?;
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found(id)),
            Err(e) => return Err(AppError::storage("read", &path, e)),
        };
        serde_json::from_slice(&text).map_err(|e| {
            AppError::new(
                ErrorCode::StorageCorrupt,
                format!("Attachment {id} has unreadable metadata ({e}); attach the file again."),
            )
        })
    }

    pub fn write_bytes(&self, id: &str, bytes: &[u8]) -> AppResult<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| AppError::storage("create folder", &self.dir, e))?;
        atomic::write_atomic(&self.path(id, "bin")?, bytes)
    }

    /// The bytes, or `None` when they were never uploaded.
    pub fn read_bytes(&self, id: &str) -> AppResult<Option<Vec<u8>>> {
        let path = self.path(id, "bin")?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AppError::storage("read", &path, e)),
        }
    }

    pub fn has_bytes(&self, id: &str) -> bool {
        self.path(id, "bin").is_ok_and(|p| p.is_file())
    }

    /// Removes the attachment's files (and their backups); gone already is fine.
    pub fn delete(&self, id: &str) -> AppResult<()> {
        for extension in ["bin", "json"] {
            let path = self.path(id, extension)?;
            for file in [backup_path(&path), path] {
                match fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(AppError::storage("delete", &file, e)),
                }
            }
        }
        Ok(())
    }

    /// Deletes every attachment sent in `thread_id`; returns how many.
    pub fn delete_thread(&self, thread_id: &str) -> AppResult<usize> {
        self.delete_where(|meta, _| meta.thread_id.as_deref() == Some(thread_id))
    }

    /// Deletes attachments never sent in a message whose metadata is older than `age`
    /// (the composer was closed, or the app quit, before sending); returns how many.
    pub fn delete_unsent_older_than(&self, age: std::time::Duration) -> AppResult<usize> {
        let now = std::time::SystemTime::now();
        self.delete_where(|meta, modified| {
            meta.thread_id.is_none()
                && modified.is_some_and(|at| now.duration_since(at).unwrap_or_default() > age)
        })
    }

    fn delete_where(
        &self,
        doomed: impl Fn(&Attachment, Option<std::time::SystemTime>) -> bool,
    ) -> AppResult<usize> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(AppError::storage("list", &self.dir, e)),
        };
        let mut deleted = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if !valid_id(id) {
                continue;
            }
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            match self.load(id) {
                Ok(meta) if doomed(&meta, modified) => {
                    self.delete(id)?;
                    deleted += 1;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("skipping attachment {id}: {}", e.message),
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatkit::store::new_id;
    use crate::chatkit::types::AttachmentKind;

    fn file(thread: Option<&str>) -> Attachment {
        Attachment {
            id: new_id("att"),
            name: "notes.txt".into(),
            mime_type: "text/plain".into(),
            upload_descriptor: None,
            thread_id: thread.map(str::to_string),
            kind: AttachmentKind::File,
        }
    }

    #[test]
    fn ids_that_could_name_other_files_are_refused() {
        assert!(valid_id(&new_id("att")));
        for bad in [
            "att_../../etc/pas",
            "att_0123456789ABCDEF",
            "thr_0123456789abcdef",
            "att_1",
            "",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let files = AttachmentFiles::new(dir.path());
        assert_eq!(
            files.load("att_../x").unwrap_err().code,
            ErrorCode::NotFound
        );
        assert!(files.write_bytes("../escape", b"x").is_err());
        assert!(!dir.path().parent().unwrap().join("escape.bin").exists());
    }

    #[test]
    fn deleting_a_thread_deletes_its_attachments_only() {
        let dir = tempfile::tempdir().unwrap();
        let files = AttachmentFiles::new(dir.path().join("attachments"));
        let (mine, other, unsent) = (file(Some("thr_a")), file(Some("thr_b")), file(None));
        for a in [&mine, &other, &unsent] {
            files.save(a).unwrap();
            files.write_bytes(&a.id, b"hello").unwrap();
        }
        assert_eq!(files.read_bytes(&mine.id).unwrap().unwrap(), b"hello");
        assert_eq!(files.delete_thread("thr_a").unwrap(), 1);
        assert_eq!(files.load(&mine.id).unwrap_err().code, ErrorCode::NotFound);
        assert!(files.read_bytes(&mine.id).unwrap().is_none());
        assert_eq!(files.load(&other.id).unwrap(), other);
        assert!(files.has_bytes(&unsent.id));

        // Unsent and old: swept; unsent and recent, or sent: kept.
        assert_eq!(
            files
                .delete_unsent_older_than(std::time::Duration::from_secs(3600))
                .unwrap(),
            0
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            files
                .delete_unsent_older_than(std::time::Duration::from_millis(10))
                .unwrap(),
            1
        );
        assert!(!files.has_bytes(&unsent.id));
        assert_eq!(files.load(&other.id).unwrap(), other);
    }
}
