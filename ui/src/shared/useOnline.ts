import { useSyncExternalStore } from "react";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("online", onChange);
  window.addEventListener("offline", onChange);
  return () => {
    window.removeEventListener("online", onChange);
    window.removeEventListener("offline", onChange);
  };
}

function current(): boolean {
  return navigator.onLine;
}

/**
 * Whether the system says it has a network connection, updated live. `false` is reliable
 * (no network at all); `true` only means some network, not that OpenAI can be reached.
 */
export function useOnline(): boolean {
  return useSyncExternalStore(subscribe, current, () => true);
}
