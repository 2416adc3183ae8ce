import type { ChatKitOptions } from "@openai/chatkit";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Settings } from "../bindings";
import { CHATKIT_API_URL } from "./ChatPanel";
import { ChatView } from "./ChatView";
import { CHATKIT_LOAD_TIMEOUT_MS } from "./loadChatKit";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: "thr_last",
  updates: "never",
};

/** Stands in for ChatKit's element: records the options and method calls it gets. */
class FakeChatKit extends HTMLElement {
  options: ChatKitOptions | null = null;
  threadIds: (string | null)[] = [];
  /** Events someone listens for: ChatKit's wrapper adds its listeners a moment after the options. */
  listening = new Set<string>();

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) {
    this.listening.add(type);
    super.addEventListener(type, listener, options);
  }

  setOptions(options: ChatKitOptions) {
    this.options = options;
  }

  setThreadId(threadId: string | null): Promise<void> {
    this.threadIds.push(threadId);
    return Promise.resolve();
  }
}

function defineFakeChatKit() {
  if (!customElements.get("openai-chatkit")) customElements.define("openai-chatkit", FakeChatKit);
}

function element(): FakeChatKit {
  const found = document.querySelector("openai-chatkit");
  if (!(found instanceof FakeChatKit)) throw new Error("ChatKit is not mounted");
  return found;
}

