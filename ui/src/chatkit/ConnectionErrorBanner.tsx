import type { ExplainedError } from "./connectionErrors";

/** Chat could not reach its server: the core's message, what it means, and the fix. */
export function ConnectionErrorBanner({
  error,
  onOpenSettings,
  onDismiss,
}: {
  error: ExplainedError;
  onOpenSettings?: (() => void) | undefined;
  onDismiss: () => void;
}) {
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <p>{error.message}</p>
        {error.hint && <p className="small">{error.hint}</p>}
        <p className="muted small">
          Error code: <code>{error.code}</code>
        </p>
      </div>
      <div className="banner-actions">
        {error.fix && onOpenSettings && (
          <button type="button" className="primary" onClick={onOpenSettings}>
            {error.fix === "sign_in" ? "Sign in again" : "Open Settings"}
          </button>
        )}
        <button type="button" className="ghost" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      </div>
    </div>
  );
}
