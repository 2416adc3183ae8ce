import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Settings } from "../bindings";
import { ConnectionForm } from "./ConnectionForm";

const FRESH: Settings = { connection: null, chatkit_domain_key: "domain_pk_localhost_dev", last_thread_id: null };

type Call = { cmd: string; args: Record<string, unknown> };

/** Fakes the core at the IPC boundary and records what the UI asked of it. */
function fakeCore(handlers: Record<string, (args: Record<string, unknown>) => unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const payload = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: payload });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(payload);
  });
  return calls;
}

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("ConnectionForm", () => {
  it("stores the key in the keychain first, then saves the local connection", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null }),
      save_secret: () => ({ slot: "openai_api_key", is_set: true, last_four: "WXYZ" }),
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText(/OpenAI API key/), "sk-test-abcdWXYZ");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));

    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    const sequence = calls.map((c) => c.cmd).filter((c) => c !== "secret_status");
    expect(sequence).toEqual(["save_secret", "save_connection"]);
    expect(calls.find((c) => c.cmd === "save_secret")?.args).toEqual({
      slot: "openai_api_key",
      value: "sk-test-abcdWXYZ",
    });
    expect(calls.find((c) => c.cmd === "save_connection")?.args).toEqual({
      connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
    });
    expect(screen.getByTestId("secret-status").textContent).toContain("••••WXYZ");
    expect(document.body.textContent).not.toContain("sk-test-abcdWXYZ");
  });

  it("shows the keychain's coded error and saves nothing else", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null }),
      save_secret: () => {
        // A rejected invoke carries the core's {code, message}.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "keychain_unavailable", message: "The system keychain is not available." };
      },
      save_connection: () => FRESH,
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText(/OpenAI API key/), "sk-live-1234");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The system keychain is not available.");
    expect(alert.textContent).toContain("keychain_unavailable");
    expect(calls.some((c) => c.cmd === "save_connection")).toBe(false);
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("requires a key for OpenAI but not for a custom server", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null }),
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your OpenAI API key.");

    await userEvent.type(screen.getByLabelText(/Base URL/), "http://127.0.0.1:11434/v1");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => {
      expect(calls.find((c) => c.cmd === "save_connection")?.args).toEqual({
        connection: { kind: "local", base_url: "http://127.0.0.1:11434/v1", model: "gpt-5-mini" },
      });
    });
  });

  it("warns that hosted workflows end and switches back to Local in one click", async () => {
    fakeCore({ secret_status: () => ({ slot: "openai_api_key", is_set: true, last_four: "9f3k" }) });
    render(<ConnectionForm settings={FRESH} submitLabel="Save" onSaved={vi.fn()} />);
    await userEvent.click(screen.getByLabelText(/Hosted workflow/));
    expect(screen.getByRole("note").textContent).toContain("2026-11-30");
    await userEvent.click(screen.getByRole("button", { name: "Switch to Local" }));
    expect(screen.queryByRole("note")).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>(/Local/).checked).toBe(true);
    expect(screen.getByTestId("secret-status").textContent).toContain("••••9f3k");
  });
});
