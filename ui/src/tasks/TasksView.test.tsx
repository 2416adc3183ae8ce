import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../bindings";
import { TasksView } from "./TasksView";
import { makeTask } from "./testTasks";
import { UNDO_MS } from "./undo";
import { useTaskList } from "./useTaskList";

type Call = { cmd: string; args: Record<string, unknown> };

/**
 * The core's task commands over an in-memory list, announcing every change with a
 * `tasks-changed` event as the real core does. Records what the UI asked of it.
 */
function fakeCore(initial: Task[]) {
  const store = { tasks: [...initial] };
  const calls: Call[] = [];
  let added = 0;
  const announce = (kind: string, task: Task) => {
    void emit("tasks-changed", { kind, task_id: task.id });
    return task;
  };
  const find = (id: unknown): Task => {
    const task = store.tasks.find((t) => t.id === id);
    // A rejected invoke carries the core's {code, message}.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (!task) throw { code: "not_found", message: `There is no task ${String(id)}.` };
    return task;
  };
  const replace = (next: Task) => {
    store.tasks = store.tasks.map((t) => (t.id === next.id ? next : t));
    return next;
  };
  const later = "2026-11-23T12:00:00Z";

  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      if (cmd !== "tasks_list") calls.push({ cmd, args });
      switch (cmd) {
        case "tasks_list":
          return [...store.tasks];
        case "task_add": {
          const title = String(args.title).trim();
          if (title.length === 0 || title.length > 200) {
            // eslint-disable-next-line @typescript-eslint/only-throw-error
            throw { code: "invalid_input", message: "A task title can be at most 200 characters." };
          }
          added += 1;
          const task: Task = { id: `task_new_${added}`, title, completed: false, created_at: later, updated_at: later };
          store.tasks.push(task);
          return announce("added", task);
        }
        case "task_update": {
          const task = find(args.id);
          const next: Task = { ...task, updated_at: later };
          if (typeof args.title === "string") next.title = args.title;
          if (typeof args.description === "string") next.description = args.description || null;
          return announce("updated", replace(next));
        }
        case "task_set_completed": {
          const task = find(args.id);
          const completed = args.completed === true;
          return announce(completed ? "completed" : "reopened", replace({ ...task, completed, updated_at: later }));
        }
        case "task_delete": {
          const task = find(args.id);
          store.tasks = store.tasks.filter((t) => t.id !== task.id);
          return announce("deleted", task);
        }
        case "task_restore": {
          const task = args.task as Task;
          store.tasks.push(task);
          return announce("restored", task);
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return { store, calls };
}

function Harness() {
  const list = useTaskList();
  return <TasksView list={list} />;
}

function grid() {
  return screen.getByRole("grid", { name: "Tasks" });
}

function rowTitles(): string[] {
  return within(grid())
    .getAllByRole("row")
    .map((row) => row.querySelector(".task-title")?.textContent ?? "");
}

function row(title: string): HTMLElement {
  const found = within(grid())
    .getAllByRole("row")
    .find((r) => r.querySelector(".task-title")?.textContent === title);
  if (!found) throw new Error(`no row titled ${title}; rows: ${rowTitles().join(", ")}`);
  return found;
}

function selectedTitle(): string | null | undefined {
  return grid().querySelector('[aria-selected="true"] .task-title')?.textContent;
}

const MILK = makeTask(1, { title: "Buy milk", description: "Oat, two litres" });
const PLUMBER = makeTask(2, { title: "Call the plumber", completed: true });
const TAXES = makeTask(3, { title: "File taxes" });
const THREE = [MILK, PLUMBER, TAXES];

afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("TasksView", () => {
  it("shows the tasks, newest first, with counts per status", async () => {
    fakeCore(THREE);
    render(<Harness />);
    await waitFor(() => {
      expect(rowTitles()).toEqual(["File taxes", "Call the plumber", "Buy milk"]);
    });
    expect(screen.getByRole("button", { name: "All 3" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Pending 2" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Completed 1" })).toBeTruthy();
    expect(row("Buy milk").textContent).toContain("Oat, two litres");
    expect(within(row("Call the plumber")).getByRole("checkbox")).toHaveProperty("checked", true);
  });

  it("filters by status, searches title and description, and sorts", async () => {
    fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    await user.click(screen.getByRole("button", { name: "Pending 2" }));
    expect(rowTitles()).toEqual(["File taxes", "Buy milk"]);
    await user.click(screen.getByRole("button", { name: "Completed 1" }));
    expect(rowTitles()).toEqual(["Call the plumber"]);
    await user.click(screen.getByRole("button", { name: "All 3" }));

    await user.type(screen.getByRole("searchbox", { name: "Search tasks" }), "OAT");
    await waitFor(() => {
      expect(rowTitles()).toEqual(["Buy milk"]);
    });
    expect(screen.getByRole("button", { name: "Completed 0" })).toBeTruthy();
    await user.clear(screen.getByRole("searchbox", { name: "Search tasks" }));
    await user.type(screen.getByRole("searchbox", { name: "Search tasks" }), "nothing like it");
    expect(await screen.findByText("No tasks match “nothing like it”.")).toBeTruthy();
    await user.clear(screen.getByRole("searchbox", { name: "Search tasks" }));

    await user.selectOptions(screen.getByRole("combobox", { name: "Sort" }), "title");
    await waitFor(() => {
      expect(rowTitles()).toEqual(["Buy milk", "Call the plumber", "File taxes"]);
    });
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort" }), "oldest");
    expect(rowTitles()).toEqual(["Buy milk", "Call the plumber", "File taxes"]);
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort" }), "updated");
    expect(rowTitles()[0]).toBe("File taxes");
  });

  it("adds a task from the box at the top with Enter", async () => {
    const { calls } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    const box = screen.getByRole("textbox", { name: "New task" });
    await user.type(box, "  Water the plants {Enter}");
    expect(calls).toEqual([{ cmd: "task_add", args: { title: "Water the plants", description: null } }]);
    await waitFor(() => {
      expect(rowTitles()[0]).toBe("Water the plants");
    });
    expect(box).toHaveProperty("value", "");
    expect(selectedTitle()).toBe("Water the plants");
  });

  it("shows the core's coded error when a title is refused, keeping what was typed", async () => {
    fakeCore(THREE);
    render(<Harness />);
    await screen.findByText("Buy milk");
    const box = screen.getByRole("textbox", { name: "New task" });
    fireEvent.input(box, { target: { value: "x".repeat(201) } });
    fireEvent.submit(box);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("at most 200 characters");
    expect(alert.textContent).toContain("invalid_input");
    expect(box).toHaveProperty("value", "x".repeat(201));
  });

  it("completes and reopens a task with its checkbox", async () => {
    const { calls } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    await user.click(within(row("Buy milk")).getByRole("checkbox"));
    await waitFor(() => {
      expect(within(row("Buy milk")).getByRole("checkbox")).toHaveProperty("checked", true);
    });
    await user.click(within(row("Call the plumber")).getByRole("checkbox"));
    await waitFor(() => {
      expect(within(row("Call the plumber")).getByRole("checkbox")).toHaveProperty("checked", false);
    });
    expect(calls).toEqual([
      { cmd: "task_set_completed", args: { id: MILK.id, completed: true } },
      { cmd: "task_set_completed", args: { id: PLUMBER.id, completed: false } },
    ]);
    expect(screen.getByRole("button", { name: "Completed 1" })).toBeTruthy();
  });

  it("edits title and description in place: Enter saves, Escape cancels", async () => {
    const { calls } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    await user.dblClick(row("Buy milk"));
    const title = screen.getByRole("textbox", { name: "Title" });
    expect(document.activeElement).toBe(title);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("textbox", { name: "Title" })).toBeNull();
    expect(document.activeElement).toBe(grid());
    expect(calls).toEqual([]);

    await user.dblClick(row("Buy milk"));
    await user.clear(screen.getByRole("textbox", { name: "Title" }));
    await user.type(screen.getByRole("textbox", { name: "Title" }), "Buy oat milk");
    await user.clear(screen.getByRole("textbox", { name: "Description" }));
    await user.type(screen.getByRole("textbox", { name: "Description" }), "{Enter}");
    await waitFor(() => {
      expect(screen.queryByRole("textbox", { name: "Title" })).toBeNull();
    });
    // The title changed and the description was cleared ("" clears it in the core).
    expect(calls).toEqual([{ cmd: "task_update", args: { id: MILK.id, title: "Buy oat milk", description: "" } }]);
    expect(row("Buy oat milk").querySelector(".task-description")).toBeNull();
  });

  it("sends only the fields that changed", async () => {
    const { calls } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");
    await user.dblClick(row("File taxes"));
    await user.type(screen.getByRole("textbox", { name: "Description" }), "Before May{Enter}");
    await waitFor(() => {
      expect(calls).toEqual([{ cmd: "task_update", args: { id: TAXES.id, title: null, description: "Before May" } }]);
    });
  });

  it("deletes with Undo, which restores the very task that was deleted", async () => {
    const { calls, store } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    await user.click(within(row("Buy milk")).getByRole("button", { name: "Delete “Buy milk”" }));
    await waitFor(() => {
      expect(rowTitles()).toEqual(["File taxes", "Call the plumber"]);
    });
    const toast = screen.getByRole("status");
    expect(toast.textContent).toContain("Deleted “Buy milk”");

    await user.click(within(toast).getByRole("button", { name: "Undo" }));
    await waitFor(() => {
      expect(rowTitles()).toEqual(["File taxes", "Call the plumber", "Buy milk"]);
    });
    expect(calls).toEqual([
      { cmd: "task_delete", args: { id: MILK.id } },
      { cmd: "task_restore", args: { task: MILK } },
    ]);
    expect(store.tasks).toContainEqual(MILK);
    expect(screen.queryByText(/Deleted “/)).toBeNull();
  });

  it("lets Undo run out after six seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fakeCore(THREE);
    render(<Harness />);
    await screen.findByText("Buy milk");
    fireEvent.click(within(row("Buy milk")).getByRole("button", { name: "Delete “Buy milk”" }));
    expect(await screen.findByText(/Deleted “Buy milk”/)).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(UNDO_MS - 500));
    expect(screen.queryByText(/Deleted “Buy milk”/)).not.toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.queryByText(/Deleted “Buy milk”/)).toBeNull();
  });

  it("works from the keyboard: arrows, Space, Enter, Delete, Ctrl+Z, / and n", async () => {
    const { calls } = fakeCore(THREE);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Buy milk");

    grid().focus();
    expect(selectedTitle()).toBe("File taxes");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(selectedTitle()).toBe("Buy milk");
    expect(grid().getAttribute("aria-activedescendant")).toBe(`task-row-${MILK.id}`);
    await user.keyboard("{ArrowDown}{ArrowUp}");
    expect(selectedTitle()).toBe("Call the plumber");
    await user.keyboard("{End}");
    expect(selectedTitle()).toBe("Buy milk");

    await user.keyboard(" ");
    await waitFor(() => {
      expect(calls).toEqual([{ cmd: "task_set_completed", args: { id: MILK.id, completed: true } }]);
    });

    await user.keyboard("{Enter}");
    expect(document.activeElement).toBe(screen.getByRole("textbox", { name: "Title" }));
    await user.keyboard("{Escape}");
    expect(document.activeElement).toBe(grid());

    await user.keyboard("{Home}{Delete}");
    await waitFor(() => {
      expect(rowTitles()).toEqual(["Call the plumber", "Buy milk"]);
    });
    // The selection moves on to the next row.
    expect(selectedTitle()).toBe("Call the plumber");
    await user.keyboard("{Control>}z{/Control}");
    await waitFor(() => {
      expect(rowTitles()).toEqual(["File taxes", "Call the plumber", "Buy milk"]);
    });
    expect(calls.at(-1)).toEqual({ cmd: "task_restore", args: { task: TAXES } });

    await user.keyboard("/");
    expect(document.activeElement).toBe(screen.getByRole("searchbox", { name: "Search tasks" }));
    await user.keyboard("{Escape}");
    expect(document.activeElement).toBe(grid());
    await user.keyboard("n");
    expect(document.activeElement).toBe(screen.getByRole("textbox", { name: "New task" }));
    // Typed in a box, the same keys are just text.
    await user.keyboard("n/");
    expect(screen.getByRole("textbox", { name: "New task" })).toHaveProperty("value", "n/");
  });

  it("follows changes made elsewhere (the assistant, sync) live", async () => {
    const { store } = fakeCore(THREE);
    render(<Harness />);
    await screen.findByText("Buy milk");

    const fromChat = makeTask(9, { title: "Added by the assistant" });
    store.tasks = [...store.tasks.filter((t) => t.id !== PLUMBER.id), fromChat];
    await act(() => emit("tasks-changed", { kind: "added", task_id: fromChat.id }));
    await waitFor(() => {
      expect(rowTitles()).toEqual(["Added by the assistant", "File taxes", "Buy milk"]);
    });
    expect(screen.getByRole("button", { name: "Completed 0" })).toBeTruthy();
  });

  it("mounts only a window of rows out of 10,000, and scrolls the selection into it", async () => {
    const many = Array.from({ length: 10_000 }, (_, n) => makeTask(n, { completed: n % 3 === 0 }));
    fakeCore(many);
    const user = userEvent.setup();
    render(<Harness />);
    await screen.findByText("Task 9999");

    const mounted = within(grid()).getAllByRole("row");
    expect(mounted.length).toBeGreaterThan(5);
    expect(mounted.length).toBeLessThan(60);
    expect(grid().getAttribute("aria-rowcount")).toBe("10000");
    expect(screen.getByRole("button", { name: "Pending 6666" })).toBeTruthy();

    grid().focus();
    await user.keyboard("{End}");
    expect(selectedTitle()).toBe("Task 0");
    expect(within(grid()).getAllByRole("row").length).toBeLessThan(60);
    expect(screen.queryByText("Task 9999")).toBeNull();
    await user.keyboard("{PageUp}");
    expect(selectedTitle()).toBe("Task 10");
  });

  it("says when there are no tasks yet", async () => {
    fakeCore([]);
    render(<Harness />);
    expect(await screen.findByText(/No tasks yet/)).toBeTruthy();
  });
});
