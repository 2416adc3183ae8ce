import type { Settings } from "../bindings";
import { LoadingChat } from "../shared/LoadingChat";
import { useOnline } from "../shared/useOnline";
import { ChatPanel } from "./ChatPanel";
import { chatKey } from "./chatRoute";
import { useChatKitLoader } from "./useChatKitLoader";

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
  onDomainRefused,
  onUseBuiltin,
}: {
  settings: Settings;
  /** ChatKit refused this app's domain; the caller shows the built-in view instead. */
  onDomainRefused?: (() => void) | undefined;
  /** Offered where ChatKit cannot load, when the built-in view can serve this connection. */
  onUseBuiltin?: (() => void) | undefined;
  /** Called once the open thread is saved, so a later visit reopens it. */
  onThreadRemembered?: (threadId: string | null) => void;
  onOpenSettings?: () => void;
  onOpenTasks?: () => void;
  /** The connection was changed from the chat ("Switch to Local"). */
  onSettingsChanged?: (settings: Settings) => void;
}) {
  const online = useOnline();
  const { state, retry } = useChatKitLoader();

  if (!online && state.phase !== "ready") {
    return (
      <section className="pane center">
        <div className="card narrow offline-card" role="status">
          <h2>Chat needs an internet connection</h2>
          <p>You're offline right now. Chat will come back by itself when you reconnect.</p>
          <p className="muted">Your tasks are stored on this computer, and the Tasks view keeps working.</p>
          <div className="row center-row">
            {onOpenTasks && (
              <button type="button" className="primary" onClick={onOpenTasks}>
                Open Tasks
              </button>
            )}
            {onUseBuiltin && (
              <button type="button" onClick={onUseBuiltin}>
                Use the built-in chat
              </button>
            )}
          </div>
        </div>
      </section>
    );
  }

  if (state.phase === "loading") {
    return <LoadingChat />;
  }
  if (state.phase === "unavailable") {
    return (
      <section className="pane center">
        <div className="card narrow">
          <h2>Chat can't load right now</h2>
          <p>{state.why}</p>
          <p className="muted small">Your tasks are stored on this computer and stay available.</p>
          <div className="row center-row">
            <button type="button" className="primary" onClick={retry}>
              Retry
            </button>
            {onUseBuiltin && (
              <button type="button" onClick={onUseBuiltin}>
                Use the built-in chat
              </button>
            )}
          </div>
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
      onDomainRefused={onDomainRefused}
    />
  );
}
