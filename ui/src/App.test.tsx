import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Settings, SyncStatus } from "./bindings";
import { makeTask } from "./tasks/testTasks";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: null,
  updates: "never",
};

const TASKS = [makeTask(1, { title: "Buy milk" }), makeTask(2, { title: "Pay rent", completed: true }), makeTask(3)];

const LOCAL_SYNC: SyncStatus = {
  backend: false,
  phase: null,
  syncing: false,
  pending_changes: 0,
  pending_task_ids: [],
  conflicts: [],
  last_synced_at: null,
  message: null,
};

function fakeCore(settings: Settings = SETTINGS, sync: SyncStatus = LOCAL_SYNC) {
  mockIPC(
    (cmd) => {
      switch (cmd) {
        case "get_settings":
          return settings;
        case "sync_status":
          return sync;
        case "backend_status":
          return { signed_in: true, user_id: "user_42", expires_at: null };
        case "tasks_list":
          return TASKS;
        case "app_info":
          return {
            version: "0.1.0",
            paths: { data_dir: "/data", log_dir: "/logs" },
            keychain_service: "dev.todoassistant.app",
            settings_recovery: { kind: "clean" },
          };
        case "secret_status":
          return { slot: "openai_api_key", is_set: true, last_four: "WXYZ", from_environment: false };
        case "remember_thread":
          return null;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
}

/** A stand-in for ChatKit's element that accepts options. */
class QuietChatKit extends HTMLElement {
  setOptions() {
    /* the options are not under test here */
  }
}

function setOnline(online: boolean) {
  vi.spyOn(navigator, "onLine", "get").mockReturnValue(online);
  window.dispatchEvent(new Event(online ? "online" : "offline"));
}

function nav() {
  return screen.getByRole("navigation", { name: "Views" });
}

afterEach(() => {
  cleanup();
  clearMocks();
  vi.restoreAllMocks();
});

describe("App", () => {
  it("has a Tasks view in the sidebar, with the pending count", async () => {
    fakeCore();
    const user = userEvent.setup();
    render(<App />);
    const tasksButton = await within(await screen.findByRole("navigation", { name: "Views" })).findByRole("button", {
      name: /Tasks/,
    });
    await waitFor(() => {
      expect(tasksButton.getAttribute("aria-label")).toBe("Tasks (2 pending)");
    });
    await user.click(tasksButton);
    expect(tasksButton.getAttribute("aria-current")).toBe("page");
    expect(await screen.findByText("Buy milk")).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Tasks" })).toBeTruthy();
  });

  it("paints the shell and the Tasks view while ChatKit's script is still loading", async () => {
    fakeCore();
    const user = userEvent.setup();
    render(<App />);
    // ChatKit comes from the CDN, which jsdom never answers: the chat pane stays loading…
    expect(await screen.findByText("Loading chat…")).toBeTruthy();
    expect(customElements.get("openai-chatkit")).toBeUndefined();
    // …while the sidebar's count and the Tasks view come from the local store.
    await waitFor(() => {
      expect(within(nav()).getByRole("button", { name: "Tasks (2 pending)" })).toBeTruthy();
    });
    await user.click(within(nav()).getByRole("button", { name: /Tasks/ }));
    expect(await screen.findByText("Buy milk")).toBeTruthy();
    expect(customElements.get("openai-chatkit")).toBeUndefined();
  });

  it("renders the shell from the settings the window was created with, before get_settings answers", () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      return new Promise(() => undefined); // the core never answers
    });
    (window as unknown as Record<string, unknown>).__TODO_ASSISTANT_START_SETTINGS__ = SETTINGS;
    try {
      render(<App />);
      // The first render, with no IPC answered: the shell, not the blank wait.
      expect(within(nav()).getByRole("button", { name: /Tasks/ })).toBeTruthy();
      expect(asked).toContain("get_settings");
    } finally {
      delete (window as unknown as Record<string, unknown>).__TODO_ASSISTANT_START_SETTINGS__;
    }
  });

  it("shows the pending count the window was created with until the task list answers, then the list's", async () => {
    let answerTasks: (() => void) | undefined;
    mockIPC(
      (cmd) => {
        if (cmd === "get_settings") return SETTINGS;
        if (cmd === "tasks_list") return new Promise((resolve) => { answerTasks = () => { resolve(TASKS); }; });
        return new Promise(() => undefined); // nothing else answers
      },
      { shouldMockEvents: true },
    );
    const globals = window as unknown as Record<string, unknown>;
    globals.__TODO_ASSISTANT_START_SETTINGS__ = SETTINGS;
    globals.__TODO_ASSISTANT_START_PENDING_TASKS__ = 5;
    try {
      render(<App />);
      // The first render: the badge is there before any answer.
      expect(within(nav()).getByRole("button", { name: "Tasks (5 pending)" })).toBeTruthy();
      await waitFor(() => { expect(answerTasks).toBeDefined(); });
      answerTasks?.();
      await waitFor(() => {
        expect(within(nav()).getByRole("button", { name: "Tasks (2 pending)" })).toBeTruthy();
      });
    } finally {
      delete globals.__TODO_ASSISTANT_START_SETTINGS__;
      delete globals.__TODO_ASSISTANT_START_PENDING_TASKS__;
    }
  });

  it("takes the core's settings when they differ from the window's start settings (a reload)", async () => {
    fakeCore({ ...SETTINGS, connection: null });
    (window as unknown as Record<string, unknown>).__TODO_ASSISTANT_START_SETTINGS__ = SETTINGS;
    try {
      render(<App />);
      expect(within(nav()).getByRole("button", { name: /Tasks/ })).toBeTruthy();
      // No connection in the core's answer: onboarding replaces the shell.
      await waitFor(() => {
        expect(screen.queryByRole("navigation", { name: "Views" })).toBeNull();
      });
    } finally {
      delete (window as unknown as Record<string, unknown>).__TODO_ASSISTANT_START_SETTINGS__;
    }
  });

  it("shows whether the app is online, and offline opens the built-in chat and keeps tasks usable", async () => {
    fakeCore();
    setOnline(false);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByRole("navigation", { name: "Views" });
    expect(within(nav()).getByRole("status").textContent).toBe("Offline");
    // Automatic chat view: ChatKit cannot load offline, so the built-in chat says why.
    expect(await screen.findByTestId("builtin-chat")).toBeTruthy();
    expect(screen.getByText(/You're offline, and ChatKit loads from the internet/)).toBeTruthy();

    await user.click(within(nav()).getByRole("button", { name: /Tasks/ }));
    expect(await screen.findByText("Buy milk")).toBeTruthy();
    expect(screen.getByText("Offline: changes are saved on this computer.")).toBeTruthy();

    act(() => {
      setOnline(true);
    });
    expect(within(nav()).getByRole("status").textContent).toBe("Online");
  });

  it("opens Settings from the banner for a rejected API key", async () => {
    if (!customElements.get("openai-chatkit")) customElements.define("openai-chatkit", QuietChatKit);
    fakeCore();
    const user = userEvent.setup();
    render(<App />);
    const chatkit = await waitFor(() => {
      const found = document.querySelector("openai-chatkit");
      if (!found) throw new Error("ChatKit is not mounted yet");
      return found;
    });
    // ChatKit's wrapper listens from a passive effect, a moment after mounting: send until heard.
    await waitFor(() => {
      act(() => {
        chatkit.dispatchEvent(
          new CustomEvent("chatkit.effect", {
            detail: { name: "app_error", data: { code: "invalid_api_key", message: "The key was rejected." } },
          }),
        );
      });
      expect(screen.getByRole("alert")).toBeTruthy();
    });
    await user.click(within(screen.getByRole("alert")).getByRole("button", { name: "Open Settings" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeTruthy();
    expect(within(nav()).getByRole("button", { name: "Settings" }).getAttribute("aria-current")).toBe("page");
  });

  it("says nothing about sync on the Local connection", async () => {
    fakeCore();
    render(<App />);
    await screen.findByRole("navigation", { name: "Views" });
    await act(() => emit("sync-changed", LOCAL_SYNC));
    expect(nav().textContent).not.toMatch(/sync/i);
  });

  it("shows sync in the sidebar on a backend, live, and Sign in again leads to Settings", async () => {
    const backend: Settings = {
      ...SETTINGS,
      connection: { kind: "backend", url: "https://todo.example.com", chat: "chatkit_endpoint" },
    };
    const synced: SyncStatus = { ...LOCAL_SYNC, backend: true, phase: "synced", last_synced_at: new Date().toISOString() };
    fakeCore(backend, { ...synced, pending_changes: 3, pending_task_ids: ["a", "b", "c"] });
    const user = userEvent.setup();
    render(<App />);
    await waitFor(() => {
      expect(nav().textContent).toContain("3 changes waiting to sync");
    });
    await act(() => emit("sync-changed", synced));
    expect(nav().textContent).toContain("All changes synced");

    await act(() => emit("sync-changed", { ...synced, phase: "sign_in_required" }));
    await user.click(within(nav()).getByRole("button", { name: "Sign in again to sync" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeTruthy();
    expect(await screen.findByText(/Signed in as user_42/)).toBeTruthy();
  });
});
