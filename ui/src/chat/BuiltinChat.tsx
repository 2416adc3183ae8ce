import "./chat.css";
import { useCallback, useEffect, useEffectEvent, useState, type ReactNode } from "react";
import { commands, events, type AppError, type Settings } from "../bindings";
import { CHATKIT_API_URL, START_PROMPTS } from "../chatkit/chatDefaults";
import { runClientTool } from "../chatkit/clientTools";
import { ConnectionErrorBanner } from "../chatkit/ConnectionErrorBanner";
import { explainConnectionError, type ExplainedError } from "../chatkit/connectionErrors";
import { createIpcFetch, type IpcFetch } from "../chatkit/ipcFetch";
import { attachmentsServed } from "../chatkit/richInput";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { createChatKitClient } from "./chatkitClient";
import { createChatSession } from "./chatSession";
import { LiveAnswer, Notices, ProblemBanner, Progress } from "./ChatStatus";
import { Composer } from "./Composer";
import type { RowActions } from "./ItemRow";
import { OpenLinkContext } from "./Markdown";
import { MessageList } from "./MessageList";
import { openExternal } from "./openExternal";
import { ThreadHistory, threadTitle } from "./ThreadHistory";
import { useThread, createThreadStore } from "./threadStore";
import { useChatModels } from "./useChatModels";
import type { ChangeSource } from "./useRefreshWhileVisible";

/** The core watches the local connection's chats on disk and says when they change. */
const localThreadChanges: ChangeSource = (changed) => {
  const listening = events.threadsChanged.listen(() => {
    changed();
  });
  return () => {
    void listening.then((stop) => {
      stop();
    });
  };
};

/** Wide enough to show the history beside the thread rather than over it. */
const WIDE = "(min-width: 960px)";
const isWide = () => typeof window.matchMedia === "function" && window.matchMedia(WIDE).matches;

/**
 * The built-in chat: the same ChatKit protocol, over the same IPC fetch, to the same core
 * as ChatKit's component, drawn by the app itself, so chat works where OpenAI's CDN cannot
 * be reached (and offline, with a model on this computer). Mount it anew (a `key`) when
 * the connection changes.
 */
