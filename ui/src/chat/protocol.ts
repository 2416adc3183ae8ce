/**
 * The ChatKit server protocol as the built-in chat sees it: the shapes of `chatkit.types`
 * (openai-chatkit 1.6.x) that it reads or sends. JSON omits null fields, so optional
 * fields may be missing or null. Widgets use @openai/chatkit's own type definitions.
 */
import type { Widgets } from "@openai/chatkit";
import type { Attachment } from "./attachments";

export interface Page<T> {
  data: T[];
  has_more: boolean;
  /** Keyset cursor: the id of the last row returned. */
  after?: string | null;
}

export type ThreadStatus = { type: "active" } | { type: "locked" | "closed"; reason?: string | null };

export interface ThreadMetadata {
  id: string;
  title?: string | null;
  created_at: string;
  status?: ThreadStatus;
}

export interface Thread extends ThreadMetadata {
  items: Page<ThreadItem>;
}

interface ItemBase {
  id: string;
  thread_id: string;
  created_at: string;
}

export type UserMessageContent =
  | { type: "input_text"; text: string }
  | {
      type: "input_tag";
      id: string;
      text: string;
      data?: Record<string, unknown>;
      group?: string | null;
      interactive?: boolean;
    };

export interface InferenceOptions {
  tool_choice?: { id: string } | null;
  model?: string | null;
}

export interface UserMessageInput {
  content: UserMessageContent[];
  attachments: string[];
  quoted_text?: string | null;
  inference_options: InferenceOptions;
}

export interface UserMessageItem extends ItemBase {
  type: "user_message";
  content: UserMessageContent[];
  attachments?: Attachment[];
  quoted_text?: string | null;
  inference_options?: InferenceOptions;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations?: unknown[];
}

export interface AssistantMessageItem extends ItemBase {
  type: "assistant_message";
  content: OutputText[];
}

export interface ClientToolCallItem extends ItemBase {
  type: "client_tool_call";
  status: "pending" | "completed";
  call_id: string;
  name: string;
  arguments: Record<string, unknown>;
  output?: unknown;
}

export interface WidgetItem extends ItemBase {
  type: "widget";
  widget: Widgets.WidgetRoot;
  copy_text?: string | null;
}

export interface UrlSource {
  type: "url";
  title: string;
  url: string;
  description?: string | null;
}

/** A tool run or step: `chatkit.types.Task`. */
export type TaskDetail = {
  status_indicator?: "none" | "loading" | "complete";
  title?: string | null;
} & (
  | { type: "custom"; icon?: string | null; content?: string | null }
  | { type: "web_search"; title_query?: string | null; queries?: string[]; sources?: UrlSource[] }
  | { type: "thought"; content: string }
  | { type: "file"; sources?: { title: string; filename?: string | null }[] }
  | { type: "image" }
);

export interface TaskItem extends ItemBase {
  type: "task";
  task: TaskDetail;
}

export interface Workflow {
  type: "custom" | "reasoning";
  tasks: TaskDetail[];
  summary?: { title: string; icon?: string | null } | { duration: number } | null;
  expanded?: boolean;
}

export interface WorkflowItem extends ItemBase {
  type: "workflow";
  workflow: Workflow;
}

export interface GeneratedImageItem extends ItemBase {
  type: "generated_image";
  image?: { id: string; url: string } | null;
}

export interface EndOfTurnItem extends ItemBase {
  type: "end_of_turn";
}

export interface StructuredInputItem extends ItemBase {
  type: "structured_input";
  status: string;
  inputs: unknown[];
}

export type ThreadItem =
  | UserMessageItem
  | AssistantMessageItem
  | ClientToolCallItem
  | WidgetItem
  | TaskItem
  | WorkflowItem
  | GeneratedImageItem
  | EndOfTurnItem
  | StructuredInputItem;

export type ThreadItemUpdate =
  | { type: "assistant_message.content_part.added"; content_index: number; content: OutputText }
  | { type: "assistant_message.content_part.text_delta"; content_index: number; delta: string }
  | {
      type: "assistant_message.content_part.annotation_added";
      content_index: number;
      annotation_index: number;
      annotation: unknown;
    }
  | { type: "assistant_message.content_part.done"; content_index: number; content: OutputText }
  | { type: "widget.streaming_text.value_delta"; component_id: string; delta: string; done: boolean }
  | { type: "widget.root.updated"; widget: Widgets.WidgetRoot }
  | { type: "widget.component.updated"; component_id: string; component: Widgets.WidgetComponent }
  | { type: "workflow.task.added"; task_index: number; task: TaskDetail }
  | { type: "workflow.task.updated"; task_index: number; task: TaskDetail }
  | { type: "generated_image.updated"; image: { id: string; url: string }; progress?: number | null };

export type NoticeLevel = "info" | "warning" | "danger";

export type ThreadStreamEvent =
  | { type: "thread.created"; thread: Thread }
  | { type: "thread.updated"; thread: Thread }
  | { type: "thread.item.added"; item: ThreadItem }
  | { type: "thread.item.done"; item: ThreadItem }
  | { type: "thread.item.replaced"; item: ThreadItem }
  | { type: "thread.item.removed"; item_id: string }
  | { type: "thread.item.updated"; item_id: string; update: ThreadItemUpdate }
  | { type: "stream_options"; stream_options: { allow_cancel: boolean } }
  | { type: "progress_update"; text: string; icon?: string | null }
  | { type: "client_effect"; name: string; data?: Record<string, unknown> }
  | { type: "error"; code: string; message?: string | null; allow_retry?: boolean }
  | { type: "notice"; level: NoticeLevel; message: string; title?: string | null };

/** A widget action as the protocol carries it (`threads.custom_action`'s `action`). */
export interface WidgetAction {
  type: string;
  payload?: unknown;
}

/** An action as a widget declares it: chatkit's `ActionConfig`. */
export interface ActionConfig extends WidgetAction {
  handler?: "client" | "server";
  loadingBehavior?: "auto" | "none" | "self" | "container";
  streaming?: boolean;
}

export type FeedbackKind = "positive" | "negative";

/** What the person typed, as `threads.create` and `threads.add_user_message` take it. */
export function userInput(text: string): UserMessageInput {
  return { content: [{ type: "input_text", text }], attachments: [], inference_options: {} };
}

/** The visible text of a user message: its text and tags, in order. */
export function userText(item: UserMessageItem): string {
  return item.content.map((part) => part.text).join("");
}

/** The text of an assistant message, all parts. */
export function assistantText(item: AssistantMessageItem): string {
  return item.content.map((part) => part.text).join("\n\n");
}

/** The event types this client knows; anything else in a stream is skipped. */
const EVENT_TYPES = new Set<string>([
  "thread.created",
  "thread.updated",
  "thread.item.added",
  "thread.item.done",
  "thread.item.replaced",
  "thread.item.removed",
  "thread.item.updated",
  "stream_options",
  "progress_update",
  "client_effect",
  "error",
  "notice",
]);

/** A parsed frame as a stream event, or null for what this client does not understand. */
export function asStreamEvent(value: unknown): ThreadStreamEvent | null {
  if (typeof value !== "object" || value === null) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && EVENT_TYPES.has(type) ? (value as ThreadStreamEvent) : null;
}
