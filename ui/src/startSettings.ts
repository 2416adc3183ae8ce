import type { Settings } from "./bindings";

/** Set by the core in the page before it loads (src-tauri/lib.rs, `create_main_window`). */
const GLOBAL = "__TODO_ASSISTANT_START_SETTINGS__";
const PENDING_TASKS_GLOBAL = "__TODO_ASSISTANT_START_PENDING_TASKS__";

/**
 * The settings the window was created with, so the first render is the real view, not a wait
 * for an IPC answer; `null` when the page was not opened by the app (tests, a plain browser).
 */
export function startSettings(): Settings | null {
  const value: unknown = (window as unknown as Record<string, unknown>)[GLOBAL];
  return typeof value === "object" && value !== null ? (value as Settings) : null;
}

/**
 * The settings to keep after asking the core: the current object when nothing changed, so a
 * page that started from `startSettings()` does not re-render (and reconnect its chat) for
 * an identical copy. A reload runs the creation-time script again; this is what corrects it.
 */
export function freshest(current: Settings | null, fetched: Settings): Settings {
  return current && JSON.stringify(current) === JSON.stringify(fetched) ? current : fetched;
}

/**
 * How many tasks were pending when the window was created, for the sidebar's badge until the
 * task list arrives (so the badge is there from the first paint); `undefined` outside the app.
 */
export function startPendingTasks(): number | undefined {
  const value: unknown = (window as unknown as Record<string, unknown>)[PENDING_TASKS_GLOBAL];
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}
