//! How the assistant's task tools look in the thread: a line for a change, a card with Undo
//! for a task it added, a ChatKit ListView with Complete / Reopen / Delete on every row for
//! a listing. The buttons carry server-handled actions (`task.*`, see `task_actions`), which
//! ChatKit and the built-in view both send as `threads.custom_action`.

use serde_json::{json, Value};

use crate::chatkit::responder::EventSink;
use crate::chatkit::types::ItemKind;
use crate::chatkit::types::ThreadItem;
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::tools::ToolEffect;

pub const COMPLETE: &str = "task.complete";
pub const REOPEN: &str = "task.reopen";
pub const DELETE: &str = "task.delete";
pub const UNDO_ADD: &str = "task.undo_add";

/// A server-handled action, with chatkit's defaults spelled out as it serializes them.
fn action(kind: &str, task_id: &str) -> Value {
    json!({
        "type": kind,
        "payload": {"task_id": task_id},
        "handler": "server",
        "loadingBehavior": "auto",
        "streaming": true,
    })
}

fn button(label: &str, kind: &str, task_id: &str, color: &str) -> Value {
    json!({
        "type": "Button",
        "label": label,
        "size": "sm",
        "variant": "outline",
        "color": color,
        "onClickAction": action(kind, task_id),
    })
}

/// How a tool run shows in the thread (none for a failed run: the model explains it).
pub fn display_item(sink: &EventSink, effect: &ToolEffect) -> Option<ThreadItem> {
    match effect {
        ToolEffect::Changed {
            verb: "Added",
            task,
        } => Some(sink.item(
            "wdg",
            ItemKind::Widget {
                widget: added_card(task),
                copy_text: Some(format!("Added “{}”", task.title)),
            },
        )),
        ToolEffect::Changed { verb, task } => {
            let icon = match *verb {
                "Completed" => "check-circle-filled",
                "Deleted" => "empty-circle",
                _ => "write",
            };
            Some(sink.item(
                "task",
                ItemKind::Task {
                    task: json!({
                        "type": "custom",
                        "title": format!("{verb} “{}”", task.title),
                        "icon": icon,
                        "status_indicator": "complete",
                    }),
                },
            ))
        }
        ToolEffect::Listed { filter, tasks } => Some(sink.item(
            "wdg",
            ItemKind::Widget {
                widget: task_list_widget(*filter, tasks),
                copy_text: Some(list_copy_text(tasks)),
            },
        )),
        ToolEffect::Failed { .. } => None,
    }
}

