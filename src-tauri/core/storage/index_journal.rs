//! The thread index's journal, `index.jsonl` beside `index.json`: creating, renaming or
//! deleting a thread appends one line instead of rewriting the whole index, so the cost
//! does not grow with the number of threads. Now and then the journal is folded into a
//! new `index.json` (compaction) and started again.
//!
//! The first line names the generation of `index.json` the journal continues; compaction
//! writes the new index (one generation up) before the new journal, so a reader that sees
//! two different generations knows it raced a compaction (or a crash interrupted one) and
//! rereads. A line is complete only with its newline: a crash mid-append leaves a torn
//! tail that readers skip and the next writer cuts off. Entries are whole assignments
//! (this thread's metadata is now X, this thread is gone), so applying one twice is
//! harmless.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chatkit::types::ThreadMetadata;
use crate::error::{AppError, AppResult};
use crate::storage::atomic;

pub const JOURNAL_FILE: &str = "index.jsonl";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Header { generation: u64 },
    Put { seq: u64, thread: ThreadMetadata },
    Deleted { deleted: String },
}

/// Which file a journal is: compaction replaces it with a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId(u64);

fn file_id(meta: &fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        FileId(std::os::unix::fs::MetadataExt::ino(meta))
    }
    #[cfg(not(unix))]
    {
        let created = meta
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        FileId(created)
    }
}

/// How far this process has read the journal.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    pub file: Option<FileId>,
    /// Bytes of complete lines read so far.
    pub offset: u64,
    /// The header's generation; `None` when there is no journal (yet).
    pub generation: Option<u64>,
    /// Entries after the header: compaction is due when they outnumber the threads.
    pub entries: usize,
}

/// What is new in the journal since a cursor.
pub enum Tail {
    /// Nothing new.
    Same,
    /// Lines appended to the same file: apply them and move the cursor.
    Appended(Vec<Entry>, Cursor),
    /// Another file (compaction) or a shorter one: read everything again.
    Replaced,
}

pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(folder: &Path) -> Self {
        Self {
            path: folder.join(JOURNAL_FILE),
        }
    }

    fn err(&self, what: &str, e: std::io::Error) -> AppError {
        AppError::storage(what, &self.path, e)
    }

    /// Everything in the journal, from its first line.
    pub fn read_all(&self) -> AppResult<(Vec<Entry>, Cursor)> {
        match self.read_new(&Cursor::default())? {
            Tail::Appended(entries, cursor) => Ok((entries, cursor)),
            Tail::Same | Tail::Replaced => Ok((Vec::new(), Cursor::default())),
        }
    }

    /// The complete lines added since `cursor`, without reading what it already covers.
    pub fn read_new(&self, cursor: &Cursor) -> AppResult<Tail> {
        // Every request asks; one stat answers "nothing new" without opening the file.
        if let (Some(seen), Ok(meta)) = (cursor.file, fs::metadata(&self.path)) {
            if file_id(&meta) == seen && meta.len() == cursor.offset {
                return Ok(Tail::Same);
            }
        }
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(if cursor.file.is_none() {
                    Tail::Same
                } else {
                    Tail::Replaced
                });
            }
            Err(e) => return Err(self.err("open", e)),
        };
        let meta = file.metadata().map_err(|e| self.err("inspect", e))?;
        let id = file_id(&meta);
        if cursor.file.is_some_and(|seen| seen != id) || meta.len() < cursor.offset {
            return Ok(Tail::Replaced);
        }
        if cursor.file.is_some() && meta.len() == cursor.offset {
            return Ok(Tail::Same);
        }
        let mut bytes = Vec::with_capacity((meta.len() - cursor.offset) as usize);
        file.seek(SeekFrom::Start(cursor.offset))
            .and_then(|_| file.read_to_end(&mut bytes))
            .map_err(|e| self.err("read", e))?;
        // A line without its newline is a torn append: not there yet.
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if complete == 0 && cursor.file == Some(id) {
            return Ok(Tail::Same);
        }
        let mut next = Cursor {
            file: Some(id),
            offset: cursor.offset + complete as u64,
            ..cursor.clone()
        };
        let mut entries = Vec::new();
        for line in bytes[..complete].split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Entry>(line) {
                Ok(Entry::Header { generation }) => next.generation = Some(generation),
                Ok(entry) => {
                    next.entries += 1;
                    entries.push(entry);
                }
                // The thread files are the truth; a damaged line is rebuilt from them at
                // the next start.
                Err(e) => tracing::warn!("skipping a damaged line of {JOURNAL_FILE}: {e}"),
            }
        }
        Ok(Tail::Appended(entries, next))
    }

    /// Appends `entry` after the lines `cursor` covers (cutting off a torn tail), starting
    /// a journal for `generation` if there is none. Callers hold the folder lock and have
    /// just read the journal to `cursor`. `flush`: whether the line must survive a power
    /// cut before this returns.
    pub fn append(
        &self,
        cursor: &mut Cursor,
        generation: u64,
        entry: &Entry,
        flush: bool,
    ) -> AppResult<()> {
        let mut line = encode(entry)?;
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(|e| self.err("open", e))?;
        let meta = file.metadata().map_err(|e| self.err("inspect", e))?;
        let fresh = meta.len() == 0;
        if !fresh && cursor.file != Some(file_id(&meta)) {
            return Err(AppError::internal(
                "the thread journal changed while the folder was locked",
            ));
        }
        if fresh {
            let mut header = encode(&Entry::Header { generation })?;
            header.append(&mut line);
            line = header;
            *cursor = Cursor {
                file: Some(file_id(&meta)),
                offset: 0,
                generation: Some(generation),
                entries: 0,
            };
        }
        if meta.len() != cursor.offset {
            file.set_len(cursor.offset)
                .map_err(|e| self.err("cut a torn line from", e))?;
        }
        file.seek(SeekFrom::Start(cursor.offset))
            .and_then(|_| file.write_all(&line))
            .map_err(|e| self.err("append to", e))?;
        if flush {
            file.sync_data().map_err(|e| self.err("flush", e))?;
            if fresh {
                atomic::sync_dir(self.path.parent().unwrap_or(Path::new(".")));
            }
        }
        cursor.offset += line.len() as u64;
        cursor.entries += 1;
        Ok(())
    }

    /// Starts an empty journal for `generation`, replacing the old one whole. Called
    /// after the index of that generation is written, under the folder lock.
    pub fn restart(&self, generation: u64) -> AppResult<Cursor> {
        let header = encode(&Entry::Header { generation })?;
        atomic::replace_file(&self.path, &header)?;
        let meta = fs::metadata(&self.path).map_err(|e| self.err("inspect", e))?;
        Ok(Cursor {
            file: Some(file_id(&meta)),
            offset: header.len() as u64,
            generation: Some(generation),
            entries: 0,
        })
    }
}

