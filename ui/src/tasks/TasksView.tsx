import {
  useDeferredValue,
  useEffect,
  useEffectEvent,
  useMemo,
  useReducer,
  useRef,
  useState,
  type KeyboardEvent,
} from "react";
import type { AppError, Result, Task } from "../bindings";
import { commands } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { useOnline } from "../shared/useOnline";
import { ConflictPanel } from "../sync/ConflictPanel";
import { SyncBar } from "../sync/SyncBar";
import type { SyncView } from "../sync/useSyncStatus";
import { isTyping } from "./keys";
import { queryTasks, admits, matchesSearch, searchTerms, SORT_LABELS, type SortOrder, type StatusFilter } from "./taskQuery";
import { ROW_HEIGHT, rowId, TaskEditorRow, TaskRow, type Draft } from "./TaskRow";
import { EMPTY_UNDO, latestUndo, nextExpiry, undoReducer } from "./undo";
import { UndoToast } from "./UndoToast";
import type { TaskList } from "./useTaskList";
import { VirtualRows } from "./VirtualRows";

const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "pending", label: "Pending" },
  { value: "completed", label: "Completed" },
];

const noop = () => {
  /* nowhere to go */
};

/** Rows PageUp/PageDown move by. */
const PAGE = 10;

/**
 * Review and edit tasks; works entirely from the local store, online or not. With a
 * backend, `sync` says what has reached it and what has not.
 */
