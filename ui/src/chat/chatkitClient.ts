import type { AppError } from "../bindings";
import type { IpcFetch } from "../chatkit/ipcFetch";
import { IpcError } from "../shared/ipc";
import {
  asStreamEvent,
  type FeedbackKind,
  type Page,
  type Thread,
  type ThreadItem,
  type ThreadMetadata,
  type ThreadStreamEvent,
  type UserMessageInput,
  type WidgetAction,
} from "./protocol";
import type { Attachment } from "./attachments";
import { readSse } from "./sse";

/** The streaming ops and their params (chatkit-protocol.md). */
export type StreamRequest =
  | { type: "threads.create"; params: { input: UserMessageInput } }
  | { type: "threads.add_user_message"; params: { thread_id: string; input: UserMessageInput } }
  | { type: "threads.add_client_tool_output"; params: { thread_id: string; result: unknown } }
  | { type: "threads.retry_after_item"; params: { thread_id: string; item_id: string } }
  | { type: "threads.custom_action"; params: { thread_id: string; item_id: string | null; action: WidgetAction } };

/**
 * The built-in chat's side of the ChatKit protocol, over the same fetch ChatKit uses
 * (`createIpcFetch`): every request is one POST of `{type, params}`. JSON ops resolve to
 * their body; streamed ops hand each event to `onEvent` as it arrives. A refused request
 * throws an `IpcError` with the core's `{code, message}`.
 */
export interface ChatKitClient {
  stream(request: StreamRequest, onEvent: (event: ThreadStreamEvent) => void, signal: AbortSignal): Promise<void>;
  getThread(threadId: string): Promise<Thread>;
  listThreads(params: { limit: number; after?: string | null }): Promise<Page<Thread>>;
  listItems(params: { thread_id: string; limit: number; after?: string | null }): Promise<Page<ThreadItem>>;
  renameThread(threadId: string, title: string): Promise<ThreadMetadata>;
  deleteThread(threadId: string): Promise<void>;
  feedback(threadId: string, itemIds: string[], kind: FeedbackKind): Promise<void>;
  syncAction(threadId: string, itemId: string | null, action: WidgetAction): Promise<{ updated_item?: ThreadItem | null }>;
  /** The two-phase upload: `attachments.create`, then the bytes to where it says. */
  uploadAttachment(file: File): Promise<Attachment>;
  deleteAttachment(attachmentId: string): Promise<void>;
}

export function createChatKitClient(fetch: IpcFetch, url: string): ChatKitClient {
  const post = async (type: string, params: unknown, signal?: AbortSignal): Promise<Response> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type, params }),
      signal: signal ?? null,
    });
    if (!response.ok) throw await refusal(response);
    return response;
  };
  const json = async <T>(type: string, params: unknown): Promise<T> => (await post(type, params)).json() as Promise<T>;

  return {
    async stream(request, onEvent, signal) {
      const response = await post(request.type, request.params, signal);
      if (!response.body) return;
      for await (const frame of readSse(response.body)) {
        const event = asStreamEvent(frame);
        if (event) onEvent(event);
      }
    },
    getThread: (threadId) => json("threads.get_by_id", { thread_id: threadId }),
    listThreads: ({ limit, after }) => json("threads.list", { limit, order: "desc", ...(after ? { after } : {}) }),
    listItems: ({ thread_id, limit, after }) =>
      json("items.list", { thread_id, limit, order: "desc", ...(after ? { after } : {}) }),
    renameThread: (threadId, title) => json("threads.update", { thread_id: threadId, title }),
    async deleteThread(threadId) {
      await post("threads.delete", { thread_id: threadId });
    },
    async feedback(threadId, itemIds, kind) {
      await post("items.feedback", { thread_id: threadId, item_ids: itemIds, kind });
    },
    syncAction: (threadId, itemId, action) =>
      json("threads.sync_custom_action", { thread_id: threadId, item_id: itemId, action }),
    async uploadAttachment(file) {
      const created = await json<Attachment>("attachments.create", {
        name: file.name,
        size: file.size,
        mime_type: file.type,
      });
      const target = created.upload_descriptor;
      if (!target) return created;
      const response = await fetch(target.url, { method: target.method, headers: target.headers ?? {}, body: file });
      if (!response.ok) throw await refusal(response);
      return (await response.json()) as Attachment;
    },
    async deleteAttachment(attachmentId) {
      await post("attachments.delete", { attachment_id: attachmentId });
    },
  };
}

/** A refused request as a coded error: the core answers `{code, message}`. */
async function refusal(response: Response): Promise<IpcError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: described by its status below.
  }
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof fields.code === "string" ? fields.code : "internal";
  const message =
    typeof fields.message === "string" ? fields.message : `The chat server answered ${response.status}.`;
  return new IpcError({ code, message } as AppError);
}
