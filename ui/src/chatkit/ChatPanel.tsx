import type { ChatKitOptions } from "@openai/chatkit";
import { ChatKit, useChatKit } from "@openai/chatkit-react";
import { useState } from "react";
import { commands, type AppError, type Settings } from "../bindings";
import { DEFAULT_MODEL, HOSTED_WORKFLOWS_END } from "../settings/connectionDraft";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { useColorScheme } from "../shared/useColorScheme";
import { useOnline } from "../shared/useOnline";
import { AssistantErrorBanner } from "./AssistantErrorBanner";
import { assistantErrorFromEffect, type AssistantError } from "./assistantErrors";
import { chatRoute } from "./chatRoute";
import { runClientTool } from "./clientTools";
import { ConnectionErrorBanner } from "./ConnectionErrorBanner";
import { explainConnectionError, type ExplainedError } from "./connectionErrors";
import { createIpcFetch } from "./ipcFetch";
import { attachmentsServed, richInputOptions } from "./richInput";
import { CHATKIT_API_URL, START_PROMPTS } from "./chatDefaults";
import { modelOptions, useChatModels } from "../chat/useChatModels";

export { CHATKIT_API_URL, START_PROMPTS } from "./chatDefaults";

/**
 * ChatKit reports a domain it cannot verify as an error whose message names the domain
 * (key), and frame options it refuses as one that names the frame's parameters.
 */
export function isDomainKeyError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /domain|frame[ _-]?param/i.test(message);
}

/**
 * The ChatKit component. Local and a backend's own ChatKit endpoint talk to the core over
 * IPC; a backend's session endpoint and a hosted workflow let ChatKit talk to OpenAI with
 * client secrets the core gets for it. Mount it anew (a `key`) when the connection changes.
 */
