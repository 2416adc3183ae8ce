import type { AppError } from "../bindings";

/** What the person can do about a failure to reach chat's server. */
export type ConnectionFix = "settings" | "sign_in" | "switch_to_local" | null;

export type ExplainedError = AppError & {
  /** What it means for this connection, when the core's message alone does not say. */
  hint: string | null;
  fix: ConnectionFix;
};

const HINTS: Partial<Record<AppError["code"], { hint: string | null; fix: ConnectionFix }>> = {
  invalid_api_key: { hint: "Check the OpenAI API key in Settings.", fix: "settings" },
  workflow_not_found: {
    hint:
      "The API key belongs to an OpenAI project that has no workflow with this ID. Check the workflow ID, " +
      "or use a key from the project the workflow was published in.",
    fix: "settings",
  },
  hosted_workflow_ended: {
    hint:
      "OpenAI no longer serves this hosted workflow. The Local connection runs the same assistant in this app " +
      "with the API key you already saved, and your tasks stay as they are.",
    fix: "switch_to_local",
  },
  rate_limited: { hint: "OpenAI is limiting requests. Chat will try again when you send a message.", fix: null },
  openai_unavailable: { hint: "Chat tries again when you send your next message.", fix: null },
  sign_in_required: { hint: "The backend needs you to sign in again before chat can continue.", fix: "sign_in" },
  forbidden: { hint: "Your account on the backend is not allowed to use chat. Ask your team's admin.", fix: null },
  backend_busy: { hint: "The backend is busy. Chat will try again when you send a message.", fix: null },
  backend_unavailable: { hint: "The backend is having trouble. Try again in a little while.", fix: null },
  backend_unreachable: { hint: "Check your connection and the backend URL in Settings.", fix: "settings" },
  // E.g. a backend connection with nothing signed in yet: the core's message says what.
  invalid_input: { hint: null, fix: "settings" },
};

/** A chat connection failure with what it means and how to fix it. */
export function explainConnectionError(error: AppError): ExplainedError {
  const known = HINTS[error.code];
  return { ...error, hint: known?.hint ?? null, fix: known?.fix ?? null };
}