function fakeCore(): { cmd: string; args: unknown }[] {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    // The model picker's list, asked whenever a Local chat mounts: one model, so no picker.
    if (cmd === "chat_models") return { models: ["gpt-5-mini"], default: "gpt-5-mini" };
    calls.push({ cmd, args });
    if (cmd === "remember_thread") return null;
    if (cmd === "run_task_tool") return { task: { id: "task_1", title: "Buy groceries" } };
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

/** Makes `navigator.onLine` say `online` and tells the window, as a lost connection does. */
function setOnline(online: boolean) {
  vi.spyOn(navigator, "onLine", "get").mockReturnValue(online);
  window.dispatchEvent(new Event(online ? "online" : "offline"));
}

/** Waits until ChatKit has its options and the app listens to its events. */
async function mountedOptions(): Promise<ChatKitOptions> {
  await waitFor(() => {
    expect(element().options).not.toBeNull();
    expect(element().listening.has("chatkit.error")).toBe(true);
  });
  const options = element().options;
  if (!options) throw new Error("no options");
  return options;
}

function effect(name: string, data?: Record<string, unknown>) {
  act(() => {
    element().dispatchEvent(new CustomEvent("chatkit.effect", { detail: { name, data } }));
  });
}

/** A controllable `prefers-color-scheme: dark` query. */
function fakeDarkMode(initiallyDark: boolean) {
  const listeners = new Set<() => void>();
  const query = {
    matches: initiallyDark,
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  };
  vi.stubGlobal("matchMedia", () => query);
  return (dark: boolean) => {
    query.matches = dark;
    listeners.forEach((l) => {
      l();
    });
  };
}

afterEach(() => {
  cleanup();
  clearMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.querySelectorAll("script[data-chatkit-loader]").forEach((script) => {
    script.remove();
  });
});

describe("ChatView", () => {
  it("offers Retry when the CDN fails, and mounts ChatKit once the element is defined", async () => {
    vi.useFakeTimers();
    fakeCore();
    render(<ChatView settings={SETTINGS} />);
    await act(() => vi.advanceTimersByTimeAsync(CHATKIT_LOAD_TIMEOUT_MS));
    expect(screen.getByText("Chat can't load right now")).toBeTruthy();

    defineFakeChatKit();
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(element().options?.api).toMatchObject({ url: CHATKIT_API_URL });
  });

  it("configures ChatKit for the core: IPC fetch, domain key, history, prompts, the last thread", async () => {
    defineFakeChatKit();
    fakeCore();
    render(<ChatView settings={SETTINGS} />);
    await mountedOptions();
    const options = element().options;
    expect(options?.api).toMatchObject({ url: CHATKIT_API_URL, domainKey: "domain_pk_localhost_dev" });
    expect(options && "fetch" in options.api && typeof options.api.fetch).toBe("function");
    expect(options?.history).toEqual({ enabled: true, showDelete: true, showRename: true });
    expect(options?.initialThread).toBe("thr_last");
    expect(options?.threadItemActions).toEqual({ feedback: true, retry: true });
    expect(options?.startScreen?.prompts?.map((p) => p.prompt)).toContain("Add a task to buy groceries");
  });

  it("remembers the thread ChatKit switches to", async () => {
    defineFakeChatKit();
    const calls = fakeCore();
    const remembered = vi.fn();
    render(<ChatView settings={SETTINGS} onThreadRemembered={remembered} />);
    await mountedOptions();
    act(() => {
      element().dispatchEvent(new CustomEvent("chatkit.thread.change", { detail: { threadId: "thr_new" } }));
    });
    await waitFor(() => {
      expect(remembered).toHaveBeenCalledWith("thr_new");
    });
    expect(calls).toEqual([{ cmd: "remember_thread", args: { threadId: "thr_new" } }]);
  });

  it("starts a new chat from its own button", async () => {
    defineFakeChatKit();
    fakeCore();
    render(<ChatView settings={SETTINGS} />);
    fireEvent.click(await screen.findByRole("button", { name: "New chat" }));
    expect(element().threadIds).toEqual([null]);
  });

  it("explains a domain verification failure and how to fix it", async () => {
    defineFakeChatKit();
    fakeCore();
    render(<ChatView settings={SETTINGS} />);
    await mountedOptions();
    act(() => {
      element().dispatchEvent(new CustomEvent("chatkit.error", { detail: { error: new Error("Network timeout") } }));
    });
    expect(screen.queryByRole("alert")).toBeNull();
    act(() => {
      element().dispatchEvent(
        new CustomEvent("chatkit.error", { detail: { error: new Error("Domain verification failed for tauri://localhost") } }),
      );
    });
    expect(screen.getByRole("alert").textContent).toContain("Settings → ChatKit domain key");
  });

  it("follows the system's light and dark appearance live", async () => {
    defineFakeChatKit();
    fakeCore();
    const setDark = fakeDarkMode(false);
    render(<ChatView settings={SETTINGS} />);
    await waitFor(() => {
      expect(element().options?.theme).toEqual({ colorScheme: "light" });
    });
    act(() => {
      setDark(true);
    });
    await waitFor(() => {
      expect(element().options?.theme).toEqual({ colorScheme: "dark" });
    });
  });

  it("runs the five task tools in the core for client tool calls", async () => {
    defineFakeChatKit();
    const calls = fakeCore();
    render(<ChatView settings={SETTINGS} />);
    const options = await mountedOptions();
    const onClientTool = options.onClientTool;
    if (!onClientTool) throw new Error("no onClientTool");

    const params = { title: "Buy groceries", description: null };
    expect(await onClientTool({ name: "add_task", params })).toEqual({
      task: { id: "task_1", title: "Buy groceries" },
    });
    expect(calls).toEqual([{ cmd: "run_task_tool", args: { name: "add_task", params } }]);
    expect(await onClientTool({ name: "order_pizza", params: {} })).toMatchObject({
      error: { code: "unknown_tool" },
    });
    expect(calls).toHaveLength(1);
  });

  it("shows the assistant's coded failure, with Open Settings for a rejected key", async () => {
    defineFakeChatKit();
    fakeCore();
    const openSettings = vi.fn();
    render(<ChatView settings={SETTINGS} onOpenSettings={openSettings} />);
    await mountedOptions();

    effect("something_else", { code: "invalid_api_key" });
    expect(screen.queryByRole("alert")).toBeNull();

    effect("app_error", { code: "invalid_api_key", message: "The model service rejected the API key (401)." });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("The model service rejected the API key (401).");
    expect(alert.textContent).toContain("invalid_api_key");
    fireEvent.click(within(alert).getByRole("button", { name: "Open Settings" }));
    expect(openSettings).toHaveBeenCalledOnce();

    effect("app_error", { code: "assistant_not_configured", message: "No API key is stored." });
    expect(within(screen.getByRole("alert")).getByRole("button", { name: "Open Settings" })).toBeTruthy();
  });

  it("shows passing failures without Open Settings, and clears them when a new answer starts", async () => {
    defineFakeChatKit();
    fakeCore();
    render(<ChatView settings={SETTINGS} onOpenSettings={vi.fn()} />);
    await mountedOptions();

    effect("app_error", { code: "rate_limited", message: "The model service is limiting requests right now." });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("rate_limited");
    expect(within(alert).queryByRole("button", { name: "Open Settings" })).toBeNull();

    act(() => {
      element().dispatchEvent(new CustomEvent("chatkit.response.start"));
    });
    expect(screen.queryByRole("alert")).toBeNull();

    effect("app_error", { code: "model_unavailable", message: "Could not be reached." });
    fireEvent.click(within(screen.getByRole("alert")).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offline, says calmly that chat needs a connection and that tasks keep working", async () => {
    setOnline(false);
    fakeCore();
    const openTasks = vi.fn();
    render(<ChatView settings={SETTINGS} onOpenTasks={openTasks} />);
    expect(screen.getByText("Chat needs an internet connection")).toBeTruthy();
    expect(document.body.textContent).toContain("the Tasks view keeps working");
    expect(document.body.textContent).not.toContain("cdn.platform.openai.com");
    // Nothing is fetched while offline.
    expect(document.querySelector("script[data-chatkit-loader]")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Open Tasks" }));
    expect(openTasks).toHaveBeenCalledOnce();

    // Back online, chat loads by itself.
    defineFakeChatKit();
    act(() => {
      setOnline(true);
    });
    await mountedOptions();
    expect(screen.queryByText("Chat needs an internet connection")).toBeNull();
  });

  it("keeps an open chat when the connection drops, with a note that the assistant needs it", async () => {
    defineFakeChatKit();
    fakeCore();
    render(<ChatView settings={SETTINGS} />);
    await mountedOptions();
    act(() => {
      setOnline(false);
    });
    expect(element().options).not.toBeNull();
    expect(screen.getByRole("status").textContent).toContain("your tasks keep working");
    act(() => {
      setOnline(true);
    });
    expect(screen.queryByRole("status")).toBeNull();
  });
});
