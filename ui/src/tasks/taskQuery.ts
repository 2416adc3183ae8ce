import type { Task } from "../bindings";
import { lazyFormat } from "../shared/lazyFormat";

/** Which tasks the view shows by status. */
export type StatusFilter = "all" | "pending" | "completed";

/** The orders the view offers; each names its direction so one control is enough. */
export type SortOrder = "newest" | "oldest" | "updated" | "title";

export const SORT_LABELS: Record<SortOrder, string> = {
  newest: "Newest first",
  oldest: "Oldest first",
  updated: "Recently updated",
  title: "Title A–Z",
};

export type TaskQuery = { filter: StatusFilter; search: string; sort: SortOrder };

export type StatusCounts = Record<StatusFilter, number>;

/** The search text as lower-case words; a task matches when it contains all of them. */
export function searchTerms(search: string): string[] {
  return search.toLocaleLowerCase().split(/\s+/).filter((term) => term.length > 0);
}

/** Whether the title or description holds every term (case-insensitive). */
export function matchesSearch(task: Task, terms: readonly string[]): boolean {
  if (terms.length === 0) return true;
  const haystack = `${task.title}\n${task.description ?? ""}`.toLocaleLowerCase();
  return terms.every((term) => haystack.includes(term));
}

export function admits(filter: StatusFilter, task: Task): boolean {
  if (filter === "pending") return !task.completed;
  if (filter === "completed") return task.completed;
  return true;
}

export function countByStatus(tasks: readonly Task[]): StatusCounts {
  let completed = 0;
  for (const task of tasks) if (task.completed) completed += 1;
  return { all: tasks.length, pending: tasks.length - completed, completed };
}

const titleCollator = lazyFormat(() => new Intl.Collator(undefined, { sensitivity: "base", numeric: true }));

/** Milliseconds since the epoch; timestamps vary in their fraction digits, so strings do not compare. */
function time(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** A sorted copy. Ties keep the core's order (oldest first), so rows never jump about. */
export function sortTasks(tasks: readonly Task[], order: SortOrder): Task[] {
  const keyed = tasks.map((task, index) => ({
    task,
    index,
    at: order === "updated" ? time(task.updated_at) : order === "title" ? 0 : time(task.created_at),
  }));
  keyed.sort((a, b) => {
    let by = 0;
    if (order === "title") by = titleCollator().compare(a.task.title, b.task.title);
    else if (order === "oldest") by = a.at - b.at;
    else by = b.at - a.at;
    return by !== 0 ? by : a.index - b.index;
  });
  return keyed.map((k) => k.task);
}

/** What the list shows: the search applied, counts per status, then the status filter and order. */
export function queryTasks(tasks: readonly Task[], query: TaskQuery): { visible: Task[]; counts: StatusCounts } {
  const terms = searchTerms(query.search);
  const found = terms.length === 0 ? tasks : tasks.filter((task) => matchesSearch(task, terms));
  const counts = countByStatus(found);
  const filtered = query.filter === "all" ? found : found.filter((task) => admits(query.filter, task));
  return { visible: sortTasks(filtered, query.sort), counts };
}

/** The list with `task` in place of the one with its id, or added when it is new. */
export function upsertTask(tasks: readonly Task[], task: Task): Task[] {
  const at = tasks.findIndex((t) => t.id === task.id);
  if (at === -1) return [...tasks, task];
  const next = tasks.slice();
  next[at] = task;
  return next;
}

export function removeTask(tasks: readonly Task[], id: string): Task[] {
  return tasks.filter((t) => t.id !== id);
}
