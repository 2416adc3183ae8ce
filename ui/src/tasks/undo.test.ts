import { describe, expect, it } from "vitest";
import { EMPTY_UNDO, latestUndo, nextExpiry, undoReducer, UNDO_MS } from "./undo";
import { makeTask } from "./testTasks";

describe("undo state", () => {
  it("keeps each deletion for six seconds, the latest one first to undo", () => {
    let state = undoReducer(EMPTY_UNDO, { type: "deleted", task: makeTask(1), now: 1000 });
    state = undoReducer(state, { type: "deleted", task: makeTask(2), now: 3000 });
    expect(UNDO_MS).toBe(6000);
    expect(latestUndo(state)?.task.id).toBe(makeTask(2).id);
    expect(nextExpiry(state)).toBe(7000);

    state = undoReducer(state, { type: "expire", now: 7000 });
    expect(state.entries.map((e) => e.task.id)).toEqual([makeTask(2).id]);
    expect(nextExpiry(state)).toBe(9000);
    state = undoReducer(state, { type: "expire", now: 9000 });
    expect(latestUndo(state)).toBeUndefined();
    expect(nextExpiry(state)).toBeNull();
  });

  it("forgets an entry once undone, and leaves unchanged state alone", () => {
    const one = undoReducer(EMPTY_UNDO, { type: "deleted", task: makeTask(1), now: 0 });
    const key = latestUndo(one)?.key ?? -1;
    expect(undoReducer(one, { type: "forget", key }).entries).toEqual([]);
    expect(undoReducer(one, { type: "forget", key: key + 1 })).toBe(one);
    expect(undoReducer(one, { type: "expire", now: 10 })).toBe(one);
  });

  it("keeps one entry per task (deleted again after a restore)", () => {
    let state = undoReducer(EMPTY_UNDO, { type: "deleted", task: makeTask(1), now: 0 });
    state = undoReducer(state, { type: "deleted", task: makeTask(1, { title: "again" }), now: 100 });
    expect(state.entries).toHaveLength(1);
    expect(latestUndo(state)?.task.title).toBe("again");
  });
});
