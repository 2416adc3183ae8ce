import type { UndoEntry } from "./undo";

/** "Deleted …" with Undo, shown while the latest deletion can still be undone. */
export function UndoToast({ entry, more, onUndo }: { entry: UndoEntry; more: number; onUndo: () => void }) {
  return (
    <div className="toast" role="status">
      <span className="toast-text">
        Deleted “{entry.task.title}”{more > 0 && <span className="muted"> · {more} more to undo</span>}
      </span>
      <button type="button" className="toast-action" onClick={onUndo}>
        Undo
      </button>
    </div>
  );
}
