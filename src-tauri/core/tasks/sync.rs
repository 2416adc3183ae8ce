//! One sync pass with a backend's task API: replay the outbox in order, then pull. Every
//! step is acknowledged durably as soon as the server answered, and every step is safe to
//! repeat after a crash: edits are sent as whole `PUT`s (never the toggling `PATCH`), a
//! create first looks for the task a lost answer may already have made, and deleting what
//! is gone counts as done.
//!
//! Conflicts: a field changed on the server since the last sync keeps the server's value
//! (the conflict is recorded for the user); a field changed only here wins.

use std::collections::{BTreeMap, HashSet};

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::broker::secret::SecretString;
use crate::chatkit::store::new_id;
use crate::chatkit::types::now;
use crate::error::AppResult;
use crate::tasks::model::Task;
use crate::tasks::store::{Durability, TaskStore};
use crate::tasks::sync_state::{
    Conflict, Field, OutboxOp, QueuedOp, ServerFields, SyncState, SyncTarget,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Synced,
    Offline,
    SignInRequired,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct SyncOutcome {
    pub state: SyncPhase,
    pub pushed: u32,
    pub pulled: u32,
    pub pending_changes: u32,
    pub conflicts: Vec<Conflict>,
    pub message: Option<String>,
}

/// A task as the backend sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerTask {
    #[serde(deserialize_with = "id_as_string")]
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

fn id_as_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

impl ServerTask {
    fn fields(&self) -> ServerFields {
        ServerFields {
            title: self.title.clone(),
            description: self.description.clone().filter(|d| !d.is_empty()),
            completed: self.completed,
        }
    }
}

fn local_fields(task: &Task) -> ServerFields {
    ServerFields {
        title: task.title.clone(),
        description: task.description.clone(),
        completed: task.completed,
    }
}

#[derive(Debug)]
enum Failure {
    Offline(String),
    SignIn(String),
    NotFound,
    Rejected(String),
    Server(String),
}

pub struct BackendClient {
    http: reqwest::Client,
    target: SyncTarget,
    token: SecretString,
}

impl BackendClient {
    pub fn new(target: SyncTarget, token: SecretString) -> Self {
        Self {
            http: crate::broker::http::client(),
            target,
            token,
        }
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/api/{}/tasks{tail}",
            self.target.backend_url.trim_end_matches('/'),
            self.target.user_id
        )
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Option<Value>, Failure> {
        let response = request
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| Failure::Offline(crate::broker::http::describe(e)))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| Failure::Offline(crate::broker::http::describe(e)))?;
        match status {
            s if s.is_success() => Ok(serde_json::from_str(&body).ok()),
            StatusCode::UNAUTHORIZED => {
                Err(Failure::SignIn("the backend asked to sign in again".into()))
            }
            StatusCode::FORBIDDEN => Err(Failure::Server(format!(
                "the backend refused access for user {} (HTTP 403)",
                self.target.user_id
            ))),
            StatusCode::NOT_FOUND => Err(Failure::NotFound),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => Err(Failure::Rejected(
                format!("HTTP {}: {body}", status.as_u16()),
            )),
            other => Err(Failure::Server(format!("HTTP {}", other.as_u16()))),
        }
    }

    fn task_from(value: Option<Value>) -> Result<ServerTask, Failure> {
        value
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                Failure::Server("the backend answered with something that is not a task".into())
            })
    }

    async fn list(&self) -> Result<Vec<ServerTask>, Failure> {
        let value = self.call(self.http.get(self.url(""))).await?;
        let list = match value {
            Some(Value::Array(items)) => items,
            // Some backends wrap lists: {"tasks": [...]} or {"data": [...]}.
            Some(Value::Object(mut wrapped)) => {
                match wrapped.remove("tasks").or_else(|| wrapped.remove("data")) {
                    Some(Value::Array(items)) => items,
                    _ => return Err(Failure::Server("the task list is not a list".into())),
                }
            }
            _ => return Err(Failure::Server("the task list is not a list".into())),
        };
        list.into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| {
                    Failure::Server(format!("a task from the backend is malformed: {e}"))
                })
            })
            .collect()
    }

    async fn create(&self, fields: &ServerFields) -> Result<ServerTask, Failure> {
        let body = json!({"title": fields.title, "description": fields.description});
        Self::task_from(self.call(self.http.post(self.url("")).json(&body)).await?)
    }

    async fn put(&self, server_id: &str, fields: &ServerFields) -> Result<ServerTask, Failure> {
        let body = json!({"title": fields.title, "description": fields.description, "completed": fields.completed});
        Self::task_from(
            self.call(
                self.http
                    .put(self.url(&format!("/{server_id}")))
                    .json(&body),
            )
            .await?,
        )
    }

    async fn delete(&self, server_id: &str) -> Result<(), Failure> {
        match self
            .call(self.http.delete(self.url(&format!("/{server_id}"))))
            .await
        {
            Ok(_) | Err(Failure::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn outcome(
    store: &TaskStore,
    state: SyncPhase,
    pushed: u32,
    pulled: u32,
    message: Option<String>,
) -> SyncOutcome {
    let snapshot = store.snapshot();
    SyncOutcome {
        state,
        pushed,
        pulled,
        pending_changes: snapshot.sync.outbox.len() as u32,
        conflicts: snapshot.sync.conflicts,
        message,
    }
}

fn stopped(store: &TaskStore, failure: Failure, pushed: u32) -> SyncOutcome {
    let (state, message) = match failure {
        Failure::Offline(detail) => (
            SyncPhase::Offline,
            format!("The backend cannot be reached ({detail}); changes stay queued."),
        ),
        Failure::SignIn(detail) => (
            SyncPhase::SignInRequired,
            format!("Sign in to the backend again ({detail}); changes stay queued."),
        ),
        Failure::Server(detail) | Failure::Rejected(detail) => (
            SyncPhase::Error,
            format!("Sync stopped: {detail}. Changes stay queued."),
        ),
        Failure::NotFound => (
            SyncPhase::Error,
            "Sync stopped: the task list was not found on the backend.".into(),
        ),
    };
    outcome(store, state, pushed, 0, Some(message))
}

fn conflict(task_id: &str, field: Field, local: Value, server: Value, message: &str) -> Conflict {
    Conflict {
        task_id: task_id.into(),
        field,
        local_value: local,
        server_value: server,
        message: message.into(),
    }
}

fn set_field(fields: &mut ServerFields, field: Field, value: &ServerFields) {
    match field {
        Field::Title => fields.title = value.title.clone(),
        Field::Description => fields.description = value.description.clone(),
        Field::Completed => fields.completed = value.completed,
    }
}

/// One pass: push the outbox, then pull. Never loses a queued change.
pub async fn sync_once(store: &TaskStore, client: &BackendClient) -> SyncOutcome {
    let mut server: BTreeMap<String, ServerTask> = match client.list().await {
        Ok(list) => list.into_iter().map(|t| (t.id.clone(), t)).collect(),
        Err(failure) => return stopped(store, failure, 0),
    };
    let mut pushed = 0;
    loop {
        // Only what this op needs, not a copy of every task: replay stays O(ops).
        let next = store.read(|inner| {
            let queued = inner.sync.outbox.first()?.clone();
            let local_id = queued.op.local_id();
            let local = inner.tasks.iter().find(|t| t.id == local_id).cloned();
            let view = SyncView::of(&inner.sync, &queued);
            Some((queued, local, view))
        });
        let Some((queued, local, view)) = next else {
            break;
        };
        let sent = local.as_ref().map(local_fields);
        let step = push_one(store, client, &mut server, &queued, local, &view).await;
        match step {
            Ok(ack) => {
                let seq = queued.seq;
                // Deferred: an ack lost to a power cut is redone by the next replay, and
                // the pull's commit below flushes it anyway.
                let local_id = queued.op.local_id();
                let acked = store.transact_task(local_id, Durability::Deferred, |inner| {
                    inner.sync.outbox.retain(|q| q.seq != seq);
                    ack.apply(inner, queued.op.local_id(), sent.as_ref());
                    Ok(())
                });
                if let Err(e) = acked {
                    return outcome(store, SyncPhase::Error, pushed, 0, Some(e.message));
                }
                pushed += 1;
            }
            Err(failure) => return stopped(store, failure, pushed),
        }
    }
    match client.list().await {
        Ok(list) => match pull(store, list) {
            Ok(pulled) => outcome(store, SyncPhase::Synced, pushed, pulled, None),
            Err(e) => outcome(store, SyncPhase::Error, pushed, 0, Some(e.message)),
        },
        Err(failure) => stopped(store, failure, pushed),
    }
}

/// What to record once the server accepted an op.
#[derive(Default)]
struct Ack {
    map: Option<(String, ServerTask)>,
    unmap: Option<String>,
    remove_local: Option<String>,
    local_values: Option<(String, ServerFields)>,
    conflicts: Vec<Conflict>,
}

impl Ack {
    /// Applies the answer to the latest state, which may have moved on while the request
    /// was out (the user, or another process, edited or deleted the task): `sent` is what
    /// the op sent, and a field changed since is kept and queued again, never overwritten.
    fn apply(
        self,
        inner: &mut crate::tasks::store::Inner,
        local_id: &str,
        sent: Option<&ServerFields>,
    ) {
        let changed_since: Vec<Field> = match (sent, inner.tasks.iter().find(|t| t.id == local_id))
        {
            (Some(sent), Some(task)) => {
                let current = local_fields(task);
                [Field::Title, Field::Description, Field::Completed]
                    .into_iter()
                    .filter(|f| current.get(*f) != sent.get(*f))
                    .collect()
            }
            _ => Vec::new(),
        };
        if let Some((local_id, task)) = self.map {
            inner
                .sync
                .server_ids
                .insert(local_id.clone(), task.id.clone());
            // Deleted while its create was out: the delete now knows what to delete.
            for queued in &mut inner.sync.outbox {
                if let OutboxOp::Delete {
                    local_id: id,
                    server_id: server_id @ None,
                    ..
                } = &mut queued.op
                {
                    if *id == local_id {
                        *server_id = Some(task.id.clone());
                    }
                }
            }
            inner.sync.bases.insert(local_id, task.fields());
        }
        if let Some(local_id) = self.unmap {
            inner.sync.server_ids.remove(&local_id);
            inner.sync.bases.remove(&local_id);
            // Put back (undo) while its delete was out: it is new to the server again.
            if inner.tasks.iter().any(|t| t.id == local_id) && !inner.sync.is_pending(&local_id) {
                inner.sync.record_create(&local_id);
            }
        }
        if let Some(local_id) = self.remove_local {
            inner.tasks.retain(|t| t.id != local_id);
            inner.sync.outbox.retain(|q| q.op.local_id() != local_id);
            inner.sync.server_ids.remove(&local_id);
            inner.sync.bases.remove(&local_id);
        }
        if let Some((local_id, mut values)) = self.local_values {
            if let Some(task) = inner.tasks.iter_mut().find(|t| t.id == local_id) {
                let current = local_fields(task);
                for field in &changed_since {
                    set_field(&mut values, *field, &current);
                }
                if current != values {
                    task.title = values.title;
                    task.description = values.description;
                    task.completed = values.completed;
                    task.updated_at = now();
                }
            }
        }
        if !changed_since.is_empty() && inner.sync.server_ids.contains_key(local_id) {
            inner.sync.record_edit(local_id, &changed_since);
        }
        inner.sync.conflicts.extend(self.conflicts);
    }
}

/// Records what an op is about to send (see `QueuedOp::attempt`): flushed for a create,
/// whose twin must be found after any crash; an edit is a whole `PUT`, safe to send twice,
/// so a kill -9 must not lose its record but a power cut may.
fn write_ahead(
    store: &TaskStore,
    queued: &QueuedOp,
    sending: &ServerFields,
    durability: Durability,
) -> Result<(), Failure> {
    let seq = queued.seq;
    store
        .transact_task(queued.op.local_id(), durability, |inner| {
            if let Some(queued) = inner.sync.outbox.iter_mut().find(|q| q.seq == seq) {
                queued.record_attempt(sending);
            }
            Ok(())
        })
        .map_err(|e| Failure::Server(e.message))
}

async fn create_with_write_ahead(
    store: &TaskStore,
    client: &BackendClient,
    queued: &QueuedOp,
    wanted: &ServerFields,
) -> Result<ServerTask, Failure> {
    write_ahead(store, queued, wanted, Durability::Flushed)?;
    client.create(wanted).await
}

/// Records an adopted twin (flushed) before the `PUT` that brings it up to date, with the
/// fields still to send queued as an edit (see `SyncState::adopt`).
fn adopt(
    store: &TaskStore,
    local_id: &str,
    twin: &ServerTask,
    wanted: &ServerFields,
) -> Result<(), Failure> {
    let theirs = twin.fields();
    let differing: Vec<Field> = [Field::Title, Field::Description, Field::Completed]
        .into_iter()
        .filter(|field| theirs.get(*field) != wanted.get(*field))
        .collect();
    store
        .transact_task(local_id, Durability::Flushed, |inner| {
            inner
                .sync
                .adopt(local_id, &twin.id, theirs.clone(), &differing);
            Ok(())
        })
        .map_err(|e| Failure::Server(e.message))
}

/// The sync state one op's push reads.
struct SyncView {
    server_id: Option<String>,
    base: Option<ServerFields>,
    /// Every mapped server id, filled only when the op may look for a twin.
    mapped: HashSet<String>,
}

impl SyncView {
    fn of(sync: &SyncState, queued: &QueuedOp) -> Self {
        let local_id = queued.op.local_id();
        let twin_search = match &queued.op {
            OutboxOp::Create { .. } => queued.attempt.is_some(),
            OutboxOp::Delete {
                server_id, twin, ..
            } => server_id.is_none() && twin.is_some(),
            OutboxOp::Edit { .. } => false,
        };
        Self {
            server_id: sync.server_ids.get(local_id).cloned(),
            base: sync.bases.get(local_id).cloned(),
            mapped: if twin_search {
                sync.server_ids.values().cloned().collect()
            } else {
                HashSet::new()
            },
        }
    }
}

/// An unmapped server task holding exactly `fields`: our own earlier, unacknowledged write.
fn find_twin(
    server: &BTreeMap<String, ServerTask>,
    mapped: &HashSet<String>,
    fields: &ServerFields,
) -> Option<ServerTask> {
    server
        .values()
        .find(|st| {
            let theirs = st.fields();
            !mapped.contains(&st.id)
                && theirs.title == fields.title
                && theirs.description == fields.description
        })
        .cloned()
}

async fn push_one(
    store: &TaskStore,
    client: &BackendClient,
    server: &mut BTreeMap<String, ServerTask>,
    queued: &QueuedOp,
    local: Option<Task>,
    sync: &SyncView,
) -> Result<Ack, Failure> {
    match &queued.op {
        OutboxOp::Create { local_id } => {
            let Some(task) = local else {
                return Ok(Ack::default());
            };
            if sync.server_id.is_some() {
                return Ok(Ack::default());
            }
            let wanted = local_fields(&task);
            // If an earlier attempt's answer was lost, the server already has it: adopt it.
            let twin = queued
                .attempt
                .as_ref()
                .and_then(|sent| find_twin(server, &sync.mapped, sent));
            let mut created = match twin {
                Some(twin) => {
                    if twin.fields() != wanted {
                        adopt(store, local_id, &twin, &wanted)?;
                    }
                    twin
                }
                None => match create_with_write_ahead(store, client, queued, &wanted).await {
                    Ok(created) => created,
                    Err(Failure::Rejected(detail)) => {
                        return Ok(Ack {
                            conflicts: vec![conflict(local_id, Field::Title, wanted.title.clone().into(), Value::Null, &format!("The backend rejected this task, so it stays on this device only: {detail}"))],
                            ..Ack::default()
                        })
                    }
                    Err(e) => return Err(e),
                },
            };
            if created.fields() != wanted {
                // Adopted from an older attempt, or the backend ignored `completed`.
                created = client.put(&created.id, &wanted).await?;
            }
            server.insert(created.id.clone(), created.clone());
            Ok(Ack {
                map: Some((local_id.clone(), created)),
                ..Ack::default()
            })
        }
        OutboxOp::Edit { local_id, fields } => {
            let (Some(task), Some(server_id)) = (local, sync.server_id.as_ref()) else {
                return Ok(Ack::default());
            };
            let deleted_elsewhere = || Ack {
                remove_local: Some(local_id.clone()),
                conflicts: vec![conflict(
                    local_id,
                    Field::Title,
                    task.title.clone().into(),
                    Value::Null,
                    "This task was deleted on another device; your change to it was dropped.",
                )],
                ..Ack::default()
            };
            let Some(current) = server.get(server_id).cloned() else {
                return Ok(deleted_elsewhere());
            };
            let theirs = current.fields();
            let base = sync.base.clone().unwrap_or_else(|| theirs.clone());
            let ours = local_fields(&task);
            let mut wanted = theirs.clone();
            let mut conflicts = Vec::new();
            for field in fields {
                // A value an unacknowledged attempt of ours wrote is not another device's.
                let ours_before = queued.sent(*field, &theirs.get(*field));
                let changed_there = theirs.get(*field) != base.get(*field) && !ours_before;
                let differs = theirs.get(*field) != ours.get(*field);
                if changed_there && differs {
                    conflicts.push(conflict(
                        local_id,
                        *field,
                        ours.get(*field),
                        theirs.get(*field),
                        "Changed on another device too; the other device's version was kept.",
                    ));
                } else {
                    set_field(&mut wanted, *field, &ours);
                }
            }
            let updated = if wanted != theirs {
                write_ahead(store, queued, &wanted, Durability::Deferred)?;
                match client.put(server_id, &wanted).await {
                    Ok(updated) => updated,
                    Err(Failure::NotFound) => return Ok(deleted_elsewhere()),
                    Err(Failure::Rejected(detail)) => {
                        return Ok(Ack {
                            local_values: Some((local_id.clone(), theirs.clone())),
                            conflicts: vec![conflict(
                                local_id,
                                fields[0],
                                ours.get(fields[0]),
                                theirs.get(fields[0]),
                                &format!("The backend rejected this change: {detail}"),
                            )],
                            ..Ack::default()
                        })
                    }
                    Err(e) => return Err(e),
                }
            } else {
                current
            };
            server.insert(updated.id.clone(), updated.clone());
            // Local fields not being sent keep their local values; the conflicting ones take
            // the server's.
            let mut local_after = ours;
            for c in &conflicts {
                set_field(&mut local_after, c.field, &theirs);
            }
            Ok(Ack {
                map: Some((local_id.clone(), updated)),
                local_values: Some((local_id.clone(), local_after)),
                conflicts,
                ..Ack::default()
            })
        }
        OutboxOp::Delete {
            local_id,
            server_id,
            twin,
        } => {
            let target = match (server_id, twin) {
                (Some(id), _) => Some(id.clone()),
                (None, Some(sent)) => find_twin(server, &sync.mapped, sent).map(|st| st.id),
                (None, None) => None,
            };
            if let Some(id) = target {
                client.delete(&id).await?;
                server.remove(&id);
            }
            Ok(Ack {
                unmap: Some(local_id.clone()),
                ..Ack::default()
            })
        }
    }
}

/// Brings the server's tasks in: new ones are added, unchanged local ones follow the
/// server, ones deleted there leave here. Tasks with queued changes are left alone.
fn pull(store: &TaskStore, list: Vec<ServerTask>) -> AppResult<u32> {
    let mut changed: Vec<(String, &'static str)> = Vec::new();
    let pulled = store.transact(|inner| {
        let mut changed_here = Vec::new();
        let by_server: BTreeMap<String, String> = inner
            .sync
            .server_ids
            .iter()
            .map(|(local, server)| (server.clone(), local.clone()))
            .collect();
        let on_server: HashSet<String> = list.iter().map(|t| t.id.clone()).collect();
        let mut pulled = 0;
        for st in &list {
            match by_server.get(&st.id) {
                Some(local_id) => {
                    if inner.sync.is_pending(local_id) {
                        continue;
                    }
                    let theirs = st.fields();
                    if let Some(task) = inner.tasks.iter_mut().find(|t| &t.id == local_id) {
                        if local_fields(task) != theirs {
                            task.title = theirs.title.clone();
                            task.description = theirs.description.clone();
                            task.completed = theirs.completed;
                            task.updated_at = now();
                            pulled += 1;
                            changed_here.push((local_id.clone(), "updated"));
                        }
                    }
                    inner.sync.bases.insert(local_id.clone(), theirs);
                }
                None => {
                    let at = now();
                    let created_at = st
                        .created_at
                        .as_deref()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(at);
                    let task = Task {
                        id: new_id("task"),
                        title: st.title.clone(),
                        description: st.fields().description,
                        completed: st.completed,
                        created_at,
                        updated_at: at,
                    };
                    inner.sync.server_ids.insert(task.id.clone(), st.id.clone());
                    inner.sync.bases.insert(task.id.clone(), st.fields());
                    changed_here.push((task.id.clone(), "added"));
                    inner.tasks.push(task);
                    pulled += 1;
                }
            }
        }
        let gone: Vec<String> = inner
            .sync
            .server_ids
            .iter()
            .filter(|(local, server)| !on_server.contains(*server) && !inner.sync.is_pending(local))
            .map(|(local, _)| local.clone())
            .collect();
        for local_id in gone {
            inner.tasks.retain(|t| t.id != local_id);
            inner.sync.server_ids.remove(&local_id);
            inner.sync.bases.remove(&local_id);
            changed_here.push((local_id, "deleted"));
            pulled += 1;
        }
        inner.sync.last_synced_at = Some(now());
        changed = changed_here;
        Ok(pulled)
    })?;
    for (id, kind) in changed {
        store.notify(kind, &id);
    }
    Ok(pulled)
}
