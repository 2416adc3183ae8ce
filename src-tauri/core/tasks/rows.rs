//! The task tables and the in-memory `Inner` they hold: reading them whole, and writing
//! only the rows an edit changed, so an edit costs the same at 10 or 10,000 tasks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::tasks::model::Task;
use crate::tasks::store::Inner;
use crate::tasks::sync_state::{Conflict, QueuedOp, ServerFields, SyncState, SyncTarget};

/// Room between the positions of tasks added one after another, so a task put back between
/// two others (undo) takes a number between theirs and nothing else is renumbered.
pub const GAP: i64 = 1 << 16;

/// Where each task sits in the list, by id (the `position` column).
pub type Positions = HashMap<String, i64>;

pub fn sql_error(action: &str, e: rusqlite::Error) -> AppError {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    if matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked)) {
        // Only after the busy timeout: another process held the write lock that long.
        return AppError::new(
            ErrorCode::StorageFailed,
            format!("Another Todo Assistant process kept the task database busy for over {} s; try again.", crate::tasks::db::BUSY_TIMEOUT.as_secs()),
        );
    }
    AppError::new(
        ErrorCode::StorageFailed,
        format!("Could not {action} the task database: {e}"),
    )
}

fn time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_time(text: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("a stored time {text:?} does not parse: {e}")))
}

fn corrupt(detail: String) -> AppError {
    AppError::new(
        ErrorCode::StorageCorrupt,
        format!("The task database holds a row it cannot read: {detail}"),
    )
}

