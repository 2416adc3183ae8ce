/** A coded error: its sentence, an optional hint, the code for support, and the action
 * that fixes it when there is one. */
export function ErrorBanner({
  error,
  hint,
  action,
  onDismiss,
}: {
  error: { code: string; message: string };
  hint?: string | null | undefined;
  action?: { label: string; onClick: () => void } | undefined;
  onDismiss?: (() => void) | undefined;
}) {
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <p>{error.message}</p>
        {hint && <p className="small">{hint}</p>}
        <p className="muted small">
          Error code: <code>{error.code}</code>
        </p>
      </div>
      {(action ?? onDismiss) && (
        <div className="banner-actions">
          {action && (
            <button type="button" className="primary" onClick={action.onClick}>
              {action.label}
            </button>
          )}
          {onDismiss && (
            <button type="button" className="ghost" aria-label="Dismiss" onClick={onDismiss}>
              ×
            </button>
          )}
        </div>
      )}
    </div>
  );
}
