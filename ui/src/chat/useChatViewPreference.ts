import { useCallback, useSyncExternalStore } from "react";

/**
 * Which chat view to show. A view preference of this webview, so it lives in its
 * localStorage (Rust settings may take it over later):
 * - `auto`: ChatKit when its script loads in time, the built-in view otherwise;
 * - `chatkit`: always ChatKit's component;
 * - `builtin`: always the built-in view (where the connection allows it).
 */
export type ChatViewPreference = "auto" | "chatkit" | "builtin";

export const CHAT_VIEW_STORAGE_KEY = "todo-assistant.chat-view";
const CHOICES: readonly ChatViewPreference[] = ["auto", "chatkit", "builtin"];

const listeners = new Set<() => void>();

/** What was chosen when storage cannot keep it (storage can be disabled). */
let memory: ChatViewPreference | null = null;

function current(): ChatViewPreference {
  try {
    const stored = window.localStorage.getItem(CHAT_VIEW_STORAGE_KEY);
    return CHOICES.find((choice) => choice === stored) ?? "auto";
  } catch {
    return memory ?? "auto";
  }
}

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  // Another window of this webview changed it.
  const onStorage = (event: StorageEvent) => {
    if (event.key === CHAT_VIEW_STORAGE_KEY || event.key === null) onChange();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener("storage", onStorage);
  };
}

export function writeChatViewPreference(choice: ChatViewPreference): void {
  try {
    window.localStorage.setItem(CHAT_VIEW_STORAGE_KEY, choice);
  } catch {
    // Not kept across starts, but this session still follows the choice.
    memory = choice;
  }
  for (const listener of [...listeners]) listener();
}

/** The chosen chat view, live across the app, and a way to change it. */
export function useChatViewPreference(): [ChatViewPreference, (choice: ChatViewPreference) => void] {
  const choice = useSyncExternalStore(subscribe, current, (): ChatViewPreference => "auto");
  const set = useCallback((next: ChatViewPreference) => {
    writeChatViewPreference(next);
  }, []);
  return [choice, set];
}
