import { useCallback, useEffect, useEffectEvent, useState } from "react";
import {
  CHATKIT_LOAD_TIMEOUT_MS,
  explainUnavailable,
  injectChatKitScript,
  waitForChatKit,
  type ChatKitAvailability,
} from "./loadChatKit";

export type ChatKitLoadState =
  | { phase: "loading" }
  | { phase: "ready" }
  | { phase: "unavailable"; outcome: Exclude<ChatKitAvailability, "ready">; why: string };

/**
 * Loads ChatKit's script from the CDN while `active`: loading, ready, or why not. Offline
 * it waits (the CDN cannot answer) and tries again when the connection comes back;
 * `retry` tries again at once.
 */
export function useChatKitLoader(active = true): { state: ChatKitLoadState; retry: () => void } {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<ChatKitLoadState>({ phase: "loading" });

  useEffect(() => {
    // Offline the CDN cannot answer; the `online` listener below starts a fresh attempt.
    if (!active || !navigator.onLine) return;
    let cancelled = false;
    // Retry looks again first: the element may have been defined meanwhile.
    const script = customElements.get("openai-chatkit") ? null : injectChatKitScript(document, attempt);
    void waitForChatKit(customElements, script, CHATKIT_LOAD_TIMEOUT_MS).then((outcome) => {
      if (cancelled) return;
      setState(
        outcome === "ready"
          ? { phase: "ready" }
          : { phase: "unavailable", outcome, why: explainUnavailable(outcome, navigator.onLine) },
      );
    });
    return () => {
      cancelled = true;
    };
  }, [attempt, active]);

  const retry = useCallback(() => {
    setState({ phase: "loading" });
    setAttempt((n) => n + 1);
  }, []);

  const onReconnect = useEffectEvent(() => {
    if (active && state.phase !== "ready") retry();
  });
  useEffect(() => {
    const reconnected = () => {
      onReconnect();
    };
    window.addEventListener("online", reconnected);
    return () => {
      window.removeEventListener("online", reconnected);
    };
  }, []);

  return { state, retry };
}
