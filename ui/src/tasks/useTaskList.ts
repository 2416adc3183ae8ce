import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { commands, events, type AppError, type Task } from "../bindings";
import { asAppError } from "../shared/ipc";
import { removeTask, upsertTask } from "./taskQuery";

/** The task list as the core has it, followed live. */
export type TaskList = {
  /** `null` until the first load answers. */
  tasks: Task[] | null;
  /** Why the list could not be loaded or followed. */
  error: AppError | null;
  /** Shows a task a command returned at once; the change event's refresh confirms it. */
  put: (task: Task) => void;
  /** Hides a deleted task at once. */
  drop: (id: string) => void;
};

/**
 * Loads the tasks from the local store and reloads on every `tasksChanged` event, whoever
 * made the change (this window, the assistant, sync). Reloads never overlap: events that
 * arrive during one are folded into a single reload after it.
 */
export function useTaskList(): TaskList {
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  // Bumped by every local edit: a reload that began before one may predate it.
  const edits = useRef(0);

  useEffect(() => {
    let disposed = false;
    let running = false;
    let again = false;

    const reload = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const startedAt = edits.current;
          const result = await commands.tasksList();
          if (disposed) return;
          if (result.status === "error") {
            setError(result.error);
          } else if (startedAt === edits.current) {
            setTasks(result.data);
            setError(null);
          } else {
            again = true;
          }
        } while (again);
      } catch (e) {
        if (!disposed) setError(asAppError(e));
      } finally {
        running = false;
      }
    };

    const unlisten = events.tasksChanged.listen(() => {
      void reload();
    });
    unlisten.catch((e: unknown) => {
      if (!disposed) setError(asAppError(e));
    });
    void reload();
    return () => {
      disposed = true;
      // `UnlistenFn` is typed `() => void` but returns a promise, which rejects when the
      // listener is already gone (the window closing, a test's mock cleared).
      unlisten.then((stop) => (stop as () => Promise<void>)()).catch(() => {
        /* nothing left to stop */
      });
    };
  }, []);

  const put = useCallback((task: Task) => {
    edits.current += 1;
    setTasks((list) => (list ? upsertTask(list, task) : [task]));
  }, []);

  const drop = useCallback((id: string) => {
    edits.current += 1;
    setTasks((list) => list && removeTask(list, id));
  }, []);

  return useMemo(() => ({ tasks, error, put, drop }), [tasks, error, put, drop]);
}
