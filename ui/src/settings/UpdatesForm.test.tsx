import type { Channel } from "@tauri-apps/api/core";
import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { Settings, UpdateInfo, UpdateProgress } from "../bindings";
import { resetUpdateState } from "../updates/updates";
import { UpdatesForm } from "./UpdatesForm";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: null,
  updates: "automatic",
};
const UPDATE: UpdateInfo = {
  version: "0.2.0",
  current_version: "0.1.0",
  notes: "- Tasks remember their order\n- Faster start",
  date: "2026-12-01T10:00:00Z",
};

type Args = Record<string, unknown>;
interface MockInternals { runCallback: (id: number, data: unknown) => void }

/** Sends what the Rust side of the progress channel sends: indexed messages. */
function progressSender(args: Args) {
  const channel = args.onProgress as Channel<UpdateProgress>;
  const internals = (window as unknown as { __TAURI_INTERNALS__: MockInternals }).__TAURI_INTERNALS__;
  let index = 0;
  return (message: UpdateProgress) => {
    internals.runCallback(channel.id, { index: index++, message });
  };
}

afterEach(() => {
  cleanup();
  clearMocks();
  resetUpdateState();
});

describe("UpdatesForm", () => {
  it("checks, shows what is new, shows download progress, then offers to install", async () => {
    let finish: (version: string) => void = () => undefined;
    let send: (m: UpdateProgress) => void = () => undefined;
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === "update_check") return UPDATE;
      if (cmd === "update_download") {
        send = progressSender(args as Args);
        return new Promise<string>((resolve) => { finish = resolve; });
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<UpdatesForm settings={SETTINGS} onSaved={() => undefined} />);

    await userEvent.click(screen.getByRole("button", { name: "Check for updates" }));
    expect((await screen.findByText(/is available/)).textContent).toContain("Version 0.2.0");
    expect(screen.getByLabelText("What is new").textContent).toBe(UPDATE.notes);

    await userEvent.click(screen.getByRole("button", { name: "Download and verify" }));
    act(() => { send({ kind: "downloading", downloaded: 2 * 1024 * 1024, total: 4 * 1024 * 1024 }); });
    const bar = await screen.findByLabelText<HTMLProgressElement>("Downloading the update");
    expect(bar.value).toBe(2 * 1024 * 1024);
    expect(bar.max).toBe(4 * 1024 * 1024);
    expect(screen.getByText("2.0 MB of 4.0 MB")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Check for updates" })).toHaveProperty("disabled", true);

    act(() => { send({ kind: "verifying" }); });
    expect(await screen.findByText("Checking the signature…")).toBeTruthy();
    await act(async () => { finish("0.2.0"); await Promise.resolve(); });
    expect((await screen.findByText(/downloaded and its signature verified/)).textContent).toContain("0.2.0");
    expect(screen.getByRole("button", { name: "Install and restart" })).toBeTruthy();
    expect(calls).toEqual(["update_check", "update_download"]);
  });

  it("shows a refused download with its code and offers to try again", async () => {
    mockIPC((cmd) => {
      if (cmd === "update_check") return UPDATE;
      if (cmd === "update_download") {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "update_signature_invalid", message: "The downloaded update is not signed with Todo Assistant's release key." };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<UpdatesForm settings={SETTINGS} onSaved={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "Check for updates" }));
    await userEvent.click(await screen.findByRole("button", { name: "Download and verify" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("update_signature_invalid");
    expect(screen.queryByRole("button", { name: "Install and restart" })).toBeNull();
    expect(screen.getByRole("button", { name: "Try the download again" })).toBeTruthy();
  });

  it("says when this version is the latest, and saves the chosen mode", async () => {
    const saved: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "update_check") return null;
      if (cmd === "save_update_mode") {
        saved.push((args as Args).mode);
        return { ...SETTINGS, updates: (args as Args).mode };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    let current: Settings = SETTINGS;
    render(<UpdatesForm settings={SETTINGS} onSaved={(s) => { current = s; }} />);
    await userEvent.click(screen.getByRole("button", { name: "Check for updates" }));
    expect(await screen.findByText("Todo Assistant is up to date.")).toBeTruthy();
    await userEvent.click(screen.getByRole("radio", { name: /^Never/ }));
    expect(saved).toEqual(["never"]);
    expect(current.updates).toBe("never");
  });
});
