import type { Connection } from "../bindings";

/**
 * How chat reaches its server for each connection:
 * - `ipc`: ChatKit's requests go over IPC to the core, which answers them itself (Local)
 *   or relays them to the backend's own ChatKit endpoint with the token it keeps.
 * - `session`: ChatKit talks to OpenAI with client secrets the core gets for it (a
 *   backend's session endpoint, or a legacy hosted workflow).
 */
export type ChatRoute = "ipc" | "session";

export function chatRoute(connection: Connection | null): ChatRoute {
  if (connection?.kind === "hosted_workflow") return "session";
  if (connection?.kind === "backend" && connection.chat === "session_endpoint") return "session";
  return "ipc";
}

/** Changes whenever chat must start over: another route, backend or workflow. */
export function chatKey(connection: Connection | null): string {
  switch (connection?.kind) {
    case undefined:
      return "none";
    case "local":
      return "local";
    case "backend":
      return `backend:${connection.chat ?? "chatkit_endpoint"}:${connection.url}`;
    case "hosted_workflow":
      return `hosted:${connection.workflow_id}`;
  }
}
