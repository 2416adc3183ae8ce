import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { runClientTool, TASK_TOOL_NAMES } from "./clientTools";

type Call = { cmd: string; args: unknown };

function fakeCore(answer: (args: Record<string, unknown>) => unknown): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === "run_task_tool") return answer(args as Record<string, unknown>);
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

afterEach(() => {
  clearMocks();
});

describe("runClientTool", () => {
  it("runs each of the five task tools in the core and returns its JSON", async () => {
    const calls = fakeCore((args) => ({ ran: args.name }));
    for (const name of TASK_TOOL_NAMES) {
      expect(await runClientTool({ name, params: { task_id: "task_1" } })).toEqual({ ran: name });
    }
    expect(calls).toHaveLength(5);
    expect(calls[0]).toEqual({ cmd: "run_task_tool", args: { name: "add_task", params: { task_id: "task_1" } } });
  });

  it("passes the tool's own error output through untouched", async () => {
    fakeCore(() => ({ error: { code: "not_found", message: "There is no task task_9." } }));
    expect(await runClientTool({ name: "complete_task", params: { task_id: "task_9" } })).toEqual({
      error: { code: "not_found", message: "There is no task task_9." },
    });
  });

  it("answers an unknown tool with unknown_tool and never calls the core", async () => {
    const calls = fakeCore(() => ({}));
    const out = await runClientTool({ name: "launch_rocket", params: {} });
    expect(out).toMatchObject({ error: { code: "unknown_tool" } });
    expect(JSON.stringify(out)).toContain("launch_rocket");
    expect(calls).toEqual([]);
  });

  it("turns a failed command into an error output rather than throwing", async () => {
    fakeCore(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { code: "storage_failed", message: "Could not write tasks.json." };
    });
    expect(await runClientTool({ name: "list_tasks", params: { status: "all" } })).toEqual({
      error: { code: "storage_failed", message: "Could not write tasks.json." },
    });
  });
});
