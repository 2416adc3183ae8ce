import { act, cleanup, render, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { UpdateInfo, UpdateMode } from "../bindings";
import { UpdateNote } from "./UpdateNote";
import { resetUpdateState } from "./updates";
import { useStartupUpdateCheck } from "./useStartupUpdateCheck";

const UPDATE: UpdateInfo = { version: "0.2.0", current_version: "0.1.0", notes: null, date: null };

function Harness({ mode }: { mode: UpdateMode }) {
  useStartupUpdateCheck(mode);
  return <UpdateNote onOpenSettings={() => undefined} />;
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => {
  cleanup();
  clearMocks();
  resetUpdateState();
  vi.useRealTimers();
});

describe("useStartupUpdateCheck", () => {
  it("offline says nothing, then checks again when the network is back", async () => {
    let online = false;
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd !== "update_check") throw new Error(`unexpected ${cmd}`);
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (!online) throw { code: "update_check_failed", message: "Could not reach the update server." };
      return UPDATE;
    });
    render(<Harness mode="ask" />);
    expect(calls).toEqual([]); // not during start-up
    await act(async () => { await vi.advanceTimersByTimeAsync(2500); });
    expect(calls).toEqual(["update_check"]);
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();

    online = true;
    await act(async () => {
      window.dispatchEvent(new Event("online"));
      await vi.advanceTimersByTimeAsync(10);
    });
    expect(calls).toEqual(["update_check", "update_check"]);
    expect(screen.getByRole("status").textContent).toContain("Version 0.2.0 is available");
  });

  it("never checks by itself when updates are set to never", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => { calls.push(cmd); return UPDATE; });
    render(<Harness mode="never" />);
    await act(async () => { await vi.advanceTimersByTimeAsync(60_000); });
    expect(calls).toEqual([]);
  });

  it("downloads in the background in automatic mode and offers the restart", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "update_check") return UPDATE;
      if (cmd === "update_download") return "0.2.0";
      throw new Error(`unexpected ${cmd}`);
    });
    render(<Harness mode="automatic" />);
    await act(async () => { await vi.advanceTimersByTimeAsync(2500); });
    expect(calls).toEqual(["update_check", "update_download"]);
    expect(screen.getByRole("status").textContent).toContain("Version 0.2.0 is ready");
  });
});
