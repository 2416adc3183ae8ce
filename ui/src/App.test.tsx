import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Settings } from "./bindings";
import { makeTask } from "./tasks/testTasks";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: null,
};

const TASKS = [makeTask(1, { title: "Buy milk" }), makeTask(2, { title: "Pay rent", completed: true }), makeTask(3)];

function fakeCore() {
  mockIPC(
    (cmd) => {
      switch (cmd) {
        case "get_settings":
          return SETTINGS;
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
          return { slot: "openai_api_key", is_set: true, last_four: "WXYZ" };
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

  it("shows whether the app is online, and offline keeps chat calm and tasks usable", async () => {
    fakeCore();
    setOnline(false);
    const user = userEvent.setup();
    render(<App />);
    await screen.findByRole("navigation", { name: "Views" });
    expect(within(nav()).getByRole("status").textContent).toBe("Offline");
    expect(screen.getByText("Chat needs an internet connection")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Open Tasks" }));
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
    act(() => {
      chatkit.dispatchEvent(
        new CustomEvent("chatkit.effect", {
          detail: { name: "app_error", data: { code: "invalid_api_key", message: "The key was rejected." } },
        }),
      );
    });
    await user.click(within(screen.getByRole("alert")).getByRole("button", { name: "Open Settings" }));
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeTruthy();
    expect(within(nav()).getByRole("button", { name: "Settings" }).getAttribute("aria-current")).toBe("page");
  });
});
