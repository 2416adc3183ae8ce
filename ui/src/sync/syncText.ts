import type { Conflict, JsonValue, SyncStatus } from "../bindings";
import { lazyFormat } from "../shared/lazyFormat";

/** How the sync line looks: calm when all is well, asking for attention when not. */
export type SyncTone = "ok" | "pending" | "busy" | "offline" | "attention" | "error";

/** What to do about the current state, besides "Sync now". */
export type SyncAction = "sign_in" | "settings" | null;

export type SyncHeadline = {
  tone: SyncTone;
  text: string;
  /** A second fact, e.g. how many changes are waiting while offline. */
  detail: string | null;
  action: SyncAction;
};

export function pendingText(count: number): string {
  return count === 1 ? "1 change waiting to sync" : `${count} changes waiting to sync`;
}

/**
 * The one-line summary of sync, or `null` on the Local connection (tasks stay on this
 * device, so there is nothing to say). `online` is the system's own network state: offline
 * is known before a sync pass finds out. `requested` is true while a "Sync now" is on its
 * way: the background passes that find nothing to send do not flash "Syncing…".
 */
export function syncHeadline(
  status: SyncStatus,
  { online, requested }: { online: boolean; requested: boolean },
): SyncHeadline | null {
  if (!status.backend) return null;
  const pending = status.pending_changes;
  const waiting = pending > 0 ? pendingText(pending) : null;
  if (status.phase === "sign_in_required") {
    return { tone: "attention", text: "Sign in again to sync", detail: waiting, action: "sign_in" };
  }
  const offline = { tone: "offline", text: "Offline — changes will sync when you're back online", detail: waiting, action: null } as const;
  if (!online) return offline;
  if (requested || (status.syncing && pending > 0)) {
    return { tone: "busy", text: "Syncing…", detail: waiting, action: null };
  }
  if (status.phase === "offline") return offline;
  if (status.phase === "error") {
    return {
      tone: "error",
      text: status.message?.trim() || "Sync failed.",
      detail: waiting,
      action: "settings",
    };
  }
  if (waiting) return { tone: "pending", text: waiting, detail: null, action: null };
  if (status.phase === null && status.last_synced_at === null) {
    return { tone: "pending", text: "Not synced yet", detail: null, action: null };
  }
  return { tone: "ok", text: "All changes synced", detail: null, action: null };
}

const timeFormat = lazyFormat(() => new Intl.DateTimeFormat(undefined, { timeStyle: "short" }));
const dateTimeFormat = lazyFormat(
  () => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
);

/** "Last synced 10:42" today, with the date before that; `null` when it never synced. */
export function lastSyncedText(iso: string | null, now: Date = new Date()): string | null {
  if (!iso) return null;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return null;
  const format = at.toDateString() === now.toDateString() ? timeFormat() : dateTimeFormat();
  return `Last synced ${format.format(at)}`;
}

function quoted(value: JsonValue): string {
  return `“${typeof value === "string" ? value : JSON.stringify(value)}”`;
}

function empty(value: JsonValue): boolean {
  return value === null || value === "";
}

/** "kept the other device's title “X” (yours: “Y”)", worded for each field. */
function keptPhrase(conflict: Conflict): string {
  const { field, server_value: theirs, local_value: yours } = conflict;
  if (field === "completed") {
    const state = (v: JsonValue) => (v === true ? "done" : "not done");
    return `kept it ${state(theirs)}, as the other device has it (yours: ${state(yours)})`;
  }
  const kept = empty(theirs) ? `kept the other device's empty ${field}` : `kept the other device's ${field} ${quoted(theirs)}`;
  return `${kept} (yours: ${empty(yours) ? "empty" : quoted(yours)})`;
}

/** Which message the core uses for a field both devices changed. */
const BOTH_CHANGED = /^Changed on another device too/;

/**
 * A conflict as a sentence: which version was kept, and what yours was. `title` is the
 * task's current title, for messages that name the task.
 */
export function conflictText(conflict: Conflict, title: string | null): string {
  if (BOTH_CHANGED.test(conflict.message)) {
    const sentence = `Changed on another device too: ${keptPhrase(conflict)}`;
    // A title conflict names the task already; the others say which task.
    return conflict.field !== "title" && title ? `“${title}”: ${sentence}` : sentence;
  }
  const named = title ?? (conflict.field === "title" && typeof conflict.local_value === "string" ? conflict.local_value : null);
  return named ? `“${named}”: ${conflict.message}` : conflict.message;
}

/** Identifies a conflict across status updates, so a dismissed one stays dismissed. */
export function conflictKey(conflict: Conflict): string {
  return JSON.stringify([conflict.task_id, conflict.field, conflict.local_value, conflict.server_value, conflict.message]);
}
