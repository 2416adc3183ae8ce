import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SyncStatus, Task } from "../bindings";
import { TasksView } from "../tasks/TasksView";
import { makeTask } from "../tasks/testTasks";
import { useTaskList } from "../tasks/useTaskList";
import { useSyncStatus } from "./useSyncStatus";

const MILK = makeTask(1, { title: "Buy milk" });
const RENT = makeTask(2, { title: "Pay rent" });

const SYNCED: SyncStatus = {
  backend: true,
  phase: "synced",
  syncing: false,
  pending_changes: 0,
  pending_task_ids: [],
  conflicts: [],
  last_synced_at: new Date().toISOString(),
  message: null,
};
const LOCAL: SyncStatus = { ...SYNCED, backend: false, phase: null, last_synced_at: null };

/** The core's task and sync commands; `sync_now` is recorded and answered with nothing. */
function fakeCore(tasks: Task[], status: SyncStatus | (() => SyncStatus)) {
  const calls: string[] = [];
  mockIPC(
    (cmd) => {
      calls.push(cmd);
      switch (cmd) {
        case "tasks_list":
          return tasks;
        case "sync_status":
          return typeof status === "function" ? status() : status;
        case "sync_now":
          return null;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** What the core sends as `SyncChanged`. */
async function announce(status: SyncStatus) {
  await act(() => emit("sync-changed", status));
}

function Harness({ onOpenSettings = vi.fn() }: { onOpenSettings?: () => void }) {
  const list = useTaskList();
  const sync = useSyncStatus();
  return <TasksView list={list} sync={sync} onOpenSettings={onOpenSettings} />;
}

function syncBar() {
  return screen.getByRole("status", { name: "Sync" });
}

function row(title: string): HTMLElement {
  const found = screen.getAllByRole("row").find((r) => r.querySelector(".task-title")?.textContent === title);
  if (!found) throw new Error(`no row titled ${title}`);
  return found;
}

beforeEach(() => {
  localStorage.clear();
});

afterEach(() => {
  cleanup();
  clearMocks();
  vi.restoreAllMocks();
});

describe("sync in the Tasks view", () => {
  it("says nothing about sync on the Local connection", async () => {
    fakeCore([MILK], LOCAL);
    render(<Harness />);
    await screen.findByText("Buy milk");
    await announce(LOCAL);
    expect(screen.queryByRole("status", { name: "Sync" })).toBeNull();
    expect(document.body.textContent).not.toMatch(/sync/i);
  });

  it("follows the core's status live: waiting, syncing, synced, with the last sync time", async () => {
    const calls = fakeCore([MILK, RENT], { ...SYNCED, pending_changes: 2, pending_task_ids: [MILK.id] });
    const user = userEvent.setup();
    render(<Harness />);
    await waitFor(() => {
      expect(syncBar().textContent).toContain("2 changes waiting to sync");
    });
    expect(syncBar().textContent).toContain("Last synced");
    expect(within(row("Buy milk")).getByText("waiting to sync")).toBeTruthy();
    expect(within(row("Pay rent")).queryByText("waiting to sync")).toBeNull();

    await user.click(within(syncBar()).getByRole("button", { name: "Sync now" }));
    expect(calls).toContain("sync_now");
    expect(syncBar().textContent).toContain("Syncing…");
    expect(within(syncBar()).getByRole("button", { name: "Sync now" })).toHaveProperty("disabled", true);

    await announce({ ...SYNCED, syncing: true, pending_changes: 2, pending_task_ids: [MILK.id] });
    expect(syncBar().textContent).toContain("Syncing…");
    await announce(SYNCED);
    expect(syncBar().textContent).toContain("All changes synced");
    expect(within(row("Buy milk")).queryByText("waiting to sync")).toBeNull();
    expect(within(syncBar()).getByRole("button", { name: "Sync now" })).toHaveProperty("disabled", false);
  });

  it("shows a local edit waiting at once, before the core's next pass reports", async () => {
    let current: SyncStatus = SYNCED;
    fakeCore([MILK], () => current);
    render(<Harness />);
    await waitFor(() => {
      expect(syncBar().textContent).toContain("All changes synced");
    });
    current = { ...SYNCED, pending_changes: 1, pending_task_ids: [MILK.id] };
    await act(() => emit("tasks-changed", { kind: "updated", task_id: MILK.id }));
    await waitFor(() => {
      expect(syncBar().textContent).toContain("1 change waiting to sync");
    });
    expect(within(row("Buy milk")).getByText("waiting to sync")).toBeTruthy();
  });

  it("an event that beats the first read wins over it", async () => {
    let answer: (s: SyncStatus) => void = () => undefined;
    mockIPC(
      (cmd) => {
        if (cmd === "tasks_list") return [MILK];
        if (cmd === "sync_status") return new Promise<SyncStatus>((resolve) => (answer = resolve));
        throw new Error(`unexpected command ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    render(<Harness />);
    await screen.findByText("Buy milk");
    await announce({ ...SYNCED, pending_changes: 1, pending_task_ids: [MILK.id] });
    await act(async () => {
      answer(SYNCED);
      await Promise.resolve();
    });
    expect(syncBar().textContent).toContain("1 change waiting to sync");
  });

  it("offline, says changes will sync later and keeps the count", async () => {
    fakeCore([MILK], { ...SYNCED, phase: "offline", pending_changes: 1, pending_task_ids: [MILK.id] });
    render(<Harness />);
    await waitFor(() => {
      expect(syncBar().textContent).toContain("Offline — changes will sync when you're back online");
    });
    expect(syncBar().textContent).toContain("1 change waiting to sync");
    expect(document.body.textContent).not.toContain("Offline: changes are saved on this computer.");
  });

  it("asks to sign in again, with a way to Settings", async () => {
    fakeCore([MILK], { ...SYNCED, phase: "sign_in_required", message: "The backend asked to sign in again." });
    const openSettings = vi.fn();
    const user = userEvent.setup();
    render(<Harness onOpenSettings={openSettings} />);
    await waitFor(() => {
      expect(syncBar().textContent).toContain("Sign in again to sync");
    });
    await user.click(within(syncBar()).getByRole("button", { name: "Sign in again" }));
    expect(openSettings).toHaveBeenCalledOnce();
  });

  it("shows the core's message for other failures", async () => {
    fakeCore([MILK], {
      ...SYNCED,
      phase: "error",
      message: "Sign in to the backend (or paste a token) in Settings to sync tasks.",
    });
    render(<Harness />);
    await waitFor(() => {
      expect(syncBar().textContent).toContain("Sign in to the backend (or paste a token) in Settings to sync tasks.");
    });
    expect(within(syncBar()).getByRole("button", { name: "Open Settings" })).toBeTruthy();
  });

  it("lists conflicts until dismissed, and they stay dismissed", async () => {
    const status: SyncStatus = {
      ...SYNCED,
      conflicts: [
        {
          task_id: MILK.id,
          field: "title",
          local_value: "Buy oat milk",
          server_value: "Buy milk",
          message: "Changed on another device too; the other device's version was kept.",
        },
      ],
    };
    fakeCore([MILK], status);
    const user = userEvent.setup();
    const { unmount } = render(<Harness />);
    const panel = await screen.findByRole("region", { name: "Sync conflicts" });
    expect(panel.textContent).toContain(
      "Changed on another device too: kept the other device's title “Buy milk” (yours: “Buy oat milk”)",
    );
    await user.click(within(panel).getByRole("button", { name: "Dismiss conflicts" }));
    expect(screen.queryByRole("region", { name: "Sync conflicts" })).toBeNull();

    // The same conflict in a later status, or after a restart, stays dismissed; a new one shows.
    await announce(status);
    expect(screen.queryByRole("region", { name: "Sync conflicts" })).toBeNull();
    unmount();
    render(<Harness />);
    await screen.findByText("Buy milk");
    await announce(status);
    expect(screen.queryByRole("region", { name: "Sync conflicts" })).toBeNull();
    const first = status.conflicts[0];
    if (!first) throw new Error("no conflict");
    await announce({ ...status, conflicts: [{ ...first, server_value: "Buy almond milk" }] });
    expect((await screen.findByRole("region", { name: "Sync conflicts" })).textContent).toContain("“Buy almond milk”");
  });
});
