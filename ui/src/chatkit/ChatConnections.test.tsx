import type { ChatKitOptions } from "@openai/chatkit";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connection, Settings } from "../bindings";
import { CHATKIT_API_URL } from "./ChatPanel";
import { ChatView } from "./ChatView";

/** Stands in for ChatKit's element: keeps the options it was given. */
class FakeChatKit extends HTMLElement {
  options: ChatKitOptions | null = null;
  setOptions(options: ChatKitOptions) {
    this.options = options;
  }
}
if (!customElements.get("openai-chatkit")) customElements.define("openai-chatkit", FakeChatKit);

const settingsWith = (connection: Connection): Settings => ({
  connection,
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: "thr_last",
  updates: "never",
});
const LOCAL = settingsWith({ kind: "local", base_url: null, model: "gpt-5-mini" });
const BACKEND_CHATKIT = settingsWith({ kind: "backend", url: "https://todo.example.com", chat: "chatkit_endpoint" });
const BACKEND_SESSION = settingsWith({ kind: "backend", url: "https://todo.example.com", chat: "session_endpoint" });
const HOSTED = settingsWith({ kind: "hosted_workflow", workflow_id: "wf_123" });

type Call = { cmd: string; args: Record<string, unknown> };

function fakeCore(handlers: Record<string, (args: Record<string, unknown>) => unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    // The model picker's list, asked whenever a Local chat mounts: one model, so no picker.
    if (cmd === "chat_models") return { models: ["gpt-5-mini"], default: "gpt-5-mini" };
    const payload = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: payload });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(payload);
  });
  return calls;
}

/** A rejected invoke carries the core's {code, message}. */
function refuse(code: string, message: string): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw { code, message };
}

function element(): FakeChatKit {
  const found = document.querySelector("openai-chatkit");
  if (!(found instanceof FakeChatKit)) throw new Error("ChatKit is not mounted");
  return found;
}

async function mountedApi(): Promise<ChatKitOptions["api"]> {
  await waitFor(() => {
    expect(element().options).not.toBeNull();
  });
  const api = element().options?.api;
  if (!api) throw new Error("no api");
  return api;
}

function hostedApi(api: ChatKitOptions["api"]) {
  if (!("getClientSecret" in api)) throw new Error("not the hosted API");
  return api;
}

function customApi(api: ChatKitOptions["api"]) {
  if (!("url" in api)) throw new Error("not the custom API");
  return api;
}

afterEach(() => {
  cleanup();
  clearMocks();
  vi.restoreAllMocks();
});

