//! Opening `tasks.db`, the SQLite database every process on a data folder shares (the app,
//! `serve`, `tasks …`): WAL so readers never wait for the writer, a busy timeout so a writer
//! waits its turn instead of failing, numbered migrations in `user_version`.
//!
//! - A database from a newer version of the app is refused, and nothing in it is written.
//! - A database that fails `PRAGMA quick_check` (or is not a database) is moved aside as
//!   `tasks.db.corrupt-<time>` (its `-wal` beside it), reported, and an empty one used.
//! - On first open, the `tasks.json` of earlier versions (schema 2: tasks, outbox, sync
//!   state, conflicts) is imported in the same transaction that creates the tables, then
//!   renamed `tasks.json.imported` and never read again.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode as SqliteCode};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::{self, Recovery};
use crate::storage::documents::parses_as_object;
use crate::tasks::model::Task;
use crate::tasks::rows::{self, sql_error};
use crate::tasks::store::Inner;
use crate::tasks::sync_state::SyncState;

pub const DB_FILE: &str = "tasks.db";
pub const LEGACY_FILE: &str = "tasks.json";
pub const IMPORTED_FILE: &str = "tasks.json.imported";
/// The newest `tasks.json` schema: 2 added the sync state; 1 reads as having none.
pub const LEGACY_SCHEMA_VERSION: u64 = 2;
/// How long a write waits for another process's write to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Migration n (1-based) takes `user_version` from n-1 to n. Never edit one that shipped;
/// add the next.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE tasks (
    id TEXT PRIMARY KEY NOT NULL,
    -- The list's order: positions have gaps, so a task put back between two others
    -- renumbers nothing.
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    completed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_by_position ON tasks (position);
CREATE TABLE sync_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    backend_url TEXT,
    user_id TEXT,
    next_seq INTEGER NOT NULL DEFAULT 0,
    last_synced_at TEXT
);
INSERT INTO sync_meta (id) VALUES (1);
-- One row per queued op, in `seq` order; `op` is the op as JSON (sync_state::QueuedOp).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY NOT NULL,
    local_id TEXT NOT NULL,
    op TEXT NOT NULL
);
CREATE TABLE server_ids (
    local_id TEXT PRIMARY KEY NOT NULL,
    server_id TEXT NOT NULL
);
CREATE TABLE bases (
    local_id TEXT PRIMARY KEY NOT NULL,
    fields TEXT NOT NULL
);
CREATE TABLE conflicts (
    n INTEGER PRIMARY KEY NOT NULL,
    conflict TEXT NOT NULL
);
"#];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

fn connect(path: &Path) -> AppResult<Connection> {
    let conn = Connection::open(path).map_err(|e| AppError::storage("open", path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| AppError::storage("configure", path, e))?;
    Ok(conn)
}

/// Runs `step` again while SQLite answers busy, until `BUSY_TIMEOUT` has passed in all. SQLite
/// answers busy at once, without its busy handler, where waiting could deadlock or while
/// another connection recovers the log a killed process left; a retry a moment later
/// succeeds. A lock truly held for the whole timeout still fails, after the timeout.
pub fn retry_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match step() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(SqliteCode::DatabaseBusy | SqliteCode::DatabaseLocked)
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(SqliteCode::NotADatabase | SqliteCode::DatabaseCorrupt)
    )
}

/// `Ok(false)` when the file is damaged; other failures (a lock held too long) are errors.
fn passes_check(conn: &Connection, path: &Path) -> AppResult<bool> {
    match retry_busy(|| conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))) {
        Ok(verdict) => Ok(verdict == "ok"),
        Err(e) if is_corruption(&e) => Ok(false),
        Err(e) => Err(AppError::storage("check", path, e)),
    }
}

/// Moves the database and its WAL aside under one name, so the pair can still be opened
/// (and read by hand) later.
fn quarantine(path: &Path) -> AppResult<Recovery> {
    let aside = atomic::corrupt_path(path);
    fs::rename(path, &aside).map_err(|e| AppError::storage("move aside", path, e))?;
    let _ = fs::rename(
        atomic::sibling(path, "-wal"),
        atomic::sibling(&aside, "-wal"),
    );
    let _ = fs::remove_file(atomic::sibling(path, "-shm"));
    tracing::warn!(file = %path.display(), moved_to = %aside.display(), "task database failed its check; moved aside");
    Ok(Recovery::Quarantined {
        quarantined: aside.display().to_string(),
        restored_from_backup: false,
    })
}

