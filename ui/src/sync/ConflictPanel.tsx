import type { Conflict } from "../bindings";
import { conflictText } from "./syncText";

/** What sync could not merge: which version was kept, and what yours was. */
export function ConflictPanel({
  conflicts,
  titleOf,
  onDismiss,
}: {
  conflicts: Conflict[];
  /** A task's current title, when it still exists here. */
  titleOf: (taskId: string) => string | null;
  onDismiss: () => void;
}) {
  if (conflicts.length === 0) return null;
  return (
    <section className="banner banner-warning conflicts" aria-label="Sync conflicts">
      <div>
        <p className="conflicts-title">
          {conflicts.length === 1 ? "1 change was not applied" : `${conflicts.length} changes were not applied`}
        </p>
        <ul>
          {conflicts.map((c, i) => (
            <li key={`${c.task_id}-${c.field}-${i}`}>{conflictText(c, titleOf(c.task_id))}</li>
          ))}
        </ul>
      </div>
      <button type="button" className="ghost" aria-label="Dismiss conflicts" onClick={onDismiss}>
        ×
      </button>
    </section>
  );
}
