//! The five task tools, as the model sees them (strict JSON schemas) and as they run. A
//! tool never fails the turn: bad arguments or an unknown id come back to the model as an
//! `{"error": {code, message}}` output it can recover from.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ErrorCode;
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::store::TaskStore;

pub const TOOL_NAMES: [&str; 5] = [
    "add_task",
    "list_tasks",
    "complete_task",
    "delete_task",
    "update_task",
];

/// The Responses API `tools` array.
pub fn tool_definitions() -> Vec<Value> {
    let task_id = json!({"type": "string", "description": "The task's id, as returned by add_task or list_tasks."});
    let nullable =
        |description: &str| json!({"type": ["string", "null"], "description": description});
    let function = |name: &str, description: &str, properties: Value, required: &[&str]| {
        json!({
            "type": "function",
            "name": name,
            "description": description,
            "strict": true,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            },
        })
    };
    vec![
        function(
            "add_task",
            "Add a task to the user's list.",
            json!({
                "title": {"type": "string", "description": "Short title, 1-200 characters."},
                "description": nullable("Optional details, up to 1000 characters; null for none."),
            }),
            &["title", "description"],
        ),
        function(
            "list_tasks",
            "List the user's tasks.",
            json!({"status": {"type": "string", "enum": ["all", "pending", "completed"]}}),
            &["status"],
        ),
        function(
            "complete_task",
            "Mark a task as completed.",
            json!({"task_id": task_id}),
            &["task_id"],
        ),
        function(
            "delete_task",
            "Delete a task.",
            json!({"task_id": task_id}),
            &["task_id"],
        ),
        function(
            "update_task",
            "Change a task's title or description; null leaves a field unchanged.",
            json!({
                "task_id": task_id,
                "title": nullable("New title, or null to keep it."),
                "description": nullable("New description, or null to keep it; an empty string clears it."),
            }),
            &["task_id", "title", "description"],
        ),
    ]
}

