import { needsSettings, type AssistantError } from "./assistantErrors";

/** An assistant failure above the chat, with the way to fix it when there is one. */
export function AssistantErrorBanner({
  error,
  onOpenSettings,
  onDismiss,
}: {
  error: AssistantError;
  onOpenSettings?: (() => void) | undefined;
  onDismiss: () => void;
}) {
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <p>{error.message}</p>
        <p className="muted small">
          Error code: <code>{error.code}</code>
        </p>
      </div>
      <div className="banner-actions">
        {needsSettings(error.code) && onOpenSettings && (
          <button type="button" className="primary" onClick={onOpenSettings}>
            Open Settings
          </button>
        )}
        <button type="button" className="ghost" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      </div>
    </div>
  );
}