fn to_json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value)
        .map_err(|e| AppError::internal(format!("could not encode a task row: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> AppResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))
}

/// Everything, as one consistent `Inner` (call inside a transaction for a consistent view).
pub fn load(conn: &Connection) -> AppResult<(Inner, Positions)> {
    let read = |e| sql_error("read", e);
    let mut inner = Inner::default();
    let mut positions = Positions::new();

    let mut stmt = conn
        .prepare_cached("SELECT id, position, title, description, completed, created_at, updated_at FROM tasks ORDER BY position")
        .map_err(read)?;
    let mut rows = stmt.query([]).map_err(read)?;
    while let Some(row) = rows.next().map_err(read)? {
        let id: String = row.get(0).map_err(read)?;
        positions.insert(id.clone(), row.get(1).map_err(read)?);
        let created: String = row.get(5).map_err(read)?;
        let updated: String = row.get(6).map_err(read)?;
        inner.tasks.push(Task {
            id,
            title: row.get(2).map_err(read)?,
            description: row.get(3).map_err(read)?,
            completed: row.get(4).map_err(read)?,
            created_at: parse_time(&created)?,
            updated_at: parse_time(&updated)?,
        });
    }

    let sync = &mut inner.sync;
    let (url, user, next_seq, last): (Option<String>, Option<String>, i64, Option<String>) = conn
        .query_row(
            "SELECT backend_url, user_id, next_seq, last_synced_at FROM sync_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(read)?
        .unwrap_or_default();
    sync.target = match (url, user) {
        (Some(backend_url), Some(user_id)) => Some(SyncTarget {
            backend_url,
            user_id,
        }),
        _ => None,
    };
    sync.next_seq = next_seq as u64;
    sync.last_synced_at = last.as_deref().map(parse_time).transpose()?;

    for text in strings(conn, "SELECT op FROM outbox ORDER BY seq")? {
        sync.outbox.push(from_json(&text)?);
    }
    for (local, server) in pairs(conn, "SELECT local_id, server_id FROM server_ids")? {
        sync.server_ids.insert(local, server);
    }
    for (local, fields) in pairs(conn, "SELECT local_id, fields FROM bases")? {
        sync.bases.insert(local, from_json(&fields)?);
    }
    for text in strings(conn, "SELECT conflict FROM conflicts ORDER BY n")? {
        sync.conflicts.push(from_json(&text)?);
    }
    Ok((inner, positions))
}

fn strings(conn: &Connection, sql: &str) -> AppResult<Vec<String>> {
    let read = |e| sql_error("read", e);
    let mut stmt = conn.prepare_cached(sql).map_err(read)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(read)?;
    rows.collect::<Result<_, _>>().map_err(read)
}

fn pairs(conn: &Connection, sql: &str) -> AppResult<Vec<(String, String)>> {
    let read = |e| sql_error("read", e);
    let mut stmt = conn.prepare_cached(sql).map_err(read)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(read)?;
    rows.collect::<Result<_, _>>().map_err(read)
}

fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> AppResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map(drop)
        .map_err(|e| sql_error("write", e))
}

pub fn upsert_task(conn: &Connection, task: &Task, position: i64) -> AppResult<()> {
    exec(
        conn,
        "INSERT INTO tasks (id, position, title, description, completed, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET position = ?2, title = ?3, description = ?4,
           completed = ?5, created_at = ?6, updated_at = ?7",
        params![
            task.id,
            position,
            task.title,
            task.description,
            task.completed,
            time_text(&task.created_at),
            time_text(&task.updated_at),
        ],
    )
}

pub fn delete_task(conn: &Connection, id: &str) -> AppResult<()> {
    exec(conn, "DELETE FROM tasks WHERE id = ?1", [id])
}

/// The sync target, the next outbox number and the last sync time, when they changed.
pub fn write_meta(conn: &Connection, prev: &SyncState, next: &SyncState) -> AppResult<()> {
    if prev.target == next.target
        && prev.next_seq == next.next_seq
        && prev.last_synced_at == next.last_synced_at
    {
        return Ok(());
    }
    exec(
        conn,
        "INSERT INTO sync_meta (id, backend_url, user_id, next_seq, last_synced_at)
         VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET backend_url = ?1, user_id = ?2, next_seq = ?3,
           last_synced_at = ?4",
        params![
            next.target.as_ref().map(|t| &t.backend_url),
            next.target.as_ref().map(|t| &t.user_id),
            next.next_seq as i64,
            next.last_synced_at.as_ref().map(time_text),
        ],
    )
}

/// The outbox rows that differ between `prev` and `next` (both in `seq` order).
pub fn write_outbox(conn: &Connection, prev: &[QueuedOp], next: &[QueuedOp]) -> AppResult<()> {
    let before: HashMap<u64, &QueuedOp> = prev.iter().map(|q| (q.seq, q)).collect();
    let kept: HashSet<u64> = next.iter().map(|q| q.seq).collect();
    for q in prev.iter().filter(|q| !kept.contains(&q.seq)) {
        exec(conn, "DELETE FROM outbox WHERE seq = ?1", [q.seq as i64])?;
    }
    for q in next.iter().filter(|q| before.get(&q.seq) != Some(q)) {
        exec(
            conn,
            "INSERT INTO outbox (seq, local_id, op) VALUES (?1, ?2, ?3)
             ON CONFLICT (seq) DO UPDATE SET local_id = ?2, op = ?3",
            params![q.seq as i64, q.op.local_id(), to_json(q)?],
        )?;
    }
    Ok(())
}

/// Everything about sync: meta, outbox, id map, bases and conflicts, row by row.
fn write_sync(conn: &Connection, prev: &SyncState, next: &SyncState) -> AppResult<()> {
    write_meta(conn, prev, next)?;
    write_outbox(conn, &prev.outbox, &next.outbox)?;

    for local in prev.server_ids.keys() {
        if !next.server_ids.contains_key(local) {
            write_server_id(conn, local, None)?;
        }
    }
    for (local, server) in &next.server_ids {
        if prev.server_ids.get(local) != Some(server) {
            write_server_id(conn, local, Some(server))?;
        }
    }
    for local in prev.bases.keys() {
        if !next.bases.contains_key(local) {
            write_base(conn, local, None)?;
        }
    }
    for (local, fields) in &next.bases {
        if prev.bases.get(local) != Some(fields) {
            write_base(conn, local, Some(fields))?;
        }
    }
    write_conflicts(conn, &prev.conflicts, &next.conflicts)
}

/// One task's server id: set, or gone (`None`).
pub fn write_server_id(conn: &Connection, local: &str, server: Option<&String>) -> AppResult<()> {
    match server {
        Some(server) => exec(
            conn,
            "INSERT INTO server_ids (local_id, server_id) VALUES (?1, ?2)
             ON CONFLICT (local_id) DO UPDATE SET server_id = ?2",
            [local, server],
        ),
        None => exec(conn, "DELETE FROM server_ids WHERE local_id = ?1", [local]),
    }
}

/// One task's server fields at the last sync: set, or gone (`None`).
pub fn write_base(conn: &Connection, local: &str, fields: Option<&ServerFields>) -> AppResult<()> {
    match fields {
        Some(fields) => exec(
            conn,
            "INSERT INTO bases (local_id, fields) VALUES (?1, ?2)
             ON CONFLICT (local_id) DO UPDATE SET fields = ?2",
            params![local, to_json(fields)?],
        ),
        None => exec(conn, "DELETE FROM bases WHERE local_id = ?1", [local]),
    }
}

/// Conflicts only grow or are cleared; anything else rewrites the few there are.
pub fn write_conflicts(conn: &Connection, prev: &[Conflict], next: &[Conflict]) -> AppResult<()> {
    let appended = next.starts_with(prev);
    if !appended {
        exec(conn, "DELETE FROM conflicts", [])?;
    }
    let from = if appended { prev.len() } else { 0 };
    for (n, conflict) in next.iter().enumerate().skip(from) {
        exec(
            conn,
            "INSERT INTO conflicts (n, conflict) VALUES (?1, ?2)",
            params![n as i64, to_json(conflict)?],
        )?;
    }
    Ok(())
}

/// Positions for `tasks` in their order: a task keeps its number while the order allows,
/// a new one takes a number between its neighbours' (or past the end).
pub fn positions_for(tasks: &[Task], before: &Positions) -> Vec<i64> {
    // The number of the nearest task after each one that had a number already.
    let mut upper = vec![None; tasks.len()];
    let mut next_known = None;
    for (i, task) in tasks.iter().enumerate().rev() {
        upper[i] = next_known;
        if let Some(&p) = before.get(&task.id) {
            next_known = Some(p);
        }
    }
    let mut out = Vec::with_capacity(tasks.len());
    let mut last: Option<i64> = None;
    for (i, task) in tasks.iter().enumerate() {
        let kept = before
            .get(&task.id)
            .copied()
            .filter(|&p| last.is_none_or(|l| p > l));
        let p = kept.unwrap_or_else(|| match (last, upper[i]) {
            (None, None) => GAP,
            (Some(l), None) => l + GAP,
            (None, Some(u)) => u - GAP,
            (Some(l), Some(u)) if u > l + 1 => l + (u - l) / 2,
            // No room: the tasks after this one are renumbered as they come.
            (Some(l), Some(_)) => l + GAP,
        });
        out.push(p);
        last = Some(p);
    }
    out
}

/// Writes the difference between `prev` and `next`; returns the positions `next` has now.
pub fn write_diff(
    conn: &Connection,
    prev: &Inner,
    prev_positions: &Positions,
    next: &Inner,
) -> AppResult<Positions> {
    let old: HashMap<&str, &Task> = prev.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let positions = positions_for(&next.tasks, prev_positions);
    let mut now = Positions::with_capacity(next.tasks.len());
    for (task, &position) in next.tasks.iter().zip(&positions) {
        let same = old.get(task.id.as_str()) == Some(&task)
            && prev_positions.get(&task.id) == Some(&position);
        if !same {
            upsert_task(conn, task, position)?;
        }
        now.insert(task.id.clone(), position);
    }
    for task in &prev.tasks {
        if !now.contains_key(&task.id) {
            delete_task(conn, &task.id)?;
        }
    }
    write_sync(conn, &prev.sync, &next.sync)?;
    Ok(now)
}
