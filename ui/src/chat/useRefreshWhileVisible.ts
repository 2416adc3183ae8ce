import { useEffect, useEffectEvent } from "react";

/** How often the chat history asks again while the window is visible. */
export const HISTORY_REFRESH_MS = 3000;

/**
 * Calls `refresh` when the window comes back into view and every `everyMs` while it is
 * visible. Another process on the same data folder (`todo-assistant-cli serve`, a script)
 * can make, rename or delete chats; this is how the history shows them without a restart.
 * A first page of `threads.list` costs the core O(page), so asking often is cheap.
 */
export function useRefreshWhileVisible(refresh: () => void, everyMs = HISTORY_REFRESH_MS) {
  const onRefresh = useEffectEvent(refresh);
  useEffect(() => {
    const whenVisible = () => {
      if (document.visibilityState === "visible") onRefresh();
    };
    const timer = window.setInterval(whenVisible, everyMs);
    window.addEventListener("focus", whenVisible);
    document.addEventListener("visibilitychange", whenVisible);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener("focus", whenVisible);
      document.removeEventListener("visibilitychange", whenVisible);
    };
  }, [everyMs]);
}
