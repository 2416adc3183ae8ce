//! What the task widgets' buttons do (`task.complete`, `task.reopen`, `task.delete`,
//! `task.undo_add`): the change is made on the task store at once, and the widget that sent
//! it is redrawn to match, so the click needs no model call.

use serde_json::Value;

use crate::agent::task_widgets::{
    gone_card, list_with_row, shown_title, undone_card, COMPLETE, DELETE, REOPEN, UNDO_ADD,
};
use crate::chatkit::types::Action;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::tasks::model::Task;
use crate::tasks::store::TaskStore;

/// A task action's result: the sender widget redrawn, and what the thread should know.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutcome {
    pub widget: Value,
    pub copy_text: Option<String>,
    /// For the model's next turn: what the person did, so it never claims otherwise.
    pub note: String,
    /// For the person, when the click could not do what it said (the task was gone).
    pub notice: Option<String>,
}

fn refuse(message: String) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message)
}

/// Whether this is one of the task widgets' actions.
pub fn is_task_action(action: &Action) -> bool {
    [COMPLETE, REOPEN, DELETE, UNDO_ADD].contains(&action.action_type.as_str())
}

/// Applies `action`, sent by `widget`, to `tasks`. A task already deleted elsewhere is not
/// an error: the widget is redrawn without it and the notice says why.
pub fn apply(tasks: &TaskStore, action: &Action, widget: &Value) -> AppResult<ActionOutcome> {
    let kind = action.action_type.as_str();
    if !is_task_action(action) {
        return Err(refuse(format!(
            "This assistant has no action named {}.",
            crate::error::excerpt(kind)
        )));
    }
    let task_id = action.payload["task_id"].as_str().ok_or_else(|| {
        refuse(format!(
            "The {kind} action needs the task's id in its payload (task_id)."
        ))
    })?;
    let shown = shown_title(widget, task_id).ok_or_else(|| {
        refuse(format!(
            "This widget shows no task {}, so {kind} has nothing to act on.",
            crate::error::excerpt(task_id)
        ))
    })?;
    // Checked before anything changes: Undo belongs to an added task's card, the rest to a
    // list row, so a forged or misrouted action cannot touch a task its widget does not show.
    let fits = if kind == UNDO_ADD {
        widget["type"] == "Card"
    } else {
        widget["type"] == "ListView" && list_with_row(widget, task_id, None).is_some()
    };
    if !fits {
        return Err(refuse(format!(
            "This widget cannot {kind}: that action belongs to {}.",
            if kind == UNDO_ADD {
                "the card of an added task"
            } else {
                "a row of a task list"
            }
        )));
    }
    let result = match kind {
        COMPLETE => tasks.set_completed(task_id, true),
        REOPEN => tasks.set_completed(task_id, false),
        _ => tasks.delete(task_id),
    };
    let task = match result {
        Ok(task) => Some(task),
        Err(e) if e.code == ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    Ok(match (kind, task) {
        (UNDO_ADD, Some(task)) => ActionOutcome {
            widget: undone_card(&task),
            copy_text: Some(format!("Undone: “{}” removed", task.title)),
            note: format!(
                "The user pressed Undo on adding “{}” (task {}): it is no longer on the list.",
                task.title, task.id
            ),
            notice: None,
        },
        (UNDO_ADD, None) => ActionOutcome {
            widget: gone_card(&shown),
            copy_text: Some(format!("“{shown}” is no longer on your tasks")),
            note: format!("The user pressed Undo on adding “{shown}”, which was already deleted."),
            notice: None,
        },
        (_, task) => list_outcome(kind, task_id, &shown, task.as_ref(), widget)?,
    })
}

fn list_outcome(
    kind: &str,
    task_id: &str,
    shown: &str,
    task: Option<&Task>,
    widget: &Value,
) -> AppResult<ActionOutcome> {
    // A deleted task leaves the list, whether this click or someone else deleted it.
    let row = if kind == DELETE { None } else { task };
    let redrawn = list_with_row(widget, task_id, row)
        .ok_or_else(|| AppError::internal("a checked list row went missing"))?;
    let (note, notice) = match (kind, task) {
        (_, None) => (
            format!("The user tried {kind} on “{shown}” from the task list, but it had already been deleted."),
            Some(format!("“{shown}” is no longer on your tasks: it was deleted elsewhere.")),
        ),
        (COMPLETE, Some(task)) => (
            format!("The user marked “{}” (task {}) as completed from the task list.", task.title, task.id),
            None,
        ),
        (REOPEN, Some(task)) => (
            format!("The user reopened “{}” (task {}) from the task list.", task.title, task.id),
            None,
        ),
        (_, Some(task)) => (
            format!("The user deleted “{}” (task {}) from the task list.", task.title, task.id),
            None,
        ),
    };
    Ok(ActionOutcome {
        copy_text: Some(list_copy_text(&redrawn)),
        widget: redrawn,
        note,
        notice,
    })
}

/// The list as plain text, the way copying it reads: `[x] Milk`.
fn list_copy_text(widget: &Value) -> String {
    widget["children"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let title = &row["children"][0]["children"][0];
                    let done = title["lineThrough"] == true;
                    format!(
                        "{} {}",
                        if done { "[x]" } else { "[ ]" },
                        title["value"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::task_widgets::{added_card, task_list_widget};
    use crate::tasks::model::StatusFilter;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, TaskStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = TaskStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn act(kind: &str, task_id: &str) -> Action {
        Action {
            action_type: kind.into(),
            payload: json!({"task_id": task_id}),
        }
    }

    #[test]
    fn complete_reopen_and_delete_change_the_store_and_the_row() {
        let (_dir, tasks) = store();
        let milk = tasks.add("Milk", None).unwrap();
        let eggs = tasks.add("Eggs", None).unwrap();
        let list = task_list_widget(StatusFilter::All, &tasks.list(StatusFilter::All));

        let done = apply(&tasks, &act(COMPLETE, &milk.id), &list).unwrap();
        assert!(tasks.get(&milk.id).unwrap().completed);
        assert_eq!(done.copy_text.as_deref(), Some("[x] Milk\n[ ] Eggs"));
        assert!(done.note.contains("completed") && done.notice.is_none());

        let open = apply(&tasks, &act(REOPEN, &milk.id), &done.widget).unwrap();
        assert!(!tasks.get(&milk.id).unwrap().completed);
        assert_eq!(open.widget, list, "reopened, the row is as it was");

        let deleted = apply(&tasks, &act(DELETE, &eggs.id), &open.widget).unwrap();
        assert!(tasks.get(&eggs.id).is_err());
        assert_eq!(deleted.widget["status"]["text"], "Tasks (1)");
        assert_eq!(deleted.copy_text.as_deref(), Some("[ ] Milk"));
    }

    #[test]
    fn undo_removes_the_added_task_and_the_card_says_so() {
        let (_dir, tasks) = store();
        let milk = tasks.add("Milk", None).unwrap();
        let card = added_card(&milk);
        let undone = apply(&tasks, &act(UNDO_ADD, &milk.id), &card).unwrap();
        assert!(tasks.list(StatusFilter::All).is_empty());
        let text = undone.widget.to_string();
        assert!(
            text.contains("Undone") && !text.contains(UNDO_ADD),
            "{text}"
        );
        // Pressed again (another window's stale card): nothing more is deleted.
        let again = apply(&tasks, &act(UNDO_ADD, &milk.id), &card).unwrap();
        assert!(again.widget.to_string().contains("No longer on your tasks"));
    }

    #[test]
    fn a_task_deleted_elsewhere_leaves_the_list_with_a_notice() {
        let (_dir, tasks) = store();
        let milk = tasks.add("Milk", None).unwrap();
        let list = task_list_widget(StatusFilter::All, &tasks.list(StatusFilter::All));
        tasks.delete(&milk.id).unwrap();
        let outcome = apply(&tasks, &act(COMPLETE, &milk.id), &list).unwrap();
        assert_eq!(outcome.widget["children"], json!([]));
        assert!(outcome.notice.unwrap().contains("Milk"));
    }

    #[test]
    fn bad_actions_are_refused_and_change_nothing() {
        let (_dir, tasks) = store();
        let milk = tasks.add("Milk", None).unwrap();
        let other = tasks.add("Eggs", None).unwrap();
        let list = task_list_widget(StatusFilter::All, std::slice::from_ref(&milk));
        for action in [
            act("task.explode", &milk.id),
            Action {
                action_type: COMPLETE.into(),
                payload: json!({}),
            },
            // A row this widget does not show: a forged payload cannot reach other tasks.
            act(DELETE, &other.id),
            // Undo belongs to the card of an added task, not to a list.
            act(UNDO_ADD, &milk.id),
        ] {
            let before = tasks.list(StatusFilter::All);
            let err = apply(&tasks, &action, &list).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{action:?}");
            assert_eq!(tasks.list(StatusFilter::All), before, "{action:?}");
        }
        // And a list action sent by a card is refused too.
        let card = added_card(&milk);
        assert!(apply(&tasks, &act(DELETE, &milk.id), &card).is_err());
        assert_eq!(tasks.list(StatusFilter::All).len(), 2);
    }
}
