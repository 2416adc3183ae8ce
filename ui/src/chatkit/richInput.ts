import type { ChatKitOptions, FileUploadStrategy } from "@openai/chatkit";
import type { Connection } from "../bindings";
import { ACCEPT, MAX_ATTACHMENTS_PER_MESSAGE, MAX_ATTACHMENT_BYTES } from "../chat/attachments";
import { findTask, searchTasks, taskEntity, taskPreview } from "../chat/mentions";
import { chatRoute } from "./chatRoute";

/** The core's own server keeps attachments; a backend's endpoint or OpenAI may not. */
export function attachmentsServed(connection: Connection | null): boolean {
  return chatRoute(connection) === "ipc" && connection?.kind !== "backend";
}

/**
 * ChatKit's options for @-mentions and attachments. Mentions search the tasks on this
 * computer, so they work wherever chat goes over IPC; attachments go two-phase to the core
 * (`attachments.create`, then the bytes to the upload URL it names, which the IPC fetch
 * carries to `chatkit_upload`).
 */
export function richInputOptions(connection: Connection | null): {
  uploadStrategy?: FileUploadStrategy;
  attachments?: NonNullable<ChatKitOptions["composer"]>["attachments"];
  entities?: ChatKitOptions["entities"];
} {
  if (chatRoute(connection) !== "ipc") return {};
  const entities: ChatKitOptions["entities"] = {
    onTagSearch: async (query) => (await searchTasks(query)).map(taskEntity),
    onRequestPreview: async (entity) => ({ preview: taskPreview(await findTask(entity.id)) }),
    showComposerMenu: true,
  };
  if (!attachmentsServed(connection)) return { entities };
  return {
    entities,
    uploadStrategy: { type: "two_phase" },
    attachments: { enabled: true, maxSize: MAX_ATTACHMENT_BYTES, maxCount: MAX_ATTACHMENTS_PER_MESSAGE, accept: ACCEPT },
  };
}