describe("chat for each connection", () => {
  it("Local and a backend's ChatKit endpoint go over IPC, with no hosted-workflow notice", async () => {
    fakeCore({});
    for (const settings of [LOCAL, BACKEND_CHATKIT]) {
      const { unmount } = render(<ChatView settings={settings} />);
      const api = customApi(await mountedApi());
      expect(api.url).toBe(CHATKIT_API_URL);
      expect(typeof api.fetch).toBe("function");
      expect(screen.queryByRole("note")).toBeNull();
      unmount();
    }
  });

  it("a refused backend token in chat asks to sign in again, with a way to Settings", async () => {
    fakeCore({
      chatkit_client_secret: () => ({ client_secret: "cs_1", expires_at: Date.now() / 1000 + 600 }),
      chatkit_fetch: () => refuse("sign_in_required", "The backend asked to sign in again."),
    });
    const openSettings = vi.fn();
    render(<ChatView settings={BACKEND_CHATKIT} onOpenSettings={openSettings} />);
    const api = customApi(await mountedApi());
    const send = api.fetch;
    if (!send) throw new Error("no fetch");
    let status = 0;
    await act(async () => {
      status = (await send(CHATKIT_API_URL, { method: "POST", body: '{"type":"threads.list","params":{}}' })).status;
    });
    expect(status).toBe(500);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The backend asked to sign in again.");
    expect(alert.textContent).toContain("sign_in_required");
    fireEvent.click(within(alert).getByRole("button", { name: "Sign in again" }));
    expect(openSettings).toHaveBeenCalledOnce();
  });

  it("a backend's session endpoint gets ChatKit client secrets from the core", async () => {
    const calls = fakeCore({
      chatkit_session_secret: () => ({ client_secret: "ek_backend_1", expires_at: 1_900_000_000 }),
    });
    render(<ChatView settings={BACKEND_SESSION} />);
    const api = hostedApi(await mountedApi());
    expect("url" in api).toBe(false);
    expect(await api.getClientSecret(null)).toBe("ek_backend_1");
    expect(await api.getClientSecret("ek_old")).toBe("ek_backend_1");
    expect(calls).toEqual([
      { cmd: "chatkit_session_secret", args: { current: null } },
      { cmd: "chatkit_session_secret", args: { current: "ek_old" } },
    ]);
    expect(screen.queryByRole("note")).toBeNull();
  });

  it("explains a workflow the key's project does not have, and clears the banner once a secret comes", async () => {
    let fail = true;
    fakeCore({
      chatkit_session_secret: () =>
        fail
          ? refuse("workflow_not_found", "OpenAI has no workflow wf_123 for this key.")
          : { client_secret: "ek_1", expires_at: 1_900_000_000 },
    });
    const openSettings = vi.fn();
    render(<ChatView settings={HOSTED} onOpenSettings={openSettings} />);
    const api = hostedApi(await mountedApi());
    await act(async () => {
      await expect(api.getClientSecret(null)).rejects.toMatchObject({ code: "workflow_not_found" });
    });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("OpenAI has no workflow wf_123 for this key.");
    expect(alert.textContent).toContain("belongs to an OpenAI project that has no workflow with this ID");
    fireEvent.click(within(alert).getByRole("button", { name: "Open Settings" }));
    expect(openSettings).toHaveBeenCalledOnce();

    fail = false;
    await act(() => api.getClientSecret(null));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("a hosted workflow's session that needs a new sign-in or is rate limited says so", async () => {
    let code = "rate_limited";
    fakeCore({ chatkit_session_secret: () => refuse(code, `Refused: ${code}.`) });
    render(<ChatView settings={BACKEND_SESSION} onOpenSettings={vi.fn()} />);
    const api = hostedApi(await mountedApi());
    await act(async () => {
      await expect(api.getClientSecret(null)).rejects.toBeTruthy();
    });
    expect(within(screen.getByRole("alert")).queryByRole("button", { name: /Settings|Sign in/ })).toBeNull();
    code = "sign_in_required";
    await act(async () => {
      await expect(api.getClientSecret(null)).rejects.toBeTruthy();
    });
    expect(within(screen.getByRole("alert")).getByRole("button", { name: "Sign in again" })).toBeTruthy();
  });

  it("warns that hosted workflows end, and switches to Local in one click, keeping the key", async () => {
    const calls = fakeCore({
      save_connection: (args) => ({ ...HOSTED, connection: args.connection }),
      remember_thread: () => null,
    });
    function Harness() {
      const [settings, setSettings] = useState(HOSTED);
      return <ChatView settings={settings} onSettingsChanged={setSettings} />;
    }
    render(<Harness />);
    hostedApi(await mountedApi());
    const notice = screen.getByRole("note", { name: "Hosted workflows end" });
    expect(notice.textContent).toContain("OpenAI ended hosted workflows on 2026-11-30");

    const before = element();
    fireEvent.click(within(notice).getByRole("button", { name: "Switch to Local" }));
    await waitFor(() => {
      expect(screen.queryByRole("note")).toBeNull();
    });
    expect(calls).toEqual([
      { cmd: "save_connection", args: { connection: { kind: "local", base_url: null, model: "gpt-5-mini" } } },
      { cmd: "remember_thread", args: { threadId: null } },
    ]);
    // ChatKit starts over with the Local connection's API, on a fresh thread.
    expect(element()).not.toBe(before);
    expect(customApi(await mountedApi()).url).toBe(CHATKIT_API_URL);
    expect(element().options?.initialThread).toBeNull();
  });

  it("a workflow OpenAI no longer serves shows hosted_workflow_ended with one click to Local", async () => {
    const calls = fakeCore({
      chatkit_session_secret: () =>
        refuse("hosted_workflow_ended", "OpenAI no longer serves hosted workflow wf_1; switch to Local."),
      save_connection: (args) => ({ ...HOSTED, connection: args.connection }),
      remember_thread: () => null,
    });
    function Harness() {
      const [settings, setSettings] = useState(HOSTED);
      return <ChatView settings={settings} onSettingsChanged={setSettings} />;
    }
    render(<Harness />);
    const api = hostedApi(await mountedApi());
    await act(async () => {
      await expect(api.getClientSecret(null)).rejects.toBeTruthy();
    });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("hosted_workflow_ended");
    expect(alert.textContent).toContain("with the API key you already saved");
    fireEvent.click(within(alert).getByRole("button", { name: "Switch to Local" }));
    await waitFor(() => {
      expect(screen.queryByRole("note")).toBeNull();
    });
    expect(customApi(await mountedApi()).url).toBe(CHATKIT_API_URL);
    expect(calls.filter((c) => c.cmd !== "chatkit_session_secret")).toEqual([
      { cmd: "save_connection", args: { connection: { kind: "local", base_url: null, model: "gpt-5-mini" } } },
      { cmd: "remember_thread", args: { threadId: null } },
    ]);
  });

  it("keeps the notice and shows the code when switching fails", async () => {
    fakeCore({ save_connection: () => refuse("storage_failed", "Settings could not be written.") });
    render(<ChatView settings={HOSTED} onSettingsChanged={vi.fn()} />);
    await mountedApi();
    fireEvent.click(screen.getByRole("button", { name: "Switch to Local" }));
    expect((await screen.findByRole("alert")).textContent).toContain("storage_failed");
    expect(screen.getByRole("note", { name: "Hosted workflows end" })).toBeTruthy();
  });
});
