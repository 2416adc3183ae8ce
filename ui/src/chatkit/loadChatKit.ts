/** ChatKit's web component ships only from OpenAI's CDN; production always loads it here. */
export const CHATKIT_SCRIPT_URL = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
export const CHATKIT_ELEMENT = "openai-chatkit";
export const CHATKIT_LOAD_TIMEOUT_MS = 8000;

const SCRIPT_MARKER = "data-chatkit-loader";

/** Adds (or re-adds, for Retry) the CDN script tag. The attempt number defeats caches. */
export function injectChatKitScript(doc: Document, attempt: number): HTMLScriptElement {
  doc.querySelectorAll(`script[${SCRIPT_MARKER}]`).forEach((old) => {
    old.remove();
  });
  const script = doc.createElement("script");
  script.src = attempt === 0 ? CHATKIT_SCRIPT_URL : `${CHATKIT_SCRIPT_URL}?retry=${attempt}`;
  script.async = true;
  script.setAttribute(SCRIPT_MARKER, String(attempt));
  doc.head.appendChild(script);
  return script;
}

export type ChatKitAvailability = "ready" | "script-error" | "timeout";

/**
 * Resolves once `<openai-chatkit>` is defined, or says why it is not: the script failed
 * to load, or nothing happened within `timeoutMs`.
 */
export function waitForChatKit(
  registry: CustomElementRegistry,
  script: HTMLScriptElement | null,
  timeoutMs: number,
): Promise<ChatKitAvailability> {
  if (registry.get(CHATKIT_ELEMENT)) return Promise.resolve("ready");
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve("timeout");
    }, timeoutMs);
    const settle = (outcome: ChatKitAvailability) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    void registry.whenDefined(CHATKIT_ELEMENT).then(() => {
      settle("ready");
    });
    script?.addEventListener("error", () => {
      settle("script-error");
    });
  });
}

/** Why chat cannot load, in words a person can act on. */
export function explainUnavailable(outcome: Exclude<ChatKitAvailability, "ready">, online: boolean): string {
  if (!online) {
    return "You're offline. Chat needs the internet to load; your tasks still work. Chat will be back when you reconnect.";
  }
  const reason =
    outcome === "script-error"
      ? "The chat component could not be downloaded"
      : "The chat component did not finish loading";
  return `${reason} from cdn.platform.openai.com. A firewall, proxy or content blocker may be blocking that address.`;
}
