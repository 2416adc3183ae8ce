import { useCallback, useEffect, useEffectEvent, useState } from "react";
import type { Settings } from "../bindings";
import { useOnline } from "../shared/useOnline";
import { ChatPanel } from "./ChatPanel";
import { chatKey } from "./chatRoute";
import {
  CHATKIT_LOAD_TIMEOUT_MS,
  explainUnavailable,
  injectChatKitScript,
  waitForChatKit,
  type ChatKitAvailability,
} from "./loadChatKit";

type LoadState = { phase: "loading" } | { phase: "ready" } | { phase: "unavailable"; why: string };

/**
 * Loads ChatKit from the CDN; never a blank pane: it is loading, ready, or says why not.
 * Offline it waits calmly for the connection instead of failing, and tries again when the
 * connection comes back.
 */
export function ChatView({
  settings,
  onThreadRemembered,
  onOpenSettings,
  onOpenTasks,
  onSettingsChanged,
}: {
  settings: Settings;
  /** Called once the open thread is saved, so a later visit reopens it. */
  onThreadRemembered?: (threadId: string | null) => void;
  onOpenSettings?: () => void;
  onOpenTasks?: () => void;
  /** The connection was changed from the chat ("Switch to Local"). */
  onSettingsChanged?: (settings: Settings) => void;
}) {
  const online = useOnline();
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<LoadState>({ phase: "loading" });

  useEffect(() => {
    // Offline the CDN cannot answer; the `online` listener below starts a fresh attempt.
    if (!navigator.onLine) return;
    let cancelled = false;
    // Retry looks again first: the element may have been defined meanwhile.
    const script = customElements.get("openai-chatkit") ? null : injectChatKitScript(document, attempt);
    void waitForChatKit(customElements, script, CHATKIT_LOAD_TIMEOUT_MS).then(
      (outcome: ChatKitAvailability) => {
        if (cancelled) return;
        setState(
          outcome === "ready"
            ? { phase: "ready" }
            : { phase: "unavailable", why: explainUnavailable(outcome, navigator.onLine) },
        );
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  const retry = useCallback(() => {
    setState({ phase: "loading" });
    setAttempt((n) => n + 1);
  }, []);

  const onReconnect = useEffectEvent(() => {
    if (state.phase !== "ready") retry();
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

  if (!online && state.phase !== "ready") {
    return (
      <section className="pane center">
        <div className="card narrow offline-card" role="status">
          <h2>Chat needs an internet connection</h2>
          <p>You're offline right now. Chat will come back by itself when you reconnect.</p>
          <p className="muted">Your tasks are stored on this computer, and the Tasks view keeps working.</p>
          {onOpenTasks && (
            <button type="button" className="primary" onClick={onOpenTasks}>
              Open Tasks
            </button>
          )}
        </div>
      </section>
    );
  }

  if (state.phase === "loading") {
    return (
      <section className="pane center" aria-busy="true">
        <div className="spinner" aria-hidden="true" />
        <p className="muted">Loading chat…</p>
      </section>
    );
  }
  if (state.phase === "unavailable") {
    return (
      <section className="pane center">
        <div className="card narrow">
          <h2>Chat can't load right now</h2>
          <p>{state.why}</p>
          <p className="muted small">Your tasks are stored on this computer and stay available.</p>
          <button type="button" className="primary" onClick={retry}>
            Retry
          </button>
        </div>
      </section>
    );
  }
  // A new connection starts ChatKit over, with the API that connection needs.
  return (
    <ChatPanel
      key={chatKey(settings.connection)}
      settings={settings}
      onThreadRemembered={onThreadRemembered}
      onOpenSettings={onOpenSettings}
      onSettingsChanged={onSettingsChanged}
    />
  );
}
