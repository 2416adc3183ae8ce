import { describe, expect, it } from "vitest";
import type { Settings } from "./bindings";
import { freshest } from "./startSettings";

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
