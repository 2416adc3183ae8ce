import { describe, expect, it } from "vitest";
import { countByStatus, matchesSearch, queryTasks, removeTask, searchTerms, sortTasks, upsertTask } from "./taskQuery";
import { makeTask } from "./testTasks";

const milk = makeTask(1, { title: "Buy milk", description: "Oat, two litres" });
const call = makeTask(2, { title: "Call the plumber", completed: true });
const taxes = makeTask(3, { title: "file taxes", description: "Before MAY", updated_at: "2026-11-22T08:00:00Z" });
const tasks = [milk, call, taxes];

describe("search", () => {
  it("matches title and description, case-insensitively, every word", () => {
    expect(matchesSearch(milk, searchTerms("MILK"))).toBe(true);
    expect(matchesSearch(milk, searchTerms("oat"))).toBe(true);
    expect(matchesSearch(taxes, searchTerms("taxes may"))).toBe(true);
    expect(matchesSearch(taxes, searchTerms("taxes june"))).toBe(false);
    expect(matchesSearch(call, searchTerms("  "))).toBe(true);
  });
});

describe("queryTasks", () => {
  it("filters by status and counts what the search found", () => {
    expect(queryTasks(tasks, { filter: "pending", search: "", sort: "oldest" }).visible).toEqual([milk, taxes]);
    expect(queryTasks(tasks, { filter: "completed", search: "", sort: "oldest" }).visible).toEqual([call]);
    const found = queryTasks(tasks, { filter: "all", search: "l", sort: "oldest" });
    expect(found.visible).toEqual([milk, call, taxes]);
    expect(queryTasks(tasks, { filter: "all", search: "plumb", sort: "oldest" }).counts).toEqual({
      all: 1,
      pending: 0,
      completed: 1,
    });
    expect(countByStatus(tasks)).toEqual({ all: 3, pending: 2, completed: 1 });
  });

  it("sorts by created either way, by last update, and by title", () => {
    expect(sortTasks(tasks, "newest")).toEqual([taxes, call, milk]);
    expect(sortTasks(tasks, "oldest")).toEqual([milk, call, taxes]);
    expect(sortTasks(tasks, "updated")[0]).toBe(taxes);
    expect(sortTasks(tasks, "title").map((t) => t.title)).toEqual(["Buy milk", "Call the plumber", "file taxes"]);
  });

  it("compares timestamps as times, whatever their fraction digits", () => {
    const whole = makeTask(10, { created_at: "2026-11-21T10:00:01Z" });
    const fraction = makeTask(11, { created_at: "2026-11-21T10:00:01.5Z" });
    expect(sortTasks([whole, fraction], "newest")).toEqual([fraction, whole]);
  });

  it("orders numbered titles naturally and keeps ties in the core's order", () => {
    const ten = makeTask(1, { title: "Step 10" });
    const two = makeTask(2, { title: "step 2" });
    const twoAgain = makeTask(3, { title: "Step 2" });
    expect(sortTasks([ten, two, twoAgain], "title")).toEqual([two, twoAgain, ten]);
  });

  it("does not change the list it was given", () => {
    const copy = [...tasks];
    queryTasks(tasks, { filter: "pending", search: "x", sort: "title" });
    expect(tasks).toEqual(copy);
  });
});

describe("list edits", () => {
  it("replaces a task in place or appends a new one, and removes by id", () => {
    const renamed = { ...call, title: "Call Anna" };
    expect(upsertTask(tasks, renamed)).toEqual([milk, renamed, taxes]);
    const extra = makeTask(4);
    expect(upsertTask(tasks, extra)).toEqual([...tasks, extra]);
    expect(removeTask(tasks, call.id)).toEqual([milk, taxes]);
  });
});
