import { ErrorBanner } from "../shared/ErrorBanner";
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
  const action =
    error.fix && onOpenSettings
      ? { label: error.fix === "sign_in" ? "Sign in again" : "Open Settings", onClick: onOpenSettings }
      : undefined;
  return <ErrorBanner error={error} hint={error.hint} action={action} onDismiss={onDismiss} />;
}
