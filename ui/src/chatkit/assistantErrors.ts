/** The codes the core's assistant reports through the `app_error` client effect. */
export type AssistantErrorCode =
  | "invalid_api_key"
  | "rate_limited"
  | "model_unavailable"
  | "model_stream_broken"
  | "model_error"
  | "model_not_found"
  | "model_server_not_running"
  | "model_no_tools"
  | "model_api_not_found"
  | "assistant_not_configured";

export type AssistantError = { code: string; message: string };

const FALLBACK: Record<AssistantErrorCode, string> = {
  invalid_api_key: "The model service rejected the API key. Check the key in Settings.",
  rate_limited: "The model service is limiting requests right now. Try again in a moment.",
  model_unavailable: "The model service could not be reached. Check your connection, then retry.",
  model_stream_broken: "The answer was cut off. Retry for a full answer.",
  model_error: "The model reported an error.",
  model_not_found: "The model server has no model by that name. Open Settings, press Test connection and pick one.",
  model_server_not_running: "The model server on this computer is not running. Start Ollama or LM Studio, or change the base URL in Settings.",
  model_no_tools: "This model cannot call tools. Open Settings and choose a model that supports tool calling.",
  model_api_not_found: "The model server has no such endpoint. Check the base URL and API style in Settings.",
  assistant_not_configured: "The assistant is not set up yet. Choose a connection in Settings.",
};

function isKnown(code: string): code is AssistantErrorCode {
  return Object.hasOwn(FALLBACK, code);
}

/** The assistant failure a ChatKit effect reports, or `null` for any other effect. */
export function assistantErrorFromEffect(effect: { name: string; data?: Record<string, unknown> }): AssistantError | null {
  if (effect.name !== "app_error") return null;
  const code = typeof effect.data?.code === "string" ? effect.data.code : "model_error";
  const given = typeof effect.data?.message === "string" ? effect.data.message.trim() : "";
  const message = given || (isKnown(code) ? FALLBACK[code] : "The assistant could not answer.");
  return { code, message };
}

/** Failures a change in Settings fixes (the key, the model, the server's URL or API style). */
const SETTINGS_FIXES = new Set<string>([
  "invalid_api_key",
  "assistant_not_configured",
  "model_not_found",
  "model_server_not_running",
  "model_no_tools",
  "model_api_not_found",
]);

export function needsSettings(code: string): boolean {
  return SETTINGS_FIXES.has(code);
}
