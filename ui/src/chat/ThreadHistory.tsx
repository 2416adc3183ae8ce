import { useCallback, useEffect, useRef, useState } from "react";
import type { AppError } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError } from "../shared/ipc";
import { focusOnMount } from "../shared/focusOnMount";
import type { ChatKitClient } from "./chatkitClient";
import type { Page, ThreadMetadata } from "./protocol";
import { useRefreshWhileVisible, type ChangeSource } from "./useRefreshWhileVisible";

/** Threads per page of the history list. */
export const THREADS_PAGE = 20;

export const threadTitle = (thread: ThreadMetadata) => thread.title?.trim() || "New chat";

/**
 * The history of chats, newest first, paged with `threads.list`: open, rename
 * (`threads.update`) and delete (`threads.delete`, asked twice). The open thread shows
 * at the top even before the list has it, with the title the server last sent.
 */
export function ThreadHistory({
  client,
  current,
  onOpen,
  onDeleted,
  onRenamed,
  changes = null,
}: {
  client: ChatKitClient;
  /** Tells when the chats changed, where that can be watched; else the list asks again now and then. */
  changes?: ChangeSource | null;
  current: ThreadMetadata | null;
  onOpen: (threadId: string) => void;
  onDeleted: (threadId: string) => void;
  onRenamed: (thread: ThreadMetadata) => void;
}) {
  const [threads, setThreads] = useState<ThreadMetadata[]>([]);
  const [page, setPage] = useState<{ hasMore: boolean; after: string | null }>({ hasMore: false, after: null });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<AppError | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  /** A page of threads (the first when `after` is null) into the list, or why not. */
  const shownPage = useCallback((after: string | null, answer: Promise<Page<ThreadMetadata>>) => {
    return answer.then(
      (page) => {
        setThreads((known) => {
          const seen = new Set(after ? known.map((t) => t.id) : []);
          return [...(after ? known : []), ...page.data.filter((t) => !seen.has(t.id))];
        });
        setPage({ hasMore: page.has_more, after: page.after ?? page.data[page.data.length - 1]?.id ?? null });
        setLoading(false);
      },
      (e: unknown) => {
        setError(asAppError(e));
        setLoading(false);
      },
    );
  }, []);
  /** Whether older pages were loaded, which a refresh of the first must keep. */
  const olderLoaded = useRef(false);
  const load = (after: string | null) => {
    setLoading(true);
    setError(null);
    olderLoaded.current ||= after !== null;
    return shownPage(after, client.listThreads({ limit: THREADS_PAGE, after }));
  };

  // The first page; later pages come from "Show older chats".
  useEffect(() => {
    olderLoaded.current = false;
    void shownPage(null, client.listThreads({ limit: THREADS_PAGE, after: null }));
  }, [client, shownPage]);

  // Chats made elsewhere on this data folder: the first page again, as it is now; with
  // older pages shown, only the new chats are put on top.
  useRefreshWhileVisible(() => {
    client.listThreads({ limit: THREADS_PAGE, after: null }).then(
      (fresh) => {
        if (!olderLoaded.current) {
          setThreads(fresh.data);
          setPage({ hasMore: fresh.has_more, after: fresh.after ?? fresh.data[fresh.data.length - 1]?.id ?? null });
          return;
        }
        setThreads((known) => {
          const seen = new Set(known.map((t) => t.id));
          const added = fresh.data.filter((t) => !seen.has(t.id));
          return added.length > 0 ? [...added, ...known] : known;
        });
      },
      () => {
        // A failed background refresh changes nothing; the next one tries again.
      },
    );
  }, changes);

  // The open thread first if the list does not have it yet, and always with its newest title.
  const shown = current && !threads.some((t) => t.id === current.id) ? [current, ...threads] : threads;

  const rename = async (thread: ThreadMetadata, title: string) => {
    setRenaming(null);
    const trimmed = title.trim();
    if (!trimmed || trimmed === thread.title) return;
    try {
      const renamed = await client.renameThread(thread.id, trimmed);
      setThreads((known) => known.map((t) => (t.id === thread.id ? { ...t, title: renamed.title ?? trimmed } : t)));
      onRenamed({ ...thread, title: renamed.title ?? trimmed });
    } catch (e) {
      setError(asAppError(e));
    }
  };

  const remove = async (thread: ThreadMetadata) => {
    setConfirming(null);
    try {
      await client.deleteThread(thread.id);
      setThreads((known) => known.filter((t) => t.id !== thread.id));
      onDeleted(thread.id);
    } catch (e) {
      setError(asAppError(e));
    }
  };

  return (
    <nav className="thread-history" aria-label="Chat history">
      <h2 className="visually-hidden">Chat history</h2>
      {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
      <ul className="thread-list">
        {shown.map((thread) => {
          // The open thread always shows its newest title.
          const latest = current !== null && thread.id === current.id ? current : thread;
          const open = latest === current;
          const title = threadTitle(latest);
          return (
            <li key={thread.id} className={open ? "thread-entry open" : "thread-entry"} data-thread-id={thread.id}>
              {renaming === thread.id ? (
                <RenameField title={title} onDone={(next) => void rename(latest, next)}
                  onCancel={() => { setRenaming(null); }} />
              ) : confirming === thread.id ? (
                <div className="thread-confirm" role="group" aria-label={`Delete ${title}?`}>
                  <span className="small">Delete “{title}”?</span>
                  <button type="button" className="danger small-button" ref={focusOnMount} onClick={() => void remove(thread)}>
                    Delete
                  </button>
                  <button type="button" className="small-button" onClick={() => { setConfirming(null); }}>
                    Cancel
                  </button>
                </div>
              ) : (
                <>
                  <button type="button" className="thread-open" aria-current={open ? "true" : undefined}
                    onClick={() => { onOpen(thread.id); }}>
                    {title}
                  </button>
                  <button type="button" className="icon-button" aria-label={`Rename ${title}`}
                    onClick={() => { setRenaming(thread.id); }}>
                    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                      <path d="M4 20h4L19 9l-4-4L4 16z" />
                    </svg>
                  </button>
                  <button type="button" className="icon-button danger" aria-label={`Delete ${title}`}
                    onClick={() => { setConfirming(thread.id); }}>
                    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                      <path d="M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13" />
                    </svg>
                  </button>
                </>
              )}
            </li>
          );
        })}
      </ul>
      {!loading && shown.length === 0 && !error && <p className="muted small thread-empty">No chats yet.</p>}
      {loading && <p className="muted small" role="status">Loading chats…</p>}
      {page.hasMore && !loading && (
        <button type="button" className="link thread-more" onClick={() => void load(page.after)}>
          Show older chats
        </button>
      )}
    </nav>
  );
}

function RenameField({ title, onDone, onCancel }: { title: string; onDone: (title: string) => void; onCancel: () => void }) {
  const [value, setValue] = useState(title);
  // Enter, Escape and leaving the field each end the edit; only the first counts.
  const ended = useRef(false);
  const end = (save: boolean) => {
    if (ended.current) return;
    ended.current = true;
    if (save) onDone(value);
    else onCancel();
  };
  return (
    <form className="thread-rename" onSubmit={(e) => { e.preventDefault(); end(true); }}>
      <input aria-label="Chat title" value={value} ref={focusOnMount} maxLength={120}
        onChange={(e) => { setValue(e.target.value); }}
        onKeyDown={(e) => { if (e.key === "Escape") { e.preventDefault(); end(false); } }}
        onBlur={() => { end(true); }} />
    </form>
  );
}
