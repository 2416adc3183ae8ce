import { ErrorBanner } from "../shared/ErrorBanner";
import type { ExplainedError } from "./connectionErrors";

/** Chat could not reach its server: the core's message, what it means, and the fix. */
export function ConnectionErrorBanner({
  error,
  onOpenSettings,
  onSwitchToLocal,
  onDismiss,
}: {
  error: ExplainedError;
  onOpenSettings?: (() => void) | undefined;
  /** For a hosted workflow OpenAI no longer serves: one click to the Local connection. */
  onSwitchToLocal?: (() => void) | undefined;
  onDismiss: () => void;
}) {
  const action =
    error.fix === "switch_to_local"
      ? onSwitchToLocal && { label: "Switch to Local", onClick: onSwitchToLocal }
      : error.fix && onOpenSettings
        ? { label: error.fix === "sign_in" ? "Sign in again" : "Open Settings", onClick: onOpenSettings }
        : undefined;
  return <ErrorBanner error={error} hint={error.hint} action={action} onDismiss={onDismiss} />;
}
