import { describe, expect, it } from "vitest";
import type { Settings } from "./bindings";
import { freshest, startPendingTasks } from "./startSettings";

const SETTINGS: Settings = {
  connection: { kind: "local", base_url: null, model: "gpt-5-mini" },
  chatkit_domain_key: "domain_pk_localhost_dev",
  last_thread_id: null,
  updates: "never",
};

describe("freshest", () => {
  it("keeps the object it has when the core's copy is the same, and takes a changed one", () => {
    expect(freshest(SETTINGS, { ...SETTINGS })).toBe(SETTINGS);
    const changed = { ...SETTINGS, last_thread_id: "thr_1" };
    expect(freshest(SETTINGS, changed)).toBe(changed);
    expect(freshest(null, changed)).toBe(changed);
  });
});

describe("startPendingTasks", () => {
  const globals = window as unknown as { __TODO_ASSISTANT_START_PENDING_TASKS__?: unknown };
  const set = (value: unknown) => { globals.__TODO_ASSISTANT_START_PENDING_TASKS__ = value; };

  it("reads the count the core put in the page, and nothing else", () => {
    try {
      set(7);
      expect(startPendingTasks()).toBe(7);
      set(0);
      expect(startPendingTasks()).toBe(0);
      for (const bad of ["7", -1, 2.5, null, {}]) {
        set(bad);
        expect(startPendingTasks()).toBeUndefined();
      }
      delete globals.__TODO_ASSISTANT_START_PENDING_TASKS__;
      expect(startPendingTasks()).toBeUndefined();
    } finally {
      delete globals.__TODO_ASSISTANT_START_PENDING_TASKS__;
    }
  });
});
