import { ChatKit, useChatKit, type StartScreenPrompt } from "@openai/chatkit-react";
import { useState } from "react";
import { commands, type AppError, type Settings } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { useColorScheme } from "../shared/useColorScheme";
import { useOnline } from "../shared/useOnline";
import { AssistantErrorBanner } from "./AssistantErrorBanner";
import { assistantErrorFromEffect, type AssistantError } from "./assistantErrors";
import { runClientTool } from "./clientTools";
import { createIpcFetch } from "./ipcFetch";

/**
 * Requests never leave the app: `api.fetch` carries them over IPC to the core. ChatKit
 * still wants an absolute URL, so this one names nothing that could be reached.
 */
export const CHATKIT_API_URL = "https://todo-assistant.invalid/chatkit";

export const START_PROMPTS: StartScreenPrompt[] = [
  { label: "Add a task to buy groceries", prompt: "Add a task to buy groceries", icon: "plus" },
  { label: "What's pending?", prompt: "What's pending?", icon: "clock" },
  { label: "Mark the groceries one done", prompt: "Mark the groceries one done", icon: "check-circle" },
  { label: "Clean up completed tasks", prompt: "Clean up completed tasks", icon: "sparkle" },
];

/** ChatKit reports a domain it cannot verify as an error whose message names the domain (key). */
export function isDomainKeyError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /domain/i.test(message);
}

/** The ChatKit component, talking to the core over IPC. */
export function ChatPanel({
  settings,
  onThreadRemembered,
  onOpenSettings,
}: {
  settings: Settings;
  onThreadRemembered?: ((threadId: string | null) => void) | undefined;
  /** For failures only Settings can fix (a rejected key, no connection). */
  onOpenSettings?: (() => void) | undefined;
}) {
  const [ipcFetch] = useState(() => createIpcFetch());
  // ChatKit reads this once, when it mounts; later thread changes are ChatKit's own.
  const [initialThread] = useState(settings.last_thread_id);
  const colorScheme = useColorScheme();
  const online = useOnline();
  const [domainProblem, setDomainProblem] = useState(false);
  const [rememberError, setRememberError] = useState<AppError | null>(null);
  const [assistantError, setAssistantError] = useState<AssistantError | null>(null);

  const chatkit = useChatKit({
    api: { url: CHATKIT_API_URL, domainKey: settings.chatkit_domain_key, fetch: ipcFetch },
    theme: { colorScheme },
    initialThread,
    history: { enabled: true, showDelete: true, showRename: true },
    startScreen: { greeting: "What should we get done today?", prompts: START_PROMPTS },
    composer: { placeholder: "Ask about your tasks…" },
    onThreadChange: ({ threadId }) => {
      unwrap(commands.rememberThread(threadId)).then(
        () => onThreadRemembered?.(threadId),
        (e: unknown) => {
          setRememberError(asAppError(e));
        },
      );
    },
    onError: ({ error }) => {
      if (isDomainKeyError(error)) setDomainProblem(true);
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
      {rememberError && <ErrorBanner error={rememberError} onDismiss={() => { setRememberError(null); }} />}
      <ChatKit control={chatkit.control} className="chatkit" />
    </section>
  );
}
