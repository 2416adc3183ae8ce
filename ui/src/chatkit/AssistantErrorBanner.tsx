import { ErrorBanner } from "../shared/ErrorBanner";
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
  const action =
    needsSettings(error.code) && onOpenSettings ? { label: "Open Settings", onClick: onOpenSettings } : undefined;
  return <ErrorBanner error={error} action={action} onDismiss={onDismiss} />;
}
