/** Why the built-in chat shows instead of ChatKit: a stable code, like every failure. */
export type FallbackReason = "chatkit_domain_refused" | "chatkit_unreachable" | "chatkit_timeout" | "chatkit_offline";

const WHY: Record<FallbackReason, { message: string; hint: string | null }> = {
  chatkit_domain_refused: {
    message: "ChatKit refused this app's domain, so the built-in chat took over.",
    hint:
      "To use ChatKit, check Settings → ChatKit domain key (with the Local connection any placeholder works), " +
      "then try ChatKit again.",
  },
  chatkit_unreachable: {
    message: "ChatKit could not be downloaded from cdn.platform.openai.com, so this is the built-in chat.",
    hint: "A firewall, proxy or content blocker may be blocking that address. Your chats are the same in both views.",
  },
  chatkit_timeout: {
    message: "ChatKit did not finish loading from cdn.platform.openai.com in time, so this is the built-in chat.",
    hint: "Your chats are the same in both views.",
  },
  chatkit_offline: {
    message: "You're offline, and ChatKit loads from the internet, so this is the built-in chat.",
    hint: "With a model on this computer the assistant still answers; your tasks keep working either way.",
  },
};

/** A quiet note above the built-in chat: why it shows, and a way back to ChatKit. */
export function FallbackNotice({
  reason,
  trying,
  online,
  onTryAgain,
  onOpenSettings,
}: {
  reason: FallbackReason;
  trying: boolean;
  online: boolean;
  onTryAgain: () => void;
  onOpenSettings?: (() => void) | undefined;
}) {
  const { message, hint } = WHY[reason];
  return (
    <div className="banner banner-quiet" role="note" aria-label="Why the built-in chat" data-code={reason}>
      <div>
        <p>{message}</p>
        {hint && <p className="small muted">{hint}</p>}
        <p className="muted small">
          Notice code: <code>{reason}</code>
        </p>
      </div>
      <div className="banner-actions">
        {reason === "chatkit_domain_refused" && onOpenSettings && (
          <button type="button" onClick={onOpenSettings}>
            Open Settings
          </button>
        )}
        <button type="button" onClick={onTryAgain} disabled={trying || !online}
          title={online ? undefined : "ChatKit needs the internet"}>
          {trying ? "Trying ChatKit…" : "Try ChatKit again"}
        </button>
      </div>
    </div>
  );
}
