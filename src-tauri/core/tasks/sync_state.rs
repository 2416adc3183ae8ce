//! What sync remembers beside the tasks: the outbox of local changes not yet on the
//! backend, the mapping from local ids to the server's, what the server had at the last
//! sync (to tell who changed a field), and the conflicts to show the user.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SyncTarget {
    pub backend_url: String,
    pub user_id: String,
}

/// A local change waiting for the backend. Ops name what changed; values are read from
/// the task when the op is sent, so several edits to one task go out as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OutboxOp {
    Create {
        local_id: String,
    },
    Edit {
        local_id: String,
        fields: Vec<Field>,
    },
    /// `server_id` is `None` when the task's create was sent but never acknowledged: the
    /// server may hold it under an id we never learned, so it is found by `twin` (what the
    /// create sent).
    Delete {
        local_id: String,
        server_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        twin: Option<ServerFields>,
    },
}

impl OutboxOp {
    pub fn local_id(&self) -> &str {
        match self {
            OutboxOp::Create { local_id }
            | OutboxOp::Edit { local_id, .. }
            | OutboxOp::Delete { local_id, .. } => local_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedOp {
    pub seq: u64,
    #[serde(flatten)]
    pub op: OutboxOp,
    /// Written before the op is sent: what it sent. If the answer is lost (a crash, a
    /// dropped connection), the replay recognises its own earlier write on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<ServerFields>,
    /// Attempts before `attempt` that sent other values, still unacknowledged: any of them
    /// may be what the server holds (one landed with its answer lost, a later one never
    /// arrived), so all count as this device's own writes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent_earlier: Vec<ServerFields>,
}

impl QueuedOp {
    /// Records `sending` as the latest attempt, keeping the earlier ones.
    pub fn record_attempt(&mut self, sending: &ServerFields) {
        self.sent_earlier.retain(|earlier| earlier != sending);
        if let Some(previous) = self.attempt.replace(sending.clone()) {
            if previous != *sending && !self.sent_earlier.contains(&previous) {
                self.sent_earlier.push(previous);
            }
        }
    }

    /// Whether an unacknowledged attempt of this op sent `value` for `field`.
    pub fn sent(&self, field: Field, value: &Value) -> bool {
        self.attempt
            .iter()
            .chain(&self.sent_earlier)
            .any(|sent| sent.get(field) == *value)
    }
}

/// The synced fields of a task as the server had them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFields {
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
}

impl ServerFields {
    pub fn get(&self, field: Field) -> Value {
        match field {
            Field::Title => self.title.clone().into(),
            Field::Description => self.description.clone().into(),
            Field::Completed => self.completed.into(),
        }
    }
}

/// A change the server's version won; shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Conflict {
    pub task_id: String,
    pub field: Field,
    pub local_value: Value,
    pub server_value: Value,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    #[serde(default)]
    pub target: Option<SyncTarget>,
    #[serde(default)]
    pub next_seq: u64,
    #[serde(default)]
    pub outbox: Vec<QueuedOp>,
    /// local id → server id
    #[serde(default)]
    pub server_ids: BTreeMap<String, String>,
    /// local id → the server's fields at the last sync
    #[serde(default)]
    pub bases: BTreeMap<String, ServerFields>,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    #[serde(default)]
    pub last_synced_at: Option<DateTime<Utc>>,
}

impl SyncState {
    fn push(&mut self, op: OutboxOp) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.outbox.push(QueuedOp {
            seq,
            op,
            attempt: None,
            sent_earlier: Vec::new(),
        });
    }

    fn enabled(&self) -> bool {
        self.target.is_some()
    }

    pub fn is_pending(&self, local_id: &str) -> bool {
        self.outbox.iter().any(|q| q.op.local_id() == local_id)
    }

    pub fn record_create(&mut self, local_id: &str) {
        if self.enabled() {
            self.push(OutboxOp::Create {
                local_id: local_id.into(),
            });
        }
    }

    pub fn record_edit(&mut self, local_id: &str, fields: &[Field]) {
        if !self.enabled() || fields.is_empty() {
            return;
        }
        for queued in self
            .outbox
            .iter_mut()
            .filter(|q| q.op.local_id() == local_id)
        {
            match &mut queued.op {
                // Not on the server yet: the create sends the current values.
                OutboxOp::Create { .. } => return,
                OutboxOp::Edit {
                    fields: queued_fields,
                    ..
                } => {
                    for field in fields {
                        if !queued_fields.contains(field) {
                            queued_fields.push(*field);
                        }
                    }
                    return;
                }
                OutboxOp::Delete { .. } => {}
            }
        }
        self.push(OutboxOp::Edit {
            local_id: local_id.into(),
            fields: fields.to_vec(),
        });
    }