export function ChatPanel({
  settings,
  onThreadRemembered,
  onOpenSettings,
  onSettingsChanged,
  onDomainRefused,
}: {
  settings: Settings;
  /** ChatKit refused this app's domain: the caller takes over (the built-in view). */
  onDomainRefused?: (() => void) | undefined;
  onThreadRemembered?: ((threadId: string | null) => void) | undefined;
  /** For failures only Settings can fix (a rejected key, no connection, sign in again). */
  onOpenSettings?: (() => void) | undefined;
  /** The connection was changed from here ("Switch to Local"). */
  onSettingsChanged?: ((settings: Settings) => void) | undefined;
}) {
  const [connectionError, setConnectionError] = useState<ExplainedError | null>(null);
  const [ipcFetch] = useState(() =>
    createIpcFetch({
      onError: (error) => {
        setConnectionError(explainConnectionError(error));
      },
    }),
  );
  // ChatKit reads this once, when it mounts; later thread changes are ChatKit's own.
  const [initialThread] = useState(settings.last_thread_id);
  const colorScheme = useColorScheme();
  const online = useOnline();
  const [domainProblem, setDomainProblem] = useState(false);
  const [rememberError, setRememberError] = useState<AppError | null>(null);
  const [assistantError, setAssistantError] = useState<AssistantError | null>(null);

  const [switching, setSwitching] = useState(false);

  const getClientSecret = async (current: string | null): Promise<string> => {
    try {
      const fresh = await unwrap(commands.chatkitSessionSecret(current));
      setConnectionError(null);
      return fresh.client_secret;
    } catch (e) {
      setConnectionError(explainConnectionError(asAppError(e)));
      throw e;
    }
  };
  const rich = richInputOptions(settings.connection);
  const models = modelOptions(useChatModels(attachmentsServed(settings.connection)));
  const api: ChatKitOptions["api"] =
    chatRoute(settings.connection) === "session"
      ? { getClientSecret }
      : {
          url: CHATKIT_API_URL,
          domainKey: settings.chatkit_domain_key,
          fetch: ipcFetch,
          ...(rich.uploadStrategy && { uploadStrategy: rich.uploadStrategy }),
        };

  // The stored OpenAI key serves Local as well, so switching needs nothing else.
  const switchToLocal = async () => {
    setSwitching(true);
    try {
      const next = await unwrap(commands.saveConnection({ kind: "local", base_url: null, model: DEFAULT_MODEL }));
      // The workflow's threads live at OpenAI; Local starts with its own.
      await unwrap(commands.rememberThread(null));
      onSettingsChanged?.({ ...next, last_thread_id: null });
    } catch (e) {
      setConnectionError(explainConnectionError(asAppError(e)));
    } finally {
      setSwitching(false);
    }
  };

  const chatkit = useChatKit({
    api,
    theme: { colorScheme },
    initialThread,
    history: { enabled: true, showDelete: true, showRename: true },
    startScreen: { greeting: "What should we get done today?", prompts: START_PROMPTS },
    composer: {
      placeholder: "Ask about your tasks…",
      ...(rich.attachments && { attachments: rich.attachments }),
      ...(models && { models }),
    },
    ...(rich.entities && { entities: rich.entities }),
    // The core stores thumbs with the thread (items.feedback) and answers again on Retry.
    threadItemActions: { feedback: true, retry: true },
    onThreadChange: ({ threadId }) => {
      unwrap(commands.rememberThread(threadId)).then(
        () => onThreadRemembered?.(threadId),
        (e: unknown) => {
          setRememberError(asAppError(e));
        },
      );
    },
    onError: ({ error }) => {
      if (!isDomainKeyError(error)) return;
      if (onDomainRefused) onDomainRefused();
      else setDomainProblem(true);
    },
    // Hosted or backend agents call the task tools here; the core runs them.
    onClientTool: runClientTool,
    // The core reports assistant failures with a stable code as an `app_error` effect.
    onEffect: (effect) => {
      const problem = assistantErrorFromEffect(effect);
      if (problem) setAssistantError(problem);
    },
    // A new answer starting means the last failure is behind us.
    onResponseStart: () => {
      setAssistantError(null);
    },
  });

  return (
    <section className="pane chat-pane" aria-label="Chat">
      <div className="chat-toolbar">
        <button type="button" onClick={() => void chatkit.setThreadId(null)}>
          New chat
        </button>
      </div>
      {settings.connection?.kind === "hosted_workflow" && (
        <div className="banner banner-warning" role="note" aria-label="Hosted workflows end">
          <div>
            <p>
              <strong>OpenAI ended hosted workflows on {HOSTED_WORKFLOWS_END}.</strong> This chat works only while
              OpenAI still serves your workflow.
            </p>
            <p className="small">
              The Local connection runs the assistant in this app with the same API key, and keeps your tasks.
            </p>
          </div>
          <button type="button" className="primary" disabled={switching} onClick={() => void switchToLocal()}>
            {switching ? "Switching…" : "Switch to Local"}
          </button>
        </div>
      )}
      {!online && (
        <div className="banner banner-warning" role="status">
          <p>You're offline. The assistant needs a connection to answer; your tasks keep working in Tasks.</p>
        </div>
      )}
      {domainProblem && (
        <div className="banner banner-warning" role="alert">
          <div>
            <p>ChatKit could not verify this app's domain, so chat can't start.</p>
            <p className="small">
              Fix it in Settings → ChatKit domain key. With the Local connection any placeholder key works.
              For a hosted workflow, add the domain in OpenAI's domain allowlist
              (platform.openai.com → Settings → Security → Domain allowlist) and paste the key it shows.
            </p>
          </div>
          <button type="button" className="ghost" aria-label="Dismiss" onClick={() => { setDomainProblem(false); }}>
            ×
          </button>
        </div>
      )}
      {assistantError && (
        <AssistantErrorBanner
          error={assistantError}
          onOpenSettings={onOpenSettings}
          onDismiss={() => {
            setAssistantError(null);
          }}
        />
      )}
      {connectionError && (
        <ConnectionErrorBanner
          error={connectionError}
          onOpenSettings={onOpenSettings}
          onSwitchToLocal={() => void switchToLocal()}
          onDismiss={() => {
            setConnectionError(null);
          }}
        />
      )}
      {rememberError && <ErrorBanner error={rememberError} onDismiss={() => { setRememberError(null); }} />}
      <ChatKit control={chatkit.control} className="chatkit" />
    </section>
  );
}