/// What a tool run did, for the thread's display.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolEffect {
    Changed {
        verb: &'static str,
        task: Task,
    },
    Listed {
        filter: StatusFilter,
        tasks: Vec<Task>,
    },
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolRun {
    /// The JSON text handed back to the model.
    pub output: String,
    pub effect: ToolEffect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddArgs {
    title: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    #[serde(default)]
    status: StatusFilter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdArgs {
    task_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateArgs {
    task_id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn failure(code: &str, message: String) -> ToolRun {
    let message = crate::error::bounded(message);
    ToolRun {
        output: json!({"error": {"code": code, "message": message}}).to_string(),
        effect: ToolEffect::Failed { message },
    }
}

fn changed(verb: &'static str, status: &str, task: Task) -> ToolRun {
    ToolRun {
        output: json!({"task_id": task.id, "status": status, "title": task.title}).to_string(),
        effect: ToolEffect::Changed { verb, task },
    }
}

/// Parses the model's arguments, or explains to the model what was wrong with them.
fn with_args<T: for<'de> Deserialize<'de>>(
    name: &str,
    arguments: &str,
    run: impl FnOnce(T) -> ToolRun,
) -> ToolRun {
    // Strict schemas list every property as required, nullable ones included, but servers
    // that do not enforce them (Ollama, LM Studio, vLLM, gateways) leave those out: a
    // missing nullable argument is null. Only a missing title or id, or a wrong type, is
    // refused, in serde's words, which tell the model what to correct.
    match serde_json::from_str(arguments) {
        Ok(args) => run(args),
        Err(e) => failure(
            "invalid_arguments",
            format!(
                "{name} got arguments it cannot use ({e}): {}",
                crate::error::excerpt(arguments)
            ),
        ),
    }
}

fn from_store(result: crate::error::AppResult<Task>, verb: &'static str, status: &str) -> ToolRun {
    match result {
        Ok(task) => changed(verb, status, task),
        Err(e) => failure(
            if e.code == ErrorCode::NotFound {
                "not_found"
            } else {
                "invalid_arguments"
            },
            e.message,
        ),
    }
}

/// Runs one tool call against the store.
pub fn run_tool(store: &TaskStore, name: &str, arguments: &str) -> ToolRun {
    match name {
        "add_task" => with_args(name, arguments, |args: AddArgs| {
            from_store(
                store.add(&args.title, args.description.as_deref()),
                "Added",
                "created",
            )
        }),
        "list_tasks" => with_args(name, arguments, |args: ListArgs| {
            let tasks = store.list(args.status);
            ToolRun {
                output: json!({ "tasks": tasks }).to_string(),
                effect: ToolEffect::Listed {
                    filter: args.status,
                    tasks,
                },
            }
        }),
        "complete_task" => with_args(name, arguments, |args: IdArgs| {
            from_store(
                store.set_completed(&args.task_id, true),
                "Completed",
                "completed",
            )
        }),
        "delete_task" => with_args(name, arguments, |args: IdArgs| {
            from_store(store.delete(&args.task_id), "Deleted", "deleted")
        }),
        "update_task" => with_args(name, arguments, |args: UpdateArgs| {
            from_store(
                store.update(
                    &args.task_id,
                    args.title.as_deref(),
                    args.description.as_deref(),
                ),
                "Updated",
                "updated",
            )
        }),
        unknown => failure("unknown_tool", format!("There is no tool named {unknown}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, TaskStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = TaskStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn definitions_are_strict_and_name_every_property_required() {
        let tools = tool_definitions();
        assert_eq!(tools.len(), 5);
        for tool in &tools {
            assert_eq!(tool["strict"], true);
            let params = &tool["parameters"];
            assert_eq!(params["additionalProperties"], false);
            let props: Vec<_> = params["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let mut required: Vec<String> = params["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            required.sort();
            let mut props = props;
            props.sort();
            assert_eq!(props, required, "{}", tool["name"]);
        }
        let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, TOOL_NAMES);
    }

    #[test]
    fn tools_change_the_store_and_report_status() {
        let (_dir, store) = store();
        let added = run_tool(
            &store,
            "add_task",
            r#"{"title":"Buy groceries","description":null}"#,
        );
        let output: Value = serde_json::from_str(&added.output).unwrap();
        assert_eq!(output["status"], "created");
        assert_eq!(output["title"], "Buy groceries");
        let id = output["task_id"].as_str().unwrap().to_string();

        let listed = run_tool(&store, "list_tasks", r#"{"status":"pending"}"#);
        let output: Value = serde_json::from_str(&listed.output).unwrap();
        assert_eq!(output["tasks"][0]["id"], id);

        let done = run_tool(&store, "complete_task", &format!(r#"{{"task_id":"{id}"}}"#));
        assert!(done.output.contains(r#""status":"completed""#));
        assert!(store.get(&id).unwrap().completed);
        assert!(store.list(StatusFilter::Pending).is_empty());

        let updated = run_tool(
            &store,
            "update_task",
            &format!(r#"{{"task_id":"{id}","title":"Buy food","description":null}}"#),
        );
        assert!(matches!(
            updated.effect,
            ToolEffect::Changed {
                verb: "Updated",
                ..
            }
        ));
        assert_eq!(store.get(&id).unwrap().title, "Buy food");
        run_tool(&store, "delete_task", &format!(r#"{{"task_id":"{id}"}}"#));
        assert!(store.list(StatusFilter::All).is_empty());
    }

    #[test]
    fn bad_calls_become_errors_the_model_can_read() {
        let (_dir, store) = store();
        for (name, args, code) in [
            (
                "complete_task",
                r#"{"task_id":"task_missing"}"#,
                "not_found",
            ),
            ("add_task", r#"{"title":""}"#, "invalid_arguments"),
            ("add_task", "not json", "invalid_arguments"),
            ("list_tasks", r#"{"status":"someday"}"#, "invalid_arguments"),
            (
                "add_task",
                r#"{"title":"x","color":"red"}"#,
                "invalid_arguments",
            ),
            ("launch_rocket", "{}", "unknown_tool"),
            (
                "add_task",
                r#"{"description":"no title"}"#,
                "invalid_arguments",
            ),
            ("add_task", r#"{"title":5}"#, "invalid_arguments"),
            ("update_task", r#"{"title":"no id"}"#, "invalid_arguments"),
            ("delete_task", "{}", "invalid_arguments"),
        ] {
            let run = run_tool(&store, name, args);
            let output: Value = serde_json::from_str(&run.output).unwrap();
            assert_eq!(output["error"]["code"], code, "{name} {args}");
            assert!(matches!(run.effect, ToolEffect::Failed { .. }));
        }
        assert!(store.list(StatusFilter::All).is_empty());
    }

    #[test]
    fn a_left_out_nullable_argument_is_null_and_a_missing_required_one_is_named() {
        let (_dir, store) = store();
        let run = run_tool(&store, "add_task", r#"{"title":"Buy groceries"}"#);
        let ToolEffect::Changed { task, .. } = run.effect else {
            panic!("{}", run.output);
        };
        assert_eq!(task.description, None);
        let run = run_tool(
            &store,
            "update_task",
            &format!(r#"{{"task_id":"{}","title":"Buy food"}}"#, task.id),
        );
        assert!(
            matches!(run.effect, ToolEffect::Changed { .. }),
            "{}",
            run.output
        );
        assert_eq!(store.list(StatusFilter::Pending)[0].title, "Buy food");
        let listed = run_tool(&store, "list_tasks", "{}");
        assert!(matches!(
            listed.effect,
            ToolEffect::Listed {
                filter: StatusFilter::All,
                ..
            }
        ));

        let refused = run_tool(&store, "add_task", r#"{"description":"details"}"#);
        assert!(
            refused.output.contains("missing field `title`"),
            "{}",
            refused.output
        );
        let refused = run_tool(&store, "add_task", r#"{"title":["x"]}"#);
        assert!(
            refused.output.contains("invalid type"),
            "{}",
            refused.output
        );
    }

    #[test]
    fn a_huge_argument_is_quoted_as_an_excerpt() {
        let (_dir, store) = store();
        let huge = format!(r#"{{"title":"x","color":"{}"}}"#, "r".repeat(100_000));
        let run = run_tool(&store, "add_task", &huge);
        assert!(run.output.len() < 1_000, "{} bytes", run.output.len());
    }
}
