import type { AppError } from "../bindings";

/** Shows a coded error as a sentence a person can act on, with the code for support. */
export function ErrorBanner({ error, onDismiss }: { error: AppError; onDismiss?: () => void }) {
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <p>{error.message}</p>
        <p className="muted small">
          Error code: <code>{error.code}</code>
        </p>
      </div>
      {onDismiss && (
        <button type="button" className="ghost" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