fn user_version(conn: &Connection) -> AppResult<i64> {
    retry_busy(|| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(|e| sql_error("read the version of", e))
}

fn newer(version: i64) -> AppError {
    AppError::new(
        ErrorCode::StorageFailed,
        format!("tasks.db was written by a newer version of Todo Assistant (schema {version}, this one knows {SCHEMA_VERSION}); update the app to open it. Nothing in it was changed."),
    )
}

/// The database, checked, migrated and ready; and what had to be repaired on the way.
pub fn open(data_dir: &Path) -> AppResult<(Connection, Vec<Recovery>)> {
    fs::create_dir_all(data_dir).map_err(|e| AppError::storage("create folder", data_dir, e))?;
    let path = db_path(data_dir);
    let mut recoveries = Vec::new();
    let mut conn = connect(&path)?;
    if !passes_check(&conn, &path)? {
        drop(conn);
        recoveries.push(quarantine(&path)?);
        conn = connect(&path)?;
    }
    // Read before anything is set: a newer database is left exactly as it is.
    let version = user_version(&conn)?;
    if version > SCHEMA_VERSION {
        return Err(newer(version));
    }
    let mode: String = retry_busy(|| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)))
        .map_err(|e| sql_error("configure", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the task database is not in WAL mode");
    }
    // FULL: a change reported done survives a power cut, not only a crash of the process.
    retry_busy(|| conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"))
        .map_err(|e| sql_error("configure", e))?;
    if version < SCHEMA_VERSION {
        migrate(&conn, data_dir, &mut recoveries)?;
    }
    Ok((conn, recoveries))
}

/// Runs the missing migrations in one transaction. Several processes may open a new folder
/// at once: the write lock makes one of them migrate, and the others find it done.
fn migrate(conn: &Connection, data_dir: &Path, recoveries: &mut Vec<Recovery>) -> AppResult<()> {
    // Retried like every other write lock: SQLite can answer busy at once, without its busy
    // handler, while another process recovers the log a killed one left.
    retry_busy(|| conn.execute_batch("BEGIN IMMEDIATE")).map_err(|e| sql_error("lock", e))?;
    let imported = match migrate_locked(conn, data_dir, recoveries) {
        Ok(imported) => imported,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    if imported {
        // Kept as the backup of what was imported; a crash before this rename leaves
        // tasks.json in place, and it is ignored from now on all the same.
        let legacy = data_dir.join(LEGACY_FILE);
        if let Err(e) = fs::rename(&legacy, data_dir.join(IMPORTED_FILE)) {
            tracing::warn!("imported tasks.json but could not rename it: {e}");
        }
        tracing::info!("imported tasks.json into tasks.db");
    }
    Ok(())
}

/// The migration inside the write lock, committed; whether tasks.json was imported.
fn migrate_locked(
    conn: &Connection,
    data_dir: &Path,
    recoveries: &mut Vec<Recovery>,
) -> AppResult<bool> {
    let from = user_version(conn)?;
    if from > SCHEMA_VERSION {
        return Err(newer(from));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        conn.execute_batch(sql)
            .map_err(|e| sql_error(&format!("migrate (step {})", n + 1), e))?;
    }
    let imported = if from == 0 {
        import_legacy(conn, data_dir, recoveries)?
    } else {
        false
    };
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| sql_error("migrate", e))?;
    conn.execute_batch("COMMIT")
        .map_err(|e| sql_error("migrate", e))?;
    Ok(imported)
}

#[derive(Deserialize)]
struct LegacyDoc {
    tasks: Vec<Task>,
    #[serde(default)]
    sync: SyncState,
}

/// Reads `tasks.json` (repairing it from its `.bak` like any document) into the new tables.
fn import_legacy(
    conn: &Connection,
    data_dir: &Path,
    recoveries: &mut Vec<Recovery>,
) -> AppResult<bool> {
    let path = data_dir.join(LEGACY_FILE);
    if !path.exists() {
        return Ok(false);
    }
    let recovery = atomic::ensure_loadable(&path, parses_as_object)?;
    if recovery != Recovery::Clean {
        recoveries.push(recovery);
    }
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(AppError::storage("read", &path, e)),
    };
    let doc: Value =
        serde_json::from_slice(&bytes).map_err(|e| AppError::storage("parse", &path, e))?;
    let version = doc
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if version > LEGACY_SCHEMA_VERSION {
        return Err(AppError::new(
            ErrorCode::StorageFailed,
            format!("tasks.json was written by a newer version of Todo Assistant (schema {version}); update the app to read it."),
        ));
    }
    let doc: LegacyDoc = serde_json::from_value(doc).map_err(|e| {
        AppError::new(
            ErrorCode::StorageCorrupt,
            format!("tasks.json does not have the expected shape: {e}"),
        )
    })?;
    let inner = Inner {
        tasks: doc.tasks,
        sync: doc.sync,
    };
    rows::write_diff(conn, &Inner::default(), &Default::default(), &inner)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::model::StatusFilter;
    use crate::tasks::store::TaskStore;
    use crate::tasks::sync_state::{Field, OutboxOp};

    /// A `tasks.json` as the JSON store of the previous version wrote it: connected, one
    /// task synced, one edit, one create and one delete queued (the create already sent
    /// once), and a conflict to show.
    const SCHEMA_2: &str = r#"{
      "schema_version": 2,
      "tasks": [
        {"id": "task_synced", "title": "Buy milk", "description": "2 litres", "completed": true,
         "created_at": "2026-11-20T08:00:00.123456Z", "updated_at": "2026-11-21T09:30:00Z"},
        {"id": "task_new", "title": "Call mum", "completed": false,
         "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"}
      ],
      "sync": {
        "target": {"backend_url": "http://127.0.0.1:8000", "user_id": "alice"},
        "next_seq": 7,
        "outbox": [
          {"seq": 4, "op": "edit", "local_id": "task_synced", "fields": ["completed"]},
          {"seq": 5, "op": "create", "local_id": "task_new",
           "attempt": {"title": "Call mum", "description": null, "completed": false}},
          {"seq": 6, "op": "delete", "local_id": "task_gone", "server_id": "41"}
        ],
        "server_ids": {"task_synced": "40", "task_gone": "41"},
        "bases": {"task_synced": {"title": "Buy milk", "description": "2 litres", "completed": false},
                  "task_gone": {"title": "Old", "description": null, "completed": false}},
        "conflicts": [{"task_id": "task_synced", "field": "title", "local_value": "Milk",
                       "server_value": "Buy milk", "message": "Changed on another device too."}],
        "last_synced_at": "2026-11-21T09:00:00Z"
      }
    }"#;

    #[test]
    fn a_schema_2_tasks_json_is_imported_whole_once_and_kept_as_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LEGACY_FILE), SCHEMA_2).unwrap();
        let expected: LegacyDoc = serde_json::from_str(SCHEMA_2).unwrap();

        let store = TaskStore::open(dir.path()).unwrap();
        let got = store.snapshot();
        assert_eq!(got.tasks, expected.tasks);
        assert_eq!(got.sync, expected.sync);
        assert!(!dir.path().join(LEGACY_FILE).exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(IMPORTED_FILE)).unwrap(),
            SCHEMA_2
        );

        // The queue goes on from where it was: the next edit is seq 7, after the others.
        store
            .update("task_synced", Some("Buy oat milk"), None)
            .unwrap();
        let outbox = store.snapshot().sync.outbox;
        assert_eq!(outbox.len(), 3, "coalesced into the queued edit");
        assert_eq!(
            outbox[0].op,
            OutboxOp::Edit {
                local_id: "task_synced".into(),
                fields: vec![Field::Completed, Field::Title]
            }
        );
        drop(store);

        // A tasks.json put back later (an older app version) is not imported again.
        std::fs::write(dir.path().join(LEGACY_FILE), SCHEMA_2).unwrap();
        let store = TaskStore::open(dir.path()).unwrap();
        assert_eq!(store.get("task_synced").unwrap().title, "Buy oat milk");
        assert_eq!(store.list(StatusFilter::All).len(), 2);
        assert_eq!(store.snapshot().sync.outbox.len(), 3);
    }

    #[test]
    fn many_openers_of_one_new_folder_migrate_it_and_import_tasks_json_once() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(LEGACY_FILE), SCHEMA_2).unwrap();
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    let path = dir.path().to_path_buf();
                    std::thread::spawn(move || open(&path).map(|(conn, _)| user_version(&conn)))
                })
                .collect();
            for opener in openers {
                assert_eq!(opener.join().unwrap().unwrap().unwrap(), SCHEMA_VERSION);
            }
            let store = TaskStore::open(dir.path()).unwrap();
            assert_eq!(store.list(StatusFilter::All).len(), 2, "imported once");
            assert_eq!(store.snapshot().sync.outbox.len(), 3);
        }
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        drop(TaskStore::open(dir.path()).unwrap());
        {
            let conn = Connection::open(db_path(dir.path())).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
            conn.execute_batch("PRAGMA journal_mode = DELETE").unwrap();
        }
        let before = std::fs::read(db_path(dir.path())).unwrap();
        let err = TaskStore::open(dir.path()).err().unwrap();
        assert_eq!(err.code, ErrorCode::StorageFailed);
        assert!(err.message.contains("newer version"), "{}", err.message);
        assert_eq!(std::fs::read(db_path(dir.path())).unwrap(), before);
        assert!(
            !dir.path().join("tasks.db-wal").exists(),
            "not even WAL mode was set"
        );
    }

    #[test]
    fn a_newer_tasks_json_is_refused_and_nothing_is_created_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let newer = r#"{"schema_version": 3, "tasks": []}"#;
        std::fs::write(dir.path().join(LEGACY_FILE), newer).unwrap();
        let err = TaskStore::open(dir.path()).err().unwrap();
        assert_eq!(err.code, ErrorCode::StorageFailed);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LEGACY_FILE)).unwrap(),
            newer
        );
        let conn = Connection::open(db_path(dir.path())).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 0, "the migration rolled back");
    }

    fn quarantined(recoveries: &[Recovery]) -> PathBuf {
        match recoveries {
            [Recovery::Quarantined {
                quarantined,
                restored_from_backup: false,
            }] => PathBuf::from(quarantined),
            other => panic!("expected one quarantine, got {other:?}"),
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_moved_aside_and_an_empty_store_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            db_path(dir.path()),
            b"this is not SQLite at all, only some text",
        )
        .unwrap();
        let store = TaskStore::open(dir.path()).unwrap();
        assert!(store.list(StatusFilter::All).is_empty());
        let aside = quarantined(&store.take_recoveries());
        assert!(aside
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("tasks.db.corrupt-"));
        assert_eq!(
            std::fs::read(&aside).unwrap(),
            b"this is not SQLite at all, only some text"
        );
        store.add("Works again", None).unwrap();
        drop(store);
        let store = TaskStore::open(dir.path()).unwrap();
        assert!(store.take_recoveries().is_empty());
        assert_eq!(store.list(StatusFilter::All).len(), 1);
    }

    #[test]
    fn a_database_with_a_damaged_table_fails_its_check_and_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = TaskStore::open(dir.path()).unwrap();
            store
                .transact(|inner| {
                    for n in 0..2_000 {
                        let at = crate::chatkit::types::now();
                        inner.tasks.push(Task {
                            id: format!("task_{n:05}"),
                            title: format!("A task with a longish title, number {n}"),
                            description: Some("x".repeat(100)),
                            completed: false,
                            created_at: at,
                            updated_at: at,
                        });
                    }
                    Ok(())
                })
                .unwrap();
        }
        {
            // Fold the WAL in, so the damage below hits the pages the tasks are on.
            let conn = Connection::open(db_path(dir.path())).unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE")
                .unwrap();
        }
        let mut bytes = std::fs::read(db_path(dir.path())).unwrap();
        let page = 4096;
        assert!(bytes.len() > 20 * page, "{} bytes", bytes.len());
        // Scribble over a few interior pages, leaving the header and schema page whole.
        for byte in &mut bytes[5 * page..9 * page] {
            *byte = 0x5a;
        }
        std::fs::write(db_path(dir.path()), &bytes).unwrap();

        let store = TaskStore::open(dir.path()).unwrap();
        let aside = quarantined(&store.take_recoveries());
        assert_eq!(std::fs::read(&aside).unwrap(), bytes, "kept as it was");
        assert!(store.list(StatusFilter::All).is_empty());
    }
}