fn encode(entry: &Entry) -> AppResult<Vec<u8>> {
    let mut line = serde_json::to_vec(entry)
        .map_err(|e| AppError::internal(format!("could not encode a journal line: {e}")))?;
    line.push(b'\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatkit::types::{now, ThreadStatus};

    fn put(seq: u64, id: &str) -> Entry {
        Entry::Put {
            seq,
            thread: ThreadMetadata {
                title: None,
                id: id.into(),
                created_at: now(),
                status: ThreadStatus::Active,
                allowed_image_domains: None,
                metadata: Default::default(),
            },
        }
    }

    fn ids(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Put { thread, .. } => thread.id.clone(),
                Entry::Deleted { deleted } => format!("-{deleted}"),
                Entry::Header { .. } => "header".into(),
            })
            .collect()
    }

    #[test]
    fn appends_are_read_incrementally_and_a_torn_tail_is_skipped_then_cut() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        let mut writer = Cursor::default();
        journal
            .append(&mut writer, 3, &put(0, "thr_a"), true)
            .unwrap();
        let (all, reader) = journal.read_all().unwrap();
        assert_eq!(ids(&all), ["thr_a"]);
        assert_eq!(reader.generation, Some(3));
        assert_eq!(reader.offset, writer.offset);

        journal
            .append(
                &mut writer,
                3,
                &Entry::Deleted {
                    deleted: "thr_a".into(),
                },
                false,
            )
            .unwrap();
        // A crash mid-append: half a line, no newline.
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(JOURNAL_FILE))
            .unwrap();
        file.write_all(br#"{"seq":2,"thread":{"id":"thr_to"#)
            .unwrap();
        let Tail::Appended(new, reader) = journal.read_new(&reader).unwrap() else {
            panic!("expected the appended line");
        };
        assert_eq!(ids(&new), ["-thr_a"], "only the complete line");
        assert!(matches!(journal.read_new(&reader).unwrap(), Tail::Same));

        // The next writer cuts the torn tail off before appending.
        let mut writer = reader.clone();
        journal
            .append(&mut writer, 3, &put(2, "thr_b"), true)
            .unwrap();
        let (all, cursor) = journal.read_all().unwrap();
        assert_eq!(ids(&all), ["thr_a", "-thr_a", "thr_b"]);
        assert_eq!(cursor.entries, 3);
    }

    #[test]
    fn a_restarted_journal_is_seen_as_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        let mut cursor = Cursor::default();
        journal
            .append(&mut cursor, 0, &put(0, "thr_a"), true)
            .unwrap();
        journal
            .append(&mut cursor, 0, &put(1, "thr_b"), true)
            .unwrap();
        let (_, seen) = journal.read_all().unwrap();
        let restarted = journal.restart(1).unwrap();
        assert!(matches!(journal.read_new(&seen).unwrap(), Tail::Replaced));
        let (all, cursor) = journal.read_all().unwrap();
        assert!(all.is_empty());
        assert_eq!(cursor.generation, Some(1));
        assert_eq!(cursor.offset, restarted.offset);
    }
}
