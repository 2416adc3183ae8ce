import { useEffect, useEffectEvent } from "react";

/** How often the chat history asks again while the window is visible, when nothing tells it. */
export const HISTORY_REFRESH_MS = 3000;

/** Says when the chats changed: calls `changed` on each change; returns how to stop. */
export type ChangeSource = (changed: () => void) => () => void;

/**
 * Calls `refresh` when the window comes back into view, and when the chats change. Another
 * process on the same data folder (`todo-assistant-cli serve`, a script) can make, rename or
 * delete chats; this is how the history shows them without a restart. With `changes` (the
 * local connection: the core watches the folder) it refreshes when told; without (a
 * backend's server, which nothing here can watch) it asks every `everyMs` while visible.
 */
export function useRefreshWhileVisible(
  refresh: () => void,
  changes: ChangeSource | null,
  everyMs = HISTORY_REFRESH_MS,
) {
  const onRefresh = useEffectEvent(refresh);
  useEffect(() => {
    const whenVisible = () => {
      if (document.visibilityState === "visible") onRefresh();
    };
    const stop = changes
      ? changes(() => {
          onRefresh();
        })
      : (() => {
          const timer = window.setInterval(whenVisible, everyMs);
          return () => {
            window.clearInterval(timer);
          };
        })();
    window.addEventListener("focus", whenVisible);
    document.addEventListener("visibilitychange", whenVisible);
    return () => {
      stop();
      window.removeEventListener("focus", whenVisible);
      document.removeEventListener("visibilitychange", whenVisible);
    };
  }, [changes, everyMs]);
}