export function TasksView({
  list,
  sync,
  onOpenSettings,
}: {
  list: TaskList;
  sync?: SyncView | undefined;
  /** For sync problems only Settings can fix (sign in again). */
  onOpenSettings?: (() => void) | undefined;
}) {
  const { put, drop } = list;
  const online = useOnline();
  const [filter, setFilter] = useState<StatusFilter>("all");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<SortOrder>("newest");
  // By id, so the selection follows its task through re-sorting and live updates; the
  // index is where to land when the task itself goes away.
  const [selection, setSelection] = useState<{ id: string | null; index: number }>({ id: null, index: 0 });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [newTitle, setNewTitle] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  const [undo, dispatchUndo] = useReducer(undoReducer, EMPTY_UNDO);
  const gridRef = useRef<HTMLDivElement | null>(null);
  const searchRef = useRef<HTMLInputElement | null>(null);
  const addRef = useRef<HTMLInputElement | null>(null);
  // Read once per visit: today's tasks show their time, older ones their date.
  const [today] = useState(() => new Date().toDateString());

  // Typing stays smooth with 10,000 tasks: the list catches up a frame later.
  const deferredSearch = useDeferredValue(search);
  const { visible, counts } = useMemo(
    () => queryTasks(list.tasks ?? [], { filter, search: deferredSearch, sort }),
    [list.tasks, filter, deferredSearch, sort],
  );
  const selectedIndex = useMemo(() => {
    if (visible.length === 0) return -1;
    const at = selection.id === null ? -1 : visible.findIndex((t) => t.id === selection.id);
    return at >= 0 ? at : Math.min(selection.index, visible.length - 1);
  }, [visible, selection]);
  const selected = selectedIndex >= 0 ? visible[selectedIndex] : undefined;
  const latest = latestUndo(undo);

  /** Runs a command; a coded failure goes to the banner and comes back as `undefined`. */
  const run = async <T,>(pending: Promise<Result<T, AppError>>): Promise<T | undefined> => {
    try {
      const value = await unwrap(pending);
      setError(null);
      return value;
    } catch (e) {
      setError(asAppError(e));
      return undefined;
    }
  };

  const select = (index: number) => {
    const task = visible[index];
    if (task) setSelection({ id: task.id, index });
  };

  const focusList = () => {
    gridRef.current?.focus();
  };

  const add = async () => {
    const title = newTitle.trim();
    if (!title) return;
    const task = await run(commands.taskAdd(title, null));
    if (!task) return;
    put(task);
    setNewTitle("");
    // A new task always shows, even when the filter or search would hide it.
    if (!admits(filter, task) || !matchesSearch(task, searchTerms(search))) {
      setFilter("all");
      setSearch("");
    }
    setSelection({ id: task.id, index: 0 });
  };

  const toggle = async (task: Task) => {
    const changed = await run(commands.taskSetCompleted(task.id, !task.completed));
    if (changed) put(changed);
  };

  const remove = async (task: Task) => {
    const at = visible.findIndex((t) => t.id === task.id);
    const deleted = await run(commands.taskDelete(task.id));
    if (!deleted) return;
    drop(deleted.id);
    dispatchUndo({ type: "deleted", task: deleted, now: Date.now() });
    if (selection.id === task.id || selectedIndex === at) setSelection({ id: null, index: Math.max(0, at) });
  };

  const undoLatest = async () => {
    if (!latest) return;
    dispatchUndo({ type: "forget", key: latest.key });
    const restored = await run(commands.taskRestore(latest.task));
    if (!restored) return;
    put(restored);
    setSelection({ id: restored.id, index: 0 });
    // The toast's button is gone; keep the keyboard in the list.
    focusList();
  };

  const startEdit = (task: Task) => {
    setSelection((s) => (s.id === task.id ? s : { id: task.id, index: visible.findIndex((t) => t.id === task.id) }));
    setDraft({ id: task.id, title: task.title, description: task.description ?? "" });
  };

  const cancelEdit = () => {
    setDraft(null);
    focusList();
  };

  const saveEdit = async () => {
    if (!draft || saving) return;
    const original = list.tasks?.find((t) => t.id === draft.id);
    const title = original && draft.title === original.title ? null : draft.title;
    const description = original && draft.description === (original.description ?? "") ? null : draft.description;
    if (title === null && description === null) {
      cancelEdit();
      return;
    }
    setSaving(true);
    const updated = await run(commands.taskUpdate(draft.id, title, description));
    setSaving(false);
    if (!updated) return; // the editor stays open with the error above it
    put(updated);
    setDraft(null);
    focusList();
  };

  const onGridKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (isTyping(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
    const last = visible.length - 1;
    const at = Math.max(0, selectedIndex);
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      PageDown: at + PAGE,
      PageUp: at - PAGE,
      Home: 0,
      End: last,
    };
    const move = moves[e.key];
    if (move !== undefined) {
      e.preventDefault();
      if (last >= 0) select(Math.max(0, Math.min(last, move)));
      return;
    }
    if (!selected) return;
    if (e.key === " ") {
      e.preventDefault();
      void toggle(selected);
    } else if (e.key === "Enter") {
      e.preventDefault();
      startEdit(selected);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      void remove(selected);
    }
  };

  // View-wide shortcuts, wherever focus is in the view but not while typing.
  const onDocumentKeyDown = useEffectEvent((e: globalThis.KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !e.shiftKey && !isTyping(e.target)) {
      if (latest) {
        e.preventDefault();
        void undoLatest();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || isTyping(e.target)) return;
    if (e.key === "/") {
      e.preventDefault();
      searchRef.current?.focus();
    } else if (e.key === "n" || e.key === "N") {
      e.preventDefault();
      addRef.current?.focus();
    }
  });
  useEffect(() => {
    const listener = (e: globalThis.KeyboardEvent) => {
      onDocumentKeyDown(e);
    };
    document.addEventListener("keydown", listener);
    return () => {
      document.removeEventListener("keydown", listener);
    };
  }, []);

  // One timer for the soonest undo to run out.
  useEffect(() => {
    const at = nextExpiry(undo);
    if (at === null) return;
    const timer = setTimeout(() => {
      dispatchUndo({ type: "expire", now: Date.now() });
    }, Math.max(0, at - Date.now()));
    return () => {
      clearTimeout(timer);
    };
  }, [undo]);

  const leaveField = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Escape" || e.key === "ArrowDown") {
      e.preventDefault();
      focusList();
    }
  };

  const shownError = error ?? list.error;
  const hasTasks = (list.tasks?.length ?? 0) > 0;

  return (
    <section className="pane tasks-pane" aria-label="Tasks">
      <header className="tasks-header">
        <h1>Tasks</h1>
        {!online && !sync?.status?.backend && (
          <span className="muted small">Offline: changes are saved on this computer.</span>
        )}
      </header>
      {sync && <SyncBar sync={sync} onOpenSettings={onOpenSettings ?? noop} />}
      {sync && (
        <ConflictPanel
          conflicts={sync.conflicts}
          titleOf={(id) => list.tasks?.find((t) => t.id === id)?.title ?? null}
          onDismiss={sync.dismissConflicts}
        />
      )}

      <form
        className="add-task"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input
          ref={addRef}
          className="add-input"
          aria-label="New task"
          placeholder="Add a task…"
          autoComplete="off"
          value={newTitle}
          onChange={(e) => {
            setNewTitle(e.target.value);
          }}
          onKeyDown={leaveField}
        />
        <button type="submit" className="primary" disabled={newTitle.trim() === ""}>
          Add
        </button>
      </form>

      <div className="tasks-toolbar">
        <div className="segmented" role="group" aria-label="Show">
          {FILTERS.map((f) => (
            <button
              key={f.value}
              type="button"
              aria-pressed={filter === f.value}
              className={filter === f.value ? "on" : ""}
              onClick={() => {
                setFilter(f.value);
              }}
            >
              {f.label} <span className="count">{counts[f.value]}</span>
            </button>
          ))}
        </div>
        <input
          ref={searchRef}
          type="search"
          className="search-input"
          aria-label="Search tasks"
          placeholder="Search"
          autoComplete="off"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              focusList();
            } else {
              leaveField(e);
            }
          }}
        />
        <select
          aria-label="Sort"
          className="sort-select"
          value={sort}
          onChange={(e) => {
            setSort(e.target.value as SortOrder);
          }}
        >
          {(Object.keys(SORT_LABELS) as SortOrder[]).map((order) => (
            <option key={order} value={order}>
              {SORT_LABELS[order]}
            </option>
          ))}
        </select>
      </div>

      {shownError && (
        <ErrorBanner
          error={shownError}
          onDismiss={
            error
              ? () => {
                  setError(null);
                }
              : undefined
          }
        />
      )}

      {list.tasks === null && !list.error ? (
        <p className="tasks-empty muted" aria-busy="true">Loading tasks…</p>
      ) : visible.length === 0 ? (
        <p className="tasks-empty muted">
          {!hasTasks
            ? "No tasks yet. Add one above, or ask the assistant in Chat."
            : deferredSearch.trim()
              ? `No ${filter === "all" ? "" : `${filter} `}tasks match “${deferredSearch.trim()}”.`
              : `No ${filter} tasks.`}
        </p>
      ) : (
        <VirtualRows
          viewportRef={gridRef}
          className="task-grid"
          role="grid"
          aria-label="Tasks"
          aria-rowcount={visible.length}
          aria-colcount={4}
          aria-activedescendant={selected ? rowId(selected) : undefined}
          tabIndex={0}
          count={visible.length}
          rowHeight={ROW_HEIGHT}
          activeIndex={selectedIndex}
          onKeyDown={onGridKeyDown}
          renderRow={(index, top) => {
            const task = visible[index];
            if (!task) return null;
            if (draft?.id === task.id) {
              return (
                <TaskEditorRow
                  key={task.id}
                  task={task}
                  index={index}
                  top={top}
                  draft={draft}
                  saving={saving}
                  onChange={setDraft}
                  onSave={() => void saveEdit()}
                  onCancel={cancelEdit}
                />
              );
            }
            return (
              <TaskRow
                key={task.id}
                task={task}
                index={index}
                top={top}
                selected={index === selectedIndex}
                pending={sync?.pendingIds.has(task.id) ?? false}
                showUpdated={sort === "updated"}
                today={today}
                onPointerDown={(i) => {
                  if (draft) void saveEdit();
                  select(i);
                  focusList();
                }}
                onToggle={(t) => void toggle(t)}
                onEdit={startEdit}
                onDelete={(t) => void remove(t)}
              />
            );
          }}
        />
      )}

      <p className="tasks-hints muted small" aria-hidden="true">
        <kbd>↑</kbd> <kbd>↓</kbd> select · <kbd>Space</kbd> done · <kbd>Enter</kbd> edit · <kbd>Del</kbd> delete ·{" "}
        <kbd>/</kbd> search · <kbd>N</kbd> new task
      </p>

      {latest && (
        <UndoToast entry={latest} more={undo.entries.length - 1} onUndo={() => void undoLatest()} />
      )}
    </section>
  );
}
