import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Intl formatters", () => {
  it("are made when a date or title is first formatted, not when the modules load", async () => {
    vi.resetModules();
    const dates = vi.spyOn(Intl, "DateTimeFormat");
    const collators = vi.spyOn(Intl, "Collator");
    const { shortWhen } = await import("../tasks/TaskRow");
    const { lastSyncedText } = await import("../sync/syncText");
    const { sortTasks } = await import("../tasks/taskQuery");
    await import("../settings/BackendSignIn");
    expect(dates).not.toHaveBeenCalled();
    expect(collators).not.toHaveBeenCalled();

    const now = new Date();
    expect(shortWhen(now.toISOString(), now.toDateString())).not.toBe("");
    expect(lastSyncedText(now.toISOString(), now)).toMatch(/^Last synced /);
    expect(dates).toHaveBeenCalledTimes(2);
    expect(sortTasks([], "title")).toEqual([]);
    shortWhen(now.toISOString(), now.toDateString());
    expect(dates).toHaveBeenCalledTimes(2); // made once, then kept
  });
});
