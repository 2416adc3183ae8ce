import { useCallback, useEffect, useMemo, useState } from "react";
import { commands, events, type AppError, type Conflict, type SyncStatus } from "../bindings";
import { asAppError, unwrap } from "../shared/ipc";
import { conflictKey } from "./syncText";

/** "Sync now" shows as under way until the pass reports back, or this long at most. */
export const SYNC_REQUEST_TIMEOUT_MS = 30_000;

const DISMISSED_KEY = "todo-assistant.dismissed-conflicts";
/** Only the most recent dismissals are kept; older conflicts are long resolved. */
const DISMISSED_LIMIT = 200;

export type SyncView = {
  /** `null` until the core first answers. */
  status: SyncStatus | null;
  /** Why the status could not be read, or "Sync now" could not be asked for. */
  error: AppError | null;
  /** True from "Sync now" until the pass it started reports back. */
  requested: boolean;
  syncNow: () => void;
  /** Tasks with changes not on the backend yet. */
  pendingIds: ReadonlySet<string>;
  /** Conflicts the user has not dismissed yet. */
  conflicts: Conflict[];
  dismissConflicts: () => void;
};

function readDismissed(): string[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

function writeDismissed(keys: string[]) {
  try {
    localStorage.setItem(DISMISSED_KEY, JSON.stringify(keys.slice(-DISMISSED_LIMIT)));
  } catch {
    // Storage full or unavailable: dismissals last for this session only.
  }
}

/**
 * The core's sync status: read at first and after every task change, and followed through
 * `syncChanged` events. The core keeps conflicts until the next backend switch, so
 * dismissing them is remembered here.
 */
export function useSyncStatus(): SyncView {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [requested, setRequested] = useState(false);
  const [dismissed, setDismissed] = useState<string[]>(readDismissed);

  useEffect(() => {
    let disposed = false;
    // Bumped by every event: a read that began before one is older than it.
    let heard = 0;
    // Reads asked for and done; reads never overlap, and those asked during one fold into one more.
    let asked = 0;
    let done = 0;
    let reading = false;

    // A local edit is queued at once, but the core reports only after its next pass (a
    // few seconds later); reading the status on each task change shows it waiting now.
    const read = async () => {
      asked += 1;
      if (reading) return;
      reading = true;
      try {
        while (done < asked) {
          const target = asked;
          const startedAt = heard;
          const fresh = await unwrap(commands.syncStatus());
          if (disposed) return;
          // A read is never mid-pass: whether a pass runs is the events' to say.
          if (startedAt === heard) setStatus((s) => ({ ...fresh, syncing: s?.syncing ?? false }));
          setError(null);
          done = target;
        }
      } catch (e) {
        if (!disposed) setError(asAppError(e));
      } finally {
        reading = false;
      }
    };

    const listening = [
      events.syncChanged.listen((event) => {
        if (disposed) return;
        heard += 1;
        setStatus(event.payload);
        setError(null);
        if (!event.payload.syncing) setRequested(false);
      }),
      events.tasksChanged.listen(() => {
        if (!disposed) void read();
      }),
    ];
    for (const unlisten of listening) {
      unlisten.catch((e: unknown) => {
        if (!disposed) setError(asAppError(e));
      });
    }
    void read();
    return () => {
      disposed = true;
      // `UnlistenFn` returns a promise that rejects when the listener is already gone.
      for (const unlisten of listening) {
        unlisten.then((stop) => (stop as () => Promise<void>)()).catch(() => {
          /* nothing left to stop */
        });
      }
    };
  }, []);

  useEffect(() => {
    if (!requested) return;
    const timer = setTimeout(() => {
      setRequested(false);
    }, SYNC_REQUEST_TIMEOUT_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [requested]);

  const syncNow = useCallback(() => {
    setRequested(true);
    commands.syncNow().then(
      () => {
        setError(null);
      },
      (e: unknown) => {
        setRequested(false);
        setError(asAppError(e));
      },
    );
  }, []);

  const pendingIds = useMemo(() => new Set(status?.pending_task_ids ?? []), [status]);

  const conflicts = useMemo(() => {
    const hidden = new Set(dismissed);
    return (status?.conflicts ?? []).filter((c) => !hidden.has(conflictKey(c)));
  }, [status, dismissed]);

  const dismissConflicts = useCallback(() => {
    setDismissed((keys) => {
      const next = [...new Set([...keys, ...conflicts.map(conflictKey)])];
      writeDismissed(next);
      return next;
    });
  }, [conflicts]);

  return useMemo(
    () => ({ status, error, requested, syncNow, pendingIds, conflicts, dismissConflicts }),
    [status, error, requested, syncNow, pendingIds, conflicts, dismissConflicts],
  );
}
