import {
  measureElement,
  observeElementRect,
  useVirtualizer,
  type Virtualizer,
} from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, type ReactNode } from "react";
import { ItemRow, type RowActions } from "./ItemRow";
import { lastAnswerId, lastUserMessageId, type ThreadState } from "./threadState";
import { useThread, type ThreadStore } from "./threadStore";

/** Used until the viewport is measured, and in test DOMs, which have no layout. */
const FALLBACK_VIEWPORT = { width: 720, height: 600 };
/** Start loading earlier messages when this few rows are left above the first shown. */
const OLDER_THRESHOLD = 3;

function estimate(state: ThreadState, id: string | undefined): number {
  const item = id ? state.items[id] : undefined;
  switch (item?.type) {
    case "user_message":
      return 64;
    case "assistant_message": {
      const length = item.content.reduce((n, part) => n + part.text.length, 0);
      return 72 + Math.ceil(length / 80) * 22;
    }
    case "widget":
      return 180;
    default:
      return 44;
  }
}

/** A viewport with no size (no layout yet) falls back to a typical one. */
const observeRect: typeof observeElementRect = (instance, cb) =>
  observeElementRect(instance, (rect) => {
    cb(rect.height > 0 ? rect : FALLBACK_VIEWPORT);
  });

/**
 * The thread's items, virtualized (@tanstack/react-virtual): a thousand items mount only
 * the rows in view. It opens at the newest item, follows new items while at the end,
 * keeps its place when earlier ones load above, and asks for them near the top.
 */
export function MessageList({
  store,
  actions,
  onLoadOlder,
  onRowRender,
  emptyState,
  editable = true,
}: {
  store: ThreadStore;
  actions: RowActions;
  onLoadOlder: () => void;
  /** Told which row rendered: for the benchmark and tests of what a delta touches. */
  onRowRender?: ((id: string) => void) | undefined;
  emptyState?: ReactNode;
  /** The last question can be edited and sent again (the core's own server does that). */
  editable?: boolean;
}) {
  const ids = useThread(store, (s) => s.ids);
  const older = useThread(store, (s) => s.older);
  const retryId = useThread(store, lastAnswerId);
  const editId = useThread(store, lastUserMessageId);
  const scrollRef = useRef<HTMLDivElement | null>(null);

  // TanStack Virtual keeps its own state; the React Compiler leaves this component alone.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer: Virtualizer<HTMLDivElement, HTMLDivElement> = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => estimate(store.getState(), ids[index]),
    getItemKey: (index) => ids[index] ?? index,
    overscan: 6,
    // Chat: new items append at the end, and the view follows them while at the end.
    anchorTo: "end",
    followOnAppend: true,
    initialRect: FALLBACK_VIEWPORT,
    // Open at the end: the newest messages are what a person reopens a thread for.
    initialOffset: () => {
      const state = store.getState();
      const total = state.ids.reduce((sum, id) => sum + estimate(state, id), 0);
      return Math.max(0, total - FALLBACK_VIEWPORT.height);
    },
    observeElementRect: observeRect,
    measureElement: (element, entry, instance) => {
      const measured = measureElement(element, entry, instance);
      return measured > 0 ? measured : estimate(store.getState(), element.dataset.id);
    },
  });

  // The list remounts per thread (a key), so this runs once it has its items.
  useLayoutEffect(() => {
    const count = store.getState().ids.length;
    if (count > 0) virtualizer.scrollToIndex(count - 1, { align: "end" });
  }, [virtualizer, store]);

  const rows = virtualizer.getVirtualItems();
  const firstShown = rows[0]?.index ?? 0;
  useEffect(() => {
    if (older.hasMore && !older.loading && firstShown < OLDER_THRESHOLD) onLoadOlder();
  }, [firstShown, older.hasMore, older.loading, onLoadOlder]);

  return (
    <div className="message-scroll" ref={scrollRef} data-testid="message-list">
      {ids.length === 0 ? (
        emptyState
      ) : (
        <div role="feed" aria-label="Messages" aria-busy={older.loading} className="message-canvas"
          style={{ height: virtualizer.getTotalSize() }}>
          {rows.map((row) => {
            const id = ids[row.index] ?? "";
            return (
              <div
                key={row.key}
                ref={virtualizer.measureElement}
                data-index={row.index}
                data-id={id}
                className="message-row"
                role="article"
                aria-posinset={row.index + 1}
                aria-setsize={older.hasMore ? -1 : ids.length}
                style={{ transform: `translateY(${row.start}px)` }}
              >
                <ItemRow store={store} id={id} canRetry={id === retryId} canEdit={editable && id === editId}
                  actions={actions} onRender={onRowRender} />
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
