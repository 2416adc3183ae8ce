import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Settings } from "../bindings";
import { DomainKeyForm } from "./DomainKeyForm";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: null,
  updates: "automatic",
};

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("DomainKeyForm", () => {
  it("saves the trimmed key through the core and hands back the new settings", async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      const domainKey = (args as { domainKey: string }).domainKey;
      return { ...SETTINGS, chatkit_domain_key: domainKey };
    });
    const onSaved = vi.fn();
    render(<DomainKeyForm settings={SETTINGS} onSaved={onSaved} />);
    const input = screen.getByLabelText("ChatKit domain key");
    await userEvent.clear(input);
    await userEvent.type(input, " domain_pk_abc123 ");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("status")).toBeTruthy();
    expect(calls).toEqual([{ cmd: "save_chatkit_domain_key", args: { domainKey: "domain_pk_abc123" } }]);
    expect(onSaved).toHaveBeenCalledWith({ ...SETTINGS, chatkit_domain_key: "domain_pk_abc123" });
  });

  it("shows the core's coded error", async () => {
    mockIPC(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { code: "invalid_input", message: "The domain key is empty." };
    });
    render(<DomainKeyForm settings={SETTINGS} onSaved={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("invalid_input");
  });
});