    /// Maps a task whose create reached the server unacknowledged to that server copy (its
    /// twin): the create is done, and the fields that differ are queued as an edit. Written
    /// before the twin is brought up to date, so a crash in between leaves the task mapped (a
    /// later delete names the server id instead of looking for fields a landed `PUT` changed,
    /// and later edits join the queued one).
    pub fn adopt(
        &mut self,
        local_id: &str,
        twin_id: &str,
        base: ServerFields,
        differing: &[Field],
    ) {
        self.outbox
            .retain(|q| !matches!(&q.op, OutboxOp::Create { local_id: id } if id == local_id));
        self.server_ids.insert(local_id.into(), twin_id.into());
        self.bases.insert(local_id.into(), base);
        if !differing.is_empty() {
            self.push(OutboxOp::Edit {
                local_id: local_id.into(),
                fields: differing.to_vec(),
            });
        }
    }

    pub fn record_delete(&mut self, local_id: &str) {
        if !self.enabled() {
            return;
        }
        // A create that was sent may have reached the server without our knowing.
        let sent_create = self.outbox.iter().find_map(|q| match &q.op {
            OutboxOp::Create { local_id: id } if id == local_id => q.attempt.clone(),
            _ => None,
        });
        self.outbox.retain(|q| q.op.local_id() != local_id);
        let server_id = self.server_ids.get(local_id).cloned();
        if server_id.is_some() || sent_create.is_some() {
            self.push(OutboxOp::Delete {
                local_id: local_id.into(),
                server_id,
                twin: sent_create,
            });
        }
    }

    /// Undo of a delete: drop the queued delete, or send the task again if it left.
    pub fn record_restore(&mut self, local_id: &str) {
        if !self.enabled() {
            return;
        }
        let before = self.outbox.len();
        self.outbox
            .retain(|q| !matches!(&q.op, OutboxOp::Delete { local_id: id, .. } if id == local_id));
        if self.outbox.len() == before {
            self.server_ids.remove(local_id);
            self.bases.remove(local_id);
            self.record_create(local_id);
        } else {
            // The server never saw the delete; any edit made since is still to send.
            self.record_edit(
                local_id,
                &[Field::Title, Field::Description, Field::Completed],
            );
        }
    }

    /// Connecting to a backend queues every task that is not on it yet.
    pub fn connect(&mut self, target: SyncTarget, local_ids: impl Iterator<Item = String>) {
        if self.target.as_ref() != Some(&target) {
            self.server_ids.clear();
            self.bases.clear();
            self.outbox.clear();
            self.conflicts.clear();
            self.last_synced_at = None;
        }
        self.target = Some(target);
        for id in local_ids {
            if !self.server_ids.contains_key(&id) && !self.is_pending(&id) {
                self.record_create(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected() -> SyncState {
        let mut state = SyncState::default();
        state.connect(
            SyncTarget {
                backend_url: "http://127.0.0.1:1".into(),
                user_id: "u".into(),
            },
            std::iter::empty(),
        );
        state
    }

    #[test]
    fn nothing_is_queued_without_a_backend() {
        let mut state = SyncState::default();
        state.record_create("t1");
        state.record_edit("t1", &[Field::Title]);
        assert!(state.outbox.is_empty());
    }

    #[test]
    fn every_unacknowledged_attempt_counts_as_ours() {
        let mut state = connected();
        state.server_ids.insert("t".into(), "7".into());
        state.record_edit("t", &[Field::Completed]);
        let fields = |completed| ServerFields {
            title: "Draft".into(),
            description: None,
            completed,
        };
        let queued = &mut state.outbox[0];
        assert!(!queued.sent(Field::Completed, &true.into()));
        queued.record_attempt(&fields(true));
        queued.record_attempt(&fields(false));
        queued.record_attempt(&fields(true));
        assert!(queued.sent(Field::Completed, &true.into()));
        assert!(queued.sent(Field::Completed, &false.into()));
        assert_eq!(queued.sent_earlier, vec![fields(false)], "kept once each");
        // Coalescing a later edit keeps what was sent.
        state.record_edit("t", &[Field::Title]);
        assert!(state.outbox[0].sent(Field::Completed, &false.into()));
    }

    #[test]
    fn edits_coalesce_and_deletes_cancel_unsent_work() {
        let mut state = connected();
        state.record_create("new");
        state.record_edit("new", &[Field::Title]);
        assert_eq!(state.outbox.len(), 1, "the create carries the edit");

        state.server_ids.insert("old".into(), "42".into());
        state.record_edit("old", &[Field::Title]);
        state.record_edit("old", &[Field::Completed, Field::Title]);
        assert_eq!(
            state.outbox[1].op,
            OutboxOp::Edit {
                local_id: "old".into(),
                fields: vec![Field::Title, Field::Completed]
            }
        );
        state.record_delete("new");
        state.record_delete("old");
        assert_eq!(
            state
                .outbox
                .iter()
                .map(|q| q.op.clone())
                .collect::<Vec<_>>(),
            vec![OutboxOp::Delete {
                local_id: "old".into(),
                server_id: Some("42".into()),
                twin: None,
            }]
        );
        state.record_restore("old");
        assert!(matches!(
            state.outbox.as_slice(),
            [QueuedOp {
                op: OutboxOp::Edit { .. },
                ..
            }]
        ));
    }
}
