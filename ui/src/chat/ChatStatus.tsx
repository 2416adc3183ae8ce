import { needsSettings } from "../chatkit/assistantErrors";
import { ErrorBanner } from "../shared/ErrorBanner";
import { Markdown } from "./Markdown";
import { assistantText } from "./protocol";
import type { ThreadState } from "./threadState";
import { useThread, type ThreadStore } from "./threadStore";
import { WidgetIcon } from "./widgets/WidgetIcon";

/** What the assistant is doing right now (`progress_update`). */
export function Progress({ store }: { store: ThreadStore }) {
  const progress = useThread(store, (s) => s.progress);
  if (!progress) return null;
  return (
    <p className="chat-progress" role="status">
      {progress.icon ? <WidgetIcon name={progress.icon} size="sm" /> : <span className="mini-spinner" aria-hidden="true" />}
      {progress.text}
    </p>
  );
}

/**
 * The answer's failure, coded: Open Settings when only Settings can fix it (a rejected
 * key, no connection), otherwise Retry when the server says a retry may help.
 */
export function ProblemBanner({
  store,
  onRetry,
  onDismiss,
  onOpenSettings,
}: {
  store: ThreadStore;
  onRetry: () => void;
  onDismiss: () => void;
  onOpenSettings?: (() => void) | undefined;
}) {
  const problem = useThread(store, (s) => s.problem);
  if (!problem) return null;
  const action =
    needsSettings(problem.code) && onOpenSettings
      ? { label: "Open Settings", onClick: onOpenSettings }
      : problem.allowRetry
        ? { label: "Retry", onClick: onRetry }
        : undefined;
  return <ErrorBanner error={problem} action={action} onDismiss={onDismiss} />;
}

/** Would Settings fix what this notice describes? The core's notices name it when so. */
const pointsToSettings = (text: string) => /\bsettings\b/i.test(text);

/** The server's notices (`notice` events; their text is Markdown), each with its fix. */
export function Notices({
  store,
  onDismiss,
  onOpenSettings,
}: {
  store: ThreadStore;
  onDismiss: (key: number) => void;
  onOpenSettings?: (() => void) | undefined;
}) {
  const notices = useThread(store, (s) => s.notices);
  return (
    <>
      {notices.map((notice) => (
        <div key={notice.key} className={`banner banner-notice level-${notice.level}`}
          role={notice.level === "danger" ? "alert" : "status"}>
          <div>
            {notice.title && <p><strong>{notice.title}</strong></p>}
            <Markdown text={notice.message} />
          </div>
          <div className="banner-actions">
            {onOpenSettings && pointsToSettings(`${notice.title ?? ""} ${notice.message}`) && (
              <button type="button" className="primary" onClick={onOpenSettings}>
                Open Settings
              </button>
            )}
            <button type="button" className="ghost" aria-label="Dismiss" onClick={() => { onDismiss(notice.key); }}>
              ×
            </button>
          </div>
        </div>
      ))}
    </>
  );
}

/** What a screen reader hears: that an answer started, then the answer once it is complete. */
function announcement(state: ThreadState): string {
  if (state.streaming) return "The assistant is answering…";
  const id = state.ids[state.ids.length - 1];
  const last = id ? state.items[id] : undefined;
  return last?.type === "assistant_message" ? assistantText(last) : "";
}

/**
 * The streamed text's live region. Announcing every delta would read the answer over and
 * over, so it says "answering" while the text streams and reads the answer when done.
 */
export function LiveAnswer({ store }: { store: ThreadStore }) {
  const text = useThread(store, announcement);
  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="chat-live">
      {text}
    </div>
  );
}
