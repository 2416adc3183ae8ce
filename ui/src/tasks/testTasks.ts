import type { Task } from "../bindings";

/** A task with a timestamp `minute` minutes into the day, for tests. */
export function makeTask(n: number, fields: Partial<Task> = {}): Task {
  const at = new Date(Date.UTC(2026, 10, 21, 9, 0, 0) + n * 60_000).toISOString();
  return {
    id: `task_${String(n).padStart(5, "0")}`,
    title: `Task ${n}`,
    completed: false,
    created_at: at,
    updated_at: at,
    ...fields,
  };
}
