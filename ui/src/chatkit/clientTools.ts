import { commands, type JsonValue } from "../bindings";
import { asAppError, unwrap } from "../shared/ipc";

/** The task tools the core runs for ChatKit client tool calls (hosted or backend agents). */
export const TASK_TOOL_NAMES = ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"] as const;

export type TaskToolName = (typeof TASK_TOOL_NAMES)[number];

export function isTaskTool(name: string): name is TaskToolName {
  return (TASK_TOOL_NAMES as readonly string[]).includes(name);
}

type ToolOutput = Record<string, unknown>;

function failure(code: string, message: string): ToolOutput {
  return { error: { code, message } };
}

/**
 * ChatKit's `onClientTool`: runs a task tool in the core exactly as the built-in assistant
 * would and hands its JSON back. Like the assistant's tools it never throws: anything that
 * goes wrong returns to the agent as `{error: {code, message}}` it can recover from.
 */
export async function runClientTool({ name, params }: { name: string; params: Record<string, unknown> }): Promise<ToolOutput> {
  if (!isTaskTool(name)) {
    return failure("unknown_tool", `There is no tool named ${name}. This app offers ${TASK_TOOL_NAMES.join(", ")}.`);
  }
  try {
    // ChatKit parsed the arguments from JSON, so they are JSON values.
    const output = await unwrap(commands.runTaskTool(name, params as JsonValue));
    return typeof output === "object" && output !== null && !Array.isArray(output)
      ? output
      : failure("internal", `The ${name} tool returned no result.`);
  } catch (e) {
    const error = asAppError(e);
    return failure(error.code, error.message);
  }
}