export function BuiltinChat({
  settings,
  onThreadRemembered,
  onOpenSettings,
  notice,
  fetch,
  onRowRender,
}: {
  settings: Settings;
  onThreadRemembered?: ((threadId: string | null) => void) | undefined;
  onOpenSettings?: (() => void) | undefined;
  /** Why this view is showing instead of ChatKit, when it is not by choice. */
  notice?: ReactNode;
  /** Tests pass their own; the app uses the IPC fetch ChatKit uses. */
  fetch?: IpcFetch | undefined;
  onRowRender?: ((id: string) => void) | undefined;
}) {
  const [connectionError, setConnectionError] = useState<ExplainedError | null>(null);
  const [appError, setAppError] = useState<AppError | null>(null);
  const [historyOpen, setHistoryOpen] = useState(isWide);
  // Saved threads reach the caller from an effect, so its newest callback is the one called.
  const [remembered, setRemembered] = useState<{ threadId: string | null } | null>(null);
  const notifyRemembered = useEffectEvent((threadId: string | null) => {
    onThreadRemembered?.(threadId);
  });
  useEffect(() => {
    if (remembered) notifyRemembered(remembered.threadId);
  }, [remembered]);

  // The core's own ChatKit server (not a backend's) also keeps thumbs and edits questions.
  const ownServer = settings.connection?.kind === "local";
  // One client, store and session for the life of this view.
  const [chat] = useState(() => {
    const transport =
      fetch ??
      createIpcFetch({
        onError: (error) => {
          setConnectionError(explainConnectionError(error));
        },
      });
    const client = createChatKitClient(transport, CHATKIT_API_URL);
    const store = createThreadStore();
    let last: string | null | undefined = settings.last_thread_id;
    const remember = (threadId: string | null) => {
      last = threadId;
      unwrap(commands.rememberThread(threadId)).then(
        () => {
          setRemembered({ threadId });
        },
        (e: unknown) => {
          setAppError(asAppError(e));
        },
      );
    };
    const session = createChatSession({
      client,
      store,
      runClientTool,
      appActions: ownServer,
      onThreadChange: (threadId) => {
        if (threadId !== last) remember(threadId);
      },
    });
    const actions: RowActions = {
      retryAnswer: (id) => void session.retryAnswer(id),
      feedback: (id, kind) => void session.feedback(id, kind),
      action: (itemId, action) => session.action(itemId, action),
      editMessage: (itemId, text) => void session.editMessage(itemId, text),
    };
    return { client, store, session, actions, remember, initialThread: settings.last_thread_id };
  });
  const { client, store, session, actions, remember } = chat;

  useEffect(() => {
    void session.open(chat.initialThread);
  }, [session, chat.initialThread]);

  // The history sits beside a wide thread and over a narrow one: a window made narrow
  // closes it, so it does not cover the thread; made wide again, it comes back.
  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const query = window.matchMedia(WIDE);
    const follow = () => { setHistoryOpen(query.matches); };
    query.addEventListener("change", follow);
    return () => { query.removeEventListener("change", follow); };
  }, []);

  const thread = useThread(store, (s) => s.thread);
  const generation = useThread(store, (s) => s.generation);
  const opening = useThread(store, (s) => s.opening);
  const streaming = useThread(store, (s) => s.streaming);
  const allowCancel = useThread(store, (s) => s.allowCancel);
  const older = useThread(store, (s) => s.older);
  // The model picker: a pick applies to the open thread; a thread shows the model its
  // newest message asked for (the core keeps it as the thread's), else the connection's.
  const choices = useChatModels(attachmentsServed(settings.connection));
  const [picked, setPicked] = useState<{ threadId: string | null; model: string } | null>(null);
  const threadModel = useThread(store, (s) => {
    for (let index = s.ids.length - 1; index >= 0; index -= 1) {
      const item = s.items[s.ids[index] ?? ""];
      if (item?.type === "user_message" && item.inference_options?.model) return item.inference_options.model;
    }
    return null;
  });
  const pickedHere = picked && picked.threadId === (thread?.id ?? null) ? picked.model : null;
  const shownModel = pickedHere ?? threadModel ?? choices?.default;

  const openLink = useCallback((href: string) => {
    openExternal(href).catch((e: unknown) => {
      setAppError({
        code: "open_failed",
        message: `Could not open ${href} in your browser (${asAppError(e).message}). Copy the address instead.`,
      });
    });
  }, []);
  const loadOlder = useCallback(() => void session.loadOlder(), [session]);
  // Attachments go to the core's own server (Local), not through a backend's endpoint.
  const attachments = attachmentsServed(settings.connection);
  const uploadAttachment = useCallback((file: File) => client.uploadAttachment(file), [client]);
  const discardAttachment = useCallback(
    (attachmentId: string) => {
      client.deleteAttachment(attachmentId).catch(() => {
        // An unsent upload left in the data folder harms nothing; the chip is gone either way.
      });
    },
    [client],
  );

  const openThread = (threadId: string | null) => {
    if (!isWide()) setHistoryOpen(false);
    void session.open(threadId);
  };
  const newChat = () => {
    void session.open(null).then(() => {
      // A new chat is remembered as none, so the next start opens a new chat too.
      remember(null);
    });
  };

  // A closed or locked thread takes no new messages.
  const lockedAs = thread?.status && thread.status.type !== "active" ? thread.status.type : null;
  const locked = lockedAs !== null;
  const emptyState = opening ? (
    <p className="muted center-text" role="status">Opening chat…</p>
  ) : (
    <StartScreen onPick={(prompt) => session.send(prompt)} disabled={streaming} />
  );

  return (
    <OpenLinkContext.Provider value={openLink}>
      <section className="pane chat-pane builtin-chat" aria-label="Chat" data-testid="builtin-chat">
        <header className="chat-header">
          <button type="button" className="history-toggle" aria-expanded={historyOpen} aria-controls="chat-history"
            onClick={() => { setHistoryOpen((open) => !open); }}>
            Chats
          </button>
          <h1 className="chat-title" title={thread ? threadTitle(thread) : undefined}>
            {thread ? threadTitle(thread) : "New chat"}
          </h1>
          <button type="button" onClick={newChat}>
            New chat
          </button>
        </header>
        {notice}
        {connectionError && (
          <ConnectionErrorBanner error={connectionError} onOpenSettings={onOpenSettings}
            onDismiss={() => { setConnectionError(null); }} />
        )}
        {appError && <ErrorBanner error={appError} onDismiss={() => { setAppError(null); }} />}
        <div className={historyOpen ? "chat-body with-history" : "chat-body"}>
          {historyOpen && (
            <div id="chat-history" className="chat-history-panel"
              onKeyDown={(event) => {
                // Over a narrow thread, Escape puts the history away, as for any overlay.
                if (event.key === "Escape" && !isWide()) setHistoryOpen(false);
              }}>
              <ThreadHistory
                client={client}
                changes={ownServer ? localThreadChanges : null}
                current={thread}
                onOpen={(threadId) => { openThread(threadId); }}
                onRenamed={(renamed) => { store.dispatch({ type: "local.renamed", thread: renamed }); }}
                onDeleted={(threadId) => {
                  if (threadId === thread?.id) newChat();
                }}
              />
            </div>
          )}
          <div className="chat-main">
            {older.hasMore && (
              <button type="button" className="link older-button" disabled={older.loading} onClick={loadOlder}>
                {older.loading ? "Loading earlier messages…" : "Show earlier messages"}
              </button>
            )}
            <MessageList
              key={generation}
              store={store}
              actions={actions}
              onLoadOlder={loadOlder}
              onRowRender={onRowRender}
              editable={ownServer}
              emptyState={emptyState}
            />
            <Progress store={store} />
            <LiveAnswer store={store} />
            <Notices store={store} onOpenSettings={onOpenSettings} onDismiss={(key) => { session.dismissNotice(key); }} />
            <ProblemBanner store={store} onOpenSettings={onOpenSettings}
              onRetry={() => void session.retry()} onDismiss={() => { session.dismissProblem(); }} />
            {locked && (
              <p className="muted small" role="note">
                This chat is {lockedAs}; start a new chat to continue.
              </p>
            )}
            <Composer
              streaming={streaming}
              canStop={allowCancel}
              disabled={locked || opening}
              onSend={(text, rich) => session.send(text, { ...rich, model: pickedHere ?? undefined })}
              onStop={() => { session.stop(); }}
              onUpload={attachments ? uploadAttachment : undefined}
              onDiscardUpload={attachments ? discardAttachment : undefined}
              models={choices?.models}
              model={shownModel}
              onModelChange={(model) => {
                setPicked({ threadId: thread?.id ?? null, model });
              }}
            />
          </div>
        </div>
      </section>
    </OpenLinkContext.Provider>
  );
}

function StartScreen({ onPick, disabled }: { onPick: (prompt: string) => Promise<boolean>; disabled: boolean }) {
  return (
    <div className="start-screen">
      <h2>What should we get done today?</h2>
      <div className="start-prompts" role="group" aria-label="Suggestions">
        {START_PROMPTS.map(({ label, prompt }) => (
          <button key={label} type="button" className="start-prompt" disabled={disabled}
            onClick={() => void onPick(typeof prompt === "string" ? prompt : label)}>
            {label}
          </button>
        ))}
      </div>
    </div>
  );
}
