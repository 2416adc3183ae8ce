import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CHATKIT_SCRIPT_URL,
  explainUnavailable,
  injectChatKitScript,
  waitForChatKit,
} from "./loadChatKit";

afterEach(() => {
  vi.useRealTimers();
});

describe("loading ChatKit from the CDN", () => {
  it("injects exactly one script tag from OpenAI's CDN, replacing it on retry", () => {
    injectChatKitScript(document, 0);
    const retried = injectChatKitScript(document, 2);
    const scripts = document.querySelectorAll("script[data-chatkit-loader]");
    expect(scripts).toHaveLength(1);
    expect(retried.src).toBe(`${CHATKIT_SCRIPT_URL}?retry=2`);
  });

  it("gives up after the timeout when the element never appears", async () => {
    vi.useFakeTimers();
    const pending = waitForChatKit(customElements, null, 8000);
    await vi.advanceTimersByTimeAsync(7999);
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toBe("timeout");
  });

  it("reports a script load error at once", async () => {
    const script = document.createElement("script");
    const pending = waitForChatKit(customElements, script, 60_000);
    script.dispatchEvent(new Event("error"));
    await expect(pending).resolves.toBe("script-error");
  });

  it("is ready as soon as the element is defined", async () => {
    const pending = waitForChatKit(customElements, null, 60_000);
    customElements.define("openai-chatkit", class extends HTMLElement {});
    await expect(pending).resolves.toBe("ready");
    await expect(waitForChatKit(customElements, null, 1)).resolves.toBe("ready");
  });

  it("explains offline differently from a blocked CDN", () => {
    expect(explainUnavailable("timeout", false)).toMatch(/offline/);
    expect(explainUnavailable("script-error", true)).toMatch(/cdn\.platform\.openai\.com/);
  });
});
