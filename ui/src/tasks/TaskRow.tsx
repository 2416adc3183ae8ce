import type { KeyboardEvent, MouseEvent } from "react";
import type { Task } from "../bindings";
import { focusOnMount } from "../shared/focusOnMount";
import { isTyping } from "./keys";
import { lazyFormat } from "../shared/lazyFormat";

/** Every row is this tall, which is what lets the list mount only the rows in view. */
export const ROW_HEIGHT = 52;

/** A task being edited in place; kept by the view so scrolling it away loses nothing. */
export type Draft = { id: string; title: string; description: string };

const dateFormat = lazyFormat(() => new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }));
const timeFormat = lazyFormat(() => new Intl.DateTimeFormat(undefined, { timeStyle: "short" }));
const dateTimeFormat = lazyFormat(
  () => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
);

function formatDate(iso: string, format: () => Intl.DateTimeFormat): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : format().format(date);
}

/** The time for today's changes, the date for older ones. `today` is `Date.toDateString()`. */
export function shortWhen(iso: string, today: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toDateString() === today ? timeFormat().format(date) : dateFormat().format(date);
}

export function rowId(task: Task): string {
  return `task-row-${task.id}`;
}

type RowProps = {
  task: Task;
  index: number;
  top: number;
  selected: boolean;
  /** The task has changes the backend does not have yet. */
  pending: boolean;
  /** Which date the meta column shows. */
  showUpdated: boolean;
  /** `Date.toDateString()` of today, to show today's times rather than dates. */
  today: string;
  /** Clicks keep keyboard focus on the list rather than the row's own controls. */
  onPointerDown: (index: number) => void;
  onToggle: (task: Task) => void;
  onEdit: (task: Task) => void;
  onDelete: (task: Task) => void;
};

export function TaskRow({
  task,
  index,
  top,
  selected,
  pending,
  showUpdated,
  today,
  onPointerDown,
  onToggle,
  onEdit,
  onDelete,
}: RowProps) {
  const when = showUpdated ? task.updated_at : task.created_at;
  return (
    <div
      role="row"
      id={rowId(task)}
      aria-rowindex={index + 1}
      aria-selected={selected}
      className={`task-row${selected ? " selected" : ""}${task.completed ? " done" : ""}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onMouseDown={(e: MouseEvent) => {
        if (isTyping(e.target)) return;
        e.preventDefault();
        onPointerDown(index);
      }}
      onDoubleClick={(e: MouseEvent) => {
        if (e.target instanceof HTMLInputElement || e.target instanceof HTMLButtonElement) return;
        onEdit(task);
      }}
    >
      <div role="gridcell" className="task-check">
        <input
          type="checkbox"
          tabIndex={-1}
          checked={task.completed}
          aria-label={`Completed: ${task.title}`}
          onChange={() => {
            onToggle(task);
          }}
        />
      </div>
      <div role="gridcell" className="task-text">
        <span className="task-title">{task.title}</span>
        {task.description && <span className="task-description">{task.description}</span>}
      </div>
      <div
        role="gridcell"
        className="task-meta"
        title={`Created ${formatDate(task.created_at, dateTimeFormat)}\nUpdated ${formatDate(task.updated_at, dateTimeFormat)}`}
      >
        {pending && (
          <span className="pending-mark" title="This change has not reached the backend yet">
            <CloudUpIcon />
            waiting to sync
          </span>
        )}
        {shortWhen(when, today)}
      </div>
      <div role="gridcell" className="task-actions">
        <button type="button" className="icon" tabIndex={-1} aria-label={`Edit “${task.title}”`}
          onClick={() => { onEdit(task); }}>
          <PencilIcon />
        </button>
        <button type="button" className="icon danger" tabIndex={-1} aria-label={`Delete “${task.title}”`}
          onClick={() => { onDelete(task); }}>
          <TrashIcon />
        </button>
      </div>
    </div>
  );
}

type EditorProps = {
  task: Task;
  index: number;
  top: number;
  draft: Draft;
  saving: boolean;
  onChange: (draft: Draft) => void;
  onSave: () => void;
  onCancel: () => void;
};

/** The row in edit mode: Enter saves, Escape cancels. */
export function TaskEditorRow({ task, index, top, draft, saving, onChange, onSave, onCancel }: EditorProps) {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter") {
      e.preventDefault();
      e.stopPropagation();
      onSave();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    }
  };
  return (
    <div
      role="row"
      id={rowId(task)}
      aria-rowindex={index + 1}
      aria-selected={true}
      className="task-row selected editing"
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <div role="gridcell" className="task-check">
        <input type="checkbox" tabIndex={-1} checked={task.completed} disabled aria-label={`Completed: ${task.title}`} />
      </div>
      <div role="gridcell" className="task-edit">
        <input
          className="edit-title"
          aria-label="Title"
          value={draft.title}
          ref={focusOnMount}
          disabled={saving}
          onFocus={(e) => { e.currentTarget.select(); }}
          onChange={(e) => { onChange({ ...draft, title: e.target.value }); }}
          onKeyDown={onKeyDown}
        />
        <input
          className="edit-description"
          aria-label="Description"
          placeholder="Description (optional)"
          value={draft.description}
          disabled={saving}
          onChange={(e) => { onChange({ ...draft, description: e.target.value }); }}
          onKeyDown={onKeyDown}
        />
      </div>
      <div role="gridcell" className="task-actions editing">
        <button type="button" className="primary small-button" disabled={saving} onClick={onSave}>
          Save
        </button>
        <button type="button" className="small-button" disabled={saving} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function CloudUpIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path d="M4.5 12.5H4a3 3 0 0 1-.4-6A4.5 4.5 0 0 1 12.3 6 3.2 3.2 0 0 1 12 12.5h-.5M8 13.5V8.5M6 10.3l2-2 2 2"
        fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function PencilIcon() {
  return (
    <svg viewBox="0 0 16 16" width="15" height="15" aria-hidden="true">
      <path d="M11.5 2.5l2 2L6 12H4v-2l7.5-7.5z" fill="none" stroke="currentColor" strokeWidth="1.4"
        strokeLinejoin="round" />
    </svg>
  );
}

function TrashIcon() {
  return (
    <svg viewBox="0 0 16 16" width="15" height="15" aria-hidden="true">
      <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5" fill="none" stroke="currentColor"
        strokeWidth="1.4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
