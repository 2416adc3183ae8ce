import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { Connection, Task } from "../bindings";
import { createIpcFetch } from "./ipcFetch";
import { richInputOptions } from "./richInput";

const local: Connection = { kind: "local", base_url: null, model: "gpt-5-mini" };
const hosted = { kind: "hosted_workflow", workflow_id: "wf_1" } as unknown as Connection;
const backend = { kind: "backend", url: "https://todo.example", chat: "chatkit_endpoint" } as unknown as Connection;

const groceries: Task = {
  id: "t1",
  title: "Buy groceries",
  description: "Milk",
  completed: false,
  created_at: "2026-12-01T09:00:00Z",
  updated_at: "2026-12-01T09:00:00Z",
};

afterEach(() => {
  clearMocks();
});

describe("ChatKit's @-mention and attachment options", () => {
  it("turn on two-phase attachments and task mentions for the Local connection", async () => {
    const asked: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      asked.push({ cmd, args });
      return [groceries];
    });
    const options = richInputOptions(local);
    expect(options.uploadStrategy).toEqual({ type: "two_phase" });
    expect(options.attachments).toMatchObject({ enabled: true, maxSize: 10 * 1024 * 1024, maxCount: 6 });
    expect(Object.keys(options.attachments?.accept ?? {})).toContain("image/webp");
    expect(options.entities?.showComposerMenu).toBe(true);

    const entities = await options.entities?.onTagSearch?.("groc");
    expect(asked[0]).toEqual({ cmd: "search_tasks", args: { query: "groc" } });
    expect(entities).toEqual([
      { id: "t1", title: "Buy groceries", group: "Tasks", icon: "empty-circle", interactive: true, data: { type: "task" } },
    ]);
    const preview = await options.entities?.onRequestPreview?.(entities?.[0] ?? { id: "x", title: "x" });
    expect(asked[1]?.cmd).toBe("tasks_list");
    expect(JSON.stringify(preview?.preview)).toContain("Milk");
    expect(JSON.stringify(preview?.preview)).toContain("Pending");
  });

  it("keep mentions but no attachments through a backend's endpoint, and neither for a hosted workflow", () => {
    expect(richInputOptions(backend).attachments).toBeUndefined();
    expect(richInputOptions(backend).uploadStrategy).toBeUndefined();
    expect(richInputOptions(backend).entities?.onTagSearch).toBeTypeOf("function");
    expect(richInputOptions(hosted)).toEqual({});
  });
});

describe("the upload step over the IPC fetch", () => {
  it("sends a multipart form's file as base64 to chatkit_upload with the client secret", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === "chatkit_client_secret") return { client_secret: "cs_1", expires_at: Date.now() / 1000 + 600 };
      if (cmd === "chatkit_upload") {
        return { status: 200, content_type: "application/json", body: '{"id":"att_1"}', stream_id: null };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const form = new FormData();
    form.append("file", new File(["milk\neggs"], "list.txt", { type: "text/plain" }));
    const response = await createIpcFetch()(
      "https://todo-assistant.invalid/chatkit/attachments/att_0123456789abcdef/upload",
      { method: "POST", body: form },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "att_1" });
    const upload = calls.find((c) => c.cmd === "chatkit_upload");
    expect(upload?.args).toEqual({
      attachmentId: "att_0123456789abcdef",
      dataBase64: btoa("milk\neggs"),
      clientSecret: "cs_1",
    });
    expect(calls.some((c) => c.cmd === "chatkit_fetch")).toBe(false);
  });
});
