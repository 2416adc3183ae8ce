import { Suspense, useState } from "react";
import type { Settings } from "../bindings";
import { chatKey, chatRoute } from "../chatkit/chatRoute";
import { useChatKitLoader, type ChatKitLoadState } from "../chatkit/useChatKitLoader";
import { LoadingChat } from "../shared/LoadingChat";
import { useOnline } from "../shared/useOnline";
import { FallbackNotice, type FallbackReason } from "./FallbackNotice";
import { BuiltinChat, ChatPanel, ChatView } from "../lazyViews";
import { useChatViewPreference } from "./useChatViewPreference";

export interface ChatPaneProps {
  settings: Settings;
  onThreadRemembered?: ((threadId: string | null) => void) | undefined;
  onOpenSettings?: (() => void) | undefined;
  onOpenTasks?: (() => void) | undefined;
  onSettingsChanged?: ((settings: Settings) => void) | undefined;
}

/**
 * The chat pane: ChatKit's component or the built-in view, as Settings → Chat view says.
 * Both speak to the core through the one IPC fetch and remember the open thread, so a
 * switch keeps it. A connection whose chat runs at OpenAI (the "session" route) can only
 * be served by ChatKit, whatever the choice.
 */
export function ChatPane(props: ChatPaneProps) {
  return (
    <Suspense fallback={<LoadingChat />}>
      <ChosenChat {...props} />
    </Suspense>
  );
}

function ChosenChat(props: ChatPaneProps) {
  const [preference, setPreference] = useChatViewPreference();
  const { settings } = props;
  const key = chatKey(settings.connection);
  if (chatRoute(settings.connection) === "session") {
    return <ChatView key={key} {...props} />;
  }
  if (preference === "builtin") {
    return <BuiltinChat key={key} {...props} />;
  }
  return (
    <ChatKitFirst
      key={`${preference}:${key}`}
      {...props}
      automatic={preference === "auto"}
      onUseBuiltin={() => { setPreference("builtin"); }}
    />
  );
}

function whyNot(state: ChatKitLoadState, online: boolean): FallbackReason | null {
  if (state.phase === "unavailable") return state.outcome === "script-error" ? "chatkit_unreachable" : "chatkit_timeout";
  if (!online && state.phase !== "ready") return "chatkit_offline";
  return null;
}

/**
 * ChatKit when it can run; the built-in view when it cannot. Automatic mode falls back
 * when the script does not load (or the machine is offline); both modes fall back when
 * ChatKit refuses the app's domain. Once fallen back the view stays, so a conversation is
 * never swapped out from under the person, until they choose "Try ChatKit again".
 */
function ChatKitFirst({
  automatic,
  onUseBuiltin,
  ...props
}: ChatPaneProps & { automatic: boolean; onUseBuiltin: () => void }) {
  const online = useOnline();
  const [fallback, setFallback] = useState<FallbackReason | null>(null);
  const [trying, setTrying] = useState(false);
  const { state, retry } = useChatKitLoader(automatic && (fallback === null || trying));
  const key = chatKey(props.settings.connection);

  // Adjusted while rendering, so the fallback shows in the same pass that found it.
  if (automatic) {
    const reason = whyNot(state, online);
    if (trying && state.phase === "ready") {
      setTrying(false);
      setFallback(null);
    } else if (trying && reason && reason !== "chatkit_offline") {
      setTrying(false);
      setFallback(reason);
    } else if (!trying && reason && fallback === null) {
      setFallback(reason);
    }
  }

  const refused = () => {
    setTrying(false);
    setFallback("chatkit_domain_refused");
  };

  if (fallback) {
    const tryAgain = () => {
      if (automatic) {
        // The built-in view stays until ChatKit is really there.
        setTrying(true);
        retry();
      } else {
        // Chosen ChatKit loads itself again and says if it cannot.
        setFallback(null);
      }
    };
    return (
      <BuiltinChat
        key={key}
        {...props}
        notice={
          <FallbackNotice
            reason={fallback}
            trying={trying}
            online={online}
            onTryAgain={tryAgain}
            onOpenSettings={props.onOpenSettings}
          />
        }
      />
    );
  }

  if (!automatic) {
    return <ChatView key={key} {...props} onDomainRefused={refused} onUseBuiltin={onUseBuiltin} />;
  }
  if (state.phase !== "ready") {
    return <LoadingChat />;
  }
  return (
    <ChatPanel
      key={key}
      settings={props.settings}
      onThreadRemembered={props.onThreadRemembered}
      onOpenSettings={props.onOpenSettings}
      onSettingsChanged={props.onSettingsChanged}
      onDomainRefused={refused}
    />
  );
}
