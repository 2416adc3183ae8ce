import type { Entity, Widgets } from "@openai/chatkit";
import { commands, type Task } from "../bindings";
import { unwrap } from "../shared/ipc";

/**
 * @-mentions of tasks, for both chat views: the core searches (`search_tasks`), a task
 * becomes an entity (ChatKit's tag search) or a tag in the built-in composer, and a tag in a
 * sent message previews the task as it is now. The tag's id is the task id, which the core
 * hands the model so it acts on that exact task.
 */

export const searchTasks = (query: string): Promise<Task[]> => unwrap(commands.searchTasks(query));

/** The `input_tag` data a task mention carries. */
export const TASK_TAG_DATA = { type: "task" } as const;

export function taskEntity(task: Task): Entity {
  return {
    id: task.id,
    title: task.title,
    group: task.completed ? "Completed tasks" : "Tasks",
    icon: task.completed ? "check-circle-filled" : "empty-circle",
    interactive: true,
    data: { ...TASK_TAG_DATA },
  };
}

export function taskStatus(task: Task): string {
  return task.completed ? "Completed" : "Pending";
}

/** The task a tag names, as it is now; null when it was deleted since. */
export async function findTask(id: string): Promise<Task | null> {
  const tasks = await unwrap(commands.tasksList());
  return tasks.find((task) => task.id === id) ?? null;
}

/** ChatKit's hover preview of a mentioned task: title, status, description. */
export function taskPreview(task: Task | null): Widgets.BasicRoot {
  if (!task) {
    return { type: "Basic", children: [{ type: "Text", value: "This task was deleted.", color: "secondary" }] };
  }
  const children: Widgets.BasicRoot["children"] = [
    { type: "Title", value: task.title, size: "sm" },
    { type: "Badge", label: taskStatus(task), color: task.completed ? "success" : "info", variant: "soft" },
  ];
  if (task.description) children.push({ type: "Text", value: task.description, size: "sm" });
  return { type: "Basic", gap: 2, children };
}