fn list_copy_text(tasks: &[Task]) -> String {
    tasks
        .iter()
        .map(|t| format!("{} {}", if t.completed { "[x]" } else { "[ ]" }, t.title))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A ChatKit ListView of tasks, completed ones struck through, each row with its actions.
pub fn task_list_widget(filter: StatusFilter, tasks: &[Task]) -> Value {
    let heading = match filter {
        StatusFilter::All => "Tasks",
        StatusFilter::Pending => "Pending tasks",
        StatusFilter::Completed => "Completed tasks",
    };
    json!({
        "type": "ListView",
        "status": {"text": list_status(heading, tasks.len()), "icon": "check-circle"},
        "children": tasks.iter().map(task_row).collect::<Vec<_>>(),
    })
}

fn list_status(heading: &str, count: usize) -> String {
    format!("{heading} ({count})")
}

/// One row: the title (struck through when done), then Complete or Reopen, and Delete.
pub fn task_row(task: &Task) -> Value {
    let mut title = json!({"type": "Text", "value": task.title});
    if task.completed {
        title["lineThrough"] = true.into();
        title["color"] = "secondary".into();
    }
    let toggle = if task.completed {
        button("Reopen", REOPEN, &task.id, "secondary")
    } else {
        button("Complete", COMPLETE, &task.id, "success")
    };
    json!({
        "type": "ListViewItem",
        "key": task.id,
        "gap": 2,
        "align": "center",
        "children": [
            {"type": "Col", "flex": 1, "children": [title]},
            toggle,
            button("Delete", DELETE, &task.id, "danger"),
        ],
    })
}

/// The list after one of its rows changed: the row redrawn from `task`, or taken out
/// (`None`: deleted), and the count in the heading kept true. `None` when the list has no
/// row for that task.
pub fn list_with_row(widget: &Value, task_id: &str, task: Option<&Task>) -> Option<Value> {
    let mut widget = widget.clone();
    let rows = widget.get_mut("children")?.as_array_mut()?;
    let at = rows.iter().position(|row| row["key"] == task_id)?;
    match task {
        Some(task) => rows[at] = task_row(task),
        None => {
            rows.remove(at);
        }
    }
    let count = rows.len();
    if let Some(status) = widget.pointer_mut("/status/text") {
        let text = status.as_str().unwrap_or_default();
        // The heading is what the status says before its count: "Pending tasks (3)".
        let heading = text.rsplit_once(" (").map_or(text, |(heading, _)| heading);
        *status = list_status(heading, count).into();
    }
    Some(widget)
}

/// The card for a task the assistant added, with Undo.
pub fn added_card(task: &Task) -> Value {
    card(
        "plus",
        "success",
        "Added to your tasks",
        task,
        Some(button("Undo", UNDO_ADD, &task.id, "secondary")),
    )
}

/// The card after Undo: it says the task was taken off the list again.
pub fn undone_card(task: &Task) -> Value {
    card(
        "empty-circle",
        "secondary",
        "Undone: removed from your tasks",
        task,
        None,
    )
}

/// The card when Undo found the task already gone (deleted elsewhere).
pub fn gone_card(title: &str) -> Value {
    json!({
        "type": "Card",
        "size": "sm",
        "children": [{
            "type": "Row", "gap": 3, "align": "center",
            "children": [
                {"type": "Icon", "name": "empty-circle", "color": "secondary"},
                {"type": "Col", "flex": 1, "children": [
                    {"type": "Caption", "value": "No longer on your tasks", "color": "secondary"},
                    {"type": "Text", "value": title, "lineThrough": true, "color": "secondary"},
                ]},
            ],
        }],
    })
}

fn card(icon: &str, tone: &str, caption: &str, task: &Task, undo: Option<Value>) -> Value {
    let mut title = json!({"type": "Text", "value": task.title, "weight": "semibold"});
    if undo.is_none() {
        title["lineThrough"] = true.into();
        title["color"] = "secondary".into();
    }
    let mut row = vec![
        json!({"type": "Icon", "name": icon, "color": tone}),
        json!({"type": "Col", "flex": 1, "children": [
            {"type": "Caption", "value": caption, "color": "secondary"},
            title,
        ]}),
    ];
    row.extend(undo);
    json!({
        "type": "Card",
        "size": "sm",
        "children": [{"type": "Row", "gap": 3, "align": "center", "children": row}],
    })
}

/// The title a card or list shows for `task_id`, for when the task itself is gone.
pub fn shown_title(widget: &Value, task_id: &str) -> Option<String> {
    fn find(node: &Value, task_id: &str, inside: bool) -> Option<String> {
        let inside = inside
            || node["key"] == task_id
            || node["onClickAction"]["payload"]["task_id"] == task_id;
        if inside && node["type"] == "Text" {
            return node["value"].as_str().map(str::to_string);
        }
        match node.get("children") {
            Some(Value::Array(children)) => {
                // A card's title sits beside its Undo button, not under it.
                let here = inside
                    || children
                        .iter()
                        .any(|c| c["onClickAction"]["payload"]["task_id"] == task_id);
                children.iter().find_map(|child| find(child, task_id, here))
            }
            Some(child @ Value::Object(_)) => find(child, task_id, inside),
            _ => None,
        }
    }
    find(widget, task_id, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, title: &str, completed: bool) -> Task {
        let at = chrono::Utc::now();
        Task {
            id: id.into(),
            title: title.into(),
            description: None,
            completed,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn every_row_carries_its_actions_for_its_own_task() {
        let list = task_list_widget(
            StatusFilter::All,
            &[task("t1", "Milk", false), task("t2", "Eggs", true)],
        );
        let actions = |row: &Value| -> Vec<(String, String)> {
            row["children"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["type"] == "Button")
                .map(|b| {
                    let a = &b["onClickAction"];
                    (
                        a["type"].as_str().unwrap().to_string(),
                        a["payload"]["task_id"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let rows = list["children"].as_array().unwrap();
        assert_eq!(
            actions(&rows[0]),
            [(COMPLETE.into(), "t1".into()), (DELETE.into(), "t1".into())]
        );
        assert_eq!(
            actions(&rows[1]),
            [(REOPEN.into(), "t2".into()), (DELETE.into(), "t2".into())]
        );
        assert_eq!(list["status"]["text"], "Tasks (2)");
    }

    #[test]
    fn a_changed_row_is_redrawn_and_a_deleted_one_leaves_with_the_count() {
        let list = task_list_widget(
            StatusFilter::Pending,
            &[task("t1", "Milk", false), task("t2", "Eggs", false)],
        );
        let done = list_with_row(&list, "t1", Some(&task("t1", "Milk", true))).unwrap();
        assert_eq!(
            done["children"][0]["children"][0]["children"][0]["lineThrough"],
            true
        );
        assert_eq!(done["children"][0]["children"][1]["label"], "Reopen");
        assert_eq!(done["children"][1], list["children"][1], "other rows stay");
        let gone = list_with_row(&done, "t2", None).unwrap();
        assert_eq!(gone["children"].as_array().unwrap().len(), 1);
        assert_eq!(gone["status"]["text"], "Pending tasks (1)");
        assert!(list_with_row(&list, "t9", None).is_none());
    }

    #[test]
    fn titles_are_found_for_rows_and_cards() {
        let list = task_list_widget(StatusFilter::All, &[task("t1", "Milk", false)]);
        assert_eq!(shown_title(&list, "t1").as_deref(), Some("Milk"));
        let card = added_card(&task("t2", "Eggs", false));
        assert_eq!(shown_title(&card, "t2").as_deref(), Some("Eggs"));
        assert_eq!(shown_title(&card, "t3"), None);
    }
}
