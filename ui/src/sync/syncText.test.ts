import { describe, expect, it } from "vitest";
import type { Conflict, SyncStatus } from "../bindings";
import { conflictKey, conflictText, lastSyncedText, pendingText, syncHeadline } from "./syncText";

const SYNCED: SyncStatus = {
  backend: true,
  phase: "synced",
  syncing: false,
  pending_changes: 0,
  pending_task_ids: [],
  conflicts: [],
  last_synced_at: "2026-11-21T09:30:00Z",
  message: null,
};
const ONLINE = { online: true, requested: false };

describe("syncHeadline", () => {
  it("says nothing on the Local connection", () => {
    expect(syncHeadline({ ...SYNCED, backend: false, phase: null }, ONLINE)).toBeNull();
  });

  it("covers each state a backend can be in", () => {
    const text = (status: Partial<SyncStatus>, options = ONLINE) => syncHeadline({ ...SYNCED, ...status }, options)?.text;
    expect(text({})).toBe("All changes synced");
    expect(text({ pending_changes: 3, pending_task_ids: ["a", "b", "c"] })).toBe("3 changes waiting to sync");
    expect(text({ pending_changes: 1 })).toBe("1 change waiting to sync");
    expect(text({ syncing: true, pending_changes: 2 })).toBe("Syncing…");
    expect(text({ phase: "offline", pending_changes: 2 })).toBe("Offline — changes will sync when you're back online");
    expect(text({}, { online: false, requested: false })).toBe("Offline — changes will sync when you're back online");
    expect(text({ phase: "sign_in_required" })).toBe("Sign in again to sync");
    expect(text({ phase: "error", message: "The backend answered 500." })).toBe("The backend answered 500.");
    expect(text({ phase: "error", message: null })).toBe("Sync failed.");
    expect(text({ phase: null, last_synced_at: null })).toBe("Not synced yet");
  });

  it("keeps the count beside states that hide it, and offers the fix", () => {
    const offline = syncHeadline({ ...SYNCED, phase: "offline", pending_changes: 2 }, ONLINE);
    expect(offline?.detail).toBe("2 changes waiting to sync");
    expect(offline?.action).toBeNull();
    expect(syncHeadline({ ...SYNCED, phase: "sign_in_required" }, ONLINE)?.action).toBe("sign_in");
    expect(syncHeadline({ ...SYNCED, phase: "error", message: "x" }, ONLINE)?.action).toBe("settings");
  });

  it("does not flash Syncing… for background passes with nothing to send", () => {
    expect(syncHeadline({ ...SYNCED, syncing: true }, ONLINE)?.text).toBe("All changes synced");
    expect(syncHeadline({ ...SYNCED, syncing: true }, { online: true, requested: true })?.text).toBe("Syncing…");
  });

  it("counts in words", () => {
    expect(pendingText(0)).toBe("0 changes waiting to sync");
  });
});

describe("lastSyncedText", () => {
  it("gives the time today, the date before, and nothing when it never synced", () => {
    const now = new Date("2026-11-21T15:00:00");
    const today = lastSyncedText(new Date("2026-11-21T09:05:00").toISOString(), now);
    expect(today).toMatch(/^Last synced /);
    expect(today).not.toMatch(/2026/);
    expect(lastSyncedText(new Date("2026-11-19T09:05:00").toISOString(), now)).toMatch(/2026/);
    expect(lastSyncedText(null, now)).toBeNull();
    expect(lastSyncedText("not a date", now)).toBeNull();
  });
});

describe("conflictText", () => {
  const both = "Changed on another device too; the other device's version was kept.";
  const titleConflict: Conflict = {
    task_id: "task_1",
    field: "title",
    local_value: "Buy oat milk",
    server_value: "Buy milk",
    message: both,
  };

  it("says which version was kept and what yours was", () => {
    expect(conflictText(titleConflict, "Buy milk")).toBe(
      "Changed on another device too: kept the other device's title “Buy milk” (yours: “Buy oat milk”)",
    );
    expect(
      conflictText({ ...titleConflict, field: "completed", local_value: true, server_value: false }, "Pay rent"),
    ).toBe("“Pay rent”: Changed on another device too: kept it not done, as the other device has it (yours: done)");
    expect(
      conflictText({ ...titleConflict, field: "description", local_value: "Two", server_value: null }, "Buy milk"),
    ).toBe("“Buy milk”: Changed on another device too: kept the other device's empty description (yours: “Two”)");
  });

  it("names the task for the core's other messages", () => {
    const gone: Conflict = {
      task_id: "task_2",
      field: "title",
      local_value: "Call the plumber",
      server_value: null,
      message: "This task was deleted on another device; your change to it was dropped.",
    };
    expect(conflictText(gone, null)).toBe(
      "“Call the plumber”: This task was deleted on another device; your change to it was dropped.",
    );
    expect(conflictText({ ...gone, field: "description", local_value: "x" }, null)).toBe(gone.message);
  });

  it("keys a conflict by what it is", () => {
    expect(conflictKey(titleConflict)).toBe(conflictKey({ ...titleConflict }));
    expect(conflictKey(titleConflict)).not.toBe(conflictKey({ ...titleConflict, server_value: "Milk" }));
  });
});
