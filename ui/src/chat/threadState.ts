/**
 * The open thread as a normalized store: items by id plus their display order. Events are
 * applied by a pure reducer that copies only what an event touches, so a text delta makes
 * one new item object and leaves `ids` (and every other item) as they were; memoized rows
 * that select their own item then re-render alone.
 */
import type {
  AssistantMessageItem,
  FeedbackKind,
  NoticeLevel,
  OutputText,
  ThreadItem,
  ThreadItemUpdate,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageItem,
} from "./protocol";
import { applyWidgetUpdate } from "./widgetUpdates";

export interface ChatNotice {
  key: number;
  level: NoticeLevel;
  title: string | null;
  message: string;
}

/** Why the last answer failed: `code` is the app's stable code when the core sent one. */
export interface ChatProblem {
  code: string;
  message: string;
  allowRetry: boolean;
}

export interface ThreadState {
  thread: ThreadMetadata | null;
  /** Shown items, oldest first. */
  ids: readonly string[];
  items: Readonly<Record<string, ThreadItem>>;
  /** Items added but not yet done: still streaming. */
  inFlight: Readonly<Record<string, true>>;
  /** Answers the person stopped: kept as they were. */
  stopped: Readonly<Record<string, true>>;
  feedback: Readonly<Record<string, FeedbackKind>>;
  older: { hasMore: boolean; after: string | null; loading: boolean };
  streaming: boolean;
  allowCancel: boolean;
  progress: { text: string; icon: string | null } | null;
  notices: readonly ChatNotice[];
  problem: ChatProblem | null;
  /** The thread is being opened: its items are not here yet. */
  opening: boolean;
  /** Counts opened threads: the list starts over (scrolled to the end) for each. */
  generation: number;
}

export type LocalAction =
  | { type: "local.opening" }
  | { type: "local.opened"; thread: ThreadMetadata | null; items: ThreadItem[]; hasMore: boolean; after: string | null }
  | { type: "local.older_loading"; loading: boolean }
  | { type: "local.older"; items: ThreadItem[]; hasMore: boolean; after: string | null }
  | { type: "local.stream_started" }
  | { type: "local.stream_ended"; stopped: boolean }
  | { type: "local.pending_user"; item: UserMessageItem }
  | { type: "local.drop_pending" }
  | { type: "local.truncate_after"; itemId: string }
  /** An edited message: it and what followed leave, its new text waits to be stored. */
  | { type: "local.edit"; itemId: string; item: UserMessageItem }
  | { type: "local.feedback"; itemId: string; kind: FeedbackKind }
  | { type: "local.item"; item: ThreadItem }
  | { type: "local.renamed"; thread: ThreadMetadata }
  | { type: "local.problem"; problem: ChatProblem | null }
  | { type: "local.dismiss_notice"; key: number };

export type ThreadAction = ThreadStreamEvent | LocalAction;

export const PENDING_PREFIX = "pending_";

export const emptyThread: ThreadState = {
  thread: null,
  ids: [],
  items: {},
  inFlight: {},
  stopped: {},
  feedback: {},
  older: { hasMore: false, after: null, loading: false },
  streaming: false,
  allowCancel: true,
  progress: null,
  notices: [],
  problem: null,
  opening: false,
  generation: 0,
};

/** Items the thread shows: end-of-turn markers (and hidden context) stay out of the list. */
export function isShown(item: ThreadItem): boolean {
  const type: string = item.type;
  return type !== "end_of_turn" && type !== "hidden_context_item" && type !== "sdk_hidden_context";
}

let noticeKeys = 0;

export function threadReducer(state: ThreadState, action: ThreadAction): ThreadState {
  switch (action.type) {
    case "thread.created":
    case "thread.updated":
      return { ...state, thread: metadataOf(action.thread) };
    case "thread.item.added": {
      const next = putItem(state, action.item);
      if (next === state) return state;
      return { ...next, inFlight: { ...state.inFlight, [action.item.id]: true }, progress: null };
    }
    case "thread.item.done": {
      const next = putItem(action.item.type === "user_message" ? dropPending(state) : state, action.item);
      return { ...next, inFlight: without(next.inFlight, action.item.id), progress: null };
    }
    case "thread.item.replaced":
      return putItem(state, action.item);
    case "thread.item.removed":
      return removeItem(state, action.item_id);
    case "thread.item.updated": {
      const item = state.items[action.item_id];
      if (!item) return state;
      const updated = applyUpdate(item, action.update);
      return updated === item ? state : { ...state, items: { ...state.items, [item.id]: updated }, progress: null };
    }
    case "stream_options":
      return { ...state, allowCancel: action.stream_options.allow_cancel };
    case "progress_update":
      return { ...state, progress: { text: action.text, icon: action.icon ?? null } };
    case "client_effect":
      if (action.name === "feedback") return { ...state, feedback: storedFeedback(action.data) };
      return action.name === "app_error" ? { ...state, problem: appError(action.data, state.problem) } : state;
    case "error":
      return { ...state, problem: streamError(action, state.problem) };
    case "notice":
      return {
        ...state,
        notices: [
          ...state.notices,
          { key: ++noticeKeys, level: action.level, title: action.title ?? null, message: action.message },
        ],
      };
    default:
      return localReducer(state, action);
  }
}

function localReducer(state: ThreadState, action: LocalAction): ThreadState {
  switch (action.type) {
    case "local.opening":
      return { ...emptyThread, opening: true, generation: state.generation };
    case "local.opened": {
      const shown = action.items.filter(isShown);
      return {
        ...emptyThread,
        thread: action.thread,
        ids: shown.map((item) => item.id),
        items: Object.fromEntries(shown.map((item) => [item.id, item])),
        older: { hasMore: action.hasMore, after: action.after, loading: false },
        generation: state.generation + 1,
      };
    }
    case "local.older_loading":
      return { ...state, older: { ...state.older, loading: action.loading } };
    case "local.older": {
      const fresh = action.items.filter((item) => isShown(item) && !(item.id in state.items));
      return {
        ...state,
        ids: [...fresh.map((item) => item.id), ...state.ids],
        items: { ...Object.fromEntries(fresh.map((item) => [item.id, item])), ...state.items },
        older: { hasMore: action.hasMore, after: action.after, loading: false },
      };
    }
    case "local.stream_started":
      return { ...state, streaming: true, allowCancel: true, progress: null, problem: null, notices: [] };
    case "local.stream_ended": {
      const stopped = action.stopped ? { ...state.stopped, ...state.inFlight } : state.stopped;
      return { ...state, streaming: false, progress: null, inFlight: {}, stopped };
    }
    case "local.pending_user":
      return putItem(state, action.item);
    case "local.drop_pending":
      return dropPending(state);
    case "local.truncate_after": {
      const at = state.ids.indexOf(action.itemId);
      if (at < 0) return state;
      let next = state;
      for (const id of state.ids.slice(at + 1)) next = removeItem(next, id);
      return next;
    }
    case "local.edit": {
      const at = state.ids.indexOf(action.itemId);
      if (at < 0) return state;
      let next = state;
      for (const id of state.ids.slice(at)) next = removeItem(next, id);
      return putItem(next, action.item);
    }
    case "local.feedback":
      return { ...state, feedback: { ...state.feedback, [action.itemId]: action.kind } };
    case "local.item":
      return putItem(state, action.item);
    case "local.renamed":
      return state.thread?.id === action.thread.id ? { ...state, thread: metadataOf(action.thread) } : state;
    case "local.problem":
      return { ...state, problem: action.problem };
    case "local.dismiss_notice":
      return { ...state, notices: state.notices.filter((notice) => notice.key !== action.key) };
  }
}

function metadataOf(thread: ThreadMetadata): ThreadMetadata {
  const { id, title, created_at, status } = thread;
  return { id, title: title ?? null, created_at, ...(status ? { status } : {}) };
}

/** Adds an item at the end, or replaces it where it is. */
function putItem(state: ThreadState, item: ThreadItem): ThreadState {
  const known = item.id in state.items;
  if (!known && !isShown(item)) return state;
  return {
    ...state,
    ids: known ? state.ids : [...state.ids, item.id],
    items: { ...state.items, [item.id]: item },
  };
}

function removeItem(state: ThreadState, id: string): ThreadState {
  if (!(id in state.items)) return state;
  return {
    ...state,
    ids: state.ids.filter((known) => known !== id),
    items: without(state.items, id),
    inFlight: without(state.inFlight, id),
  };
}

/** The message shown while sending gives way to the one the server stored. */
function dropPending(state: ThreadState): ThreadState {
  let next = state;
  for (const id of state.ids) if (id.startsWith(PENDING_PREFIX)) next = removeItem(next, id);
  return next;
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const copy = { ...record };
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a copy, keyed by item id
  delete copy[key];
  return copy;
}

function applyUpdate(item: ThreadItem, update: ThreadItemUpdate): ThreadItem {
  switch (update.type) {
    case "assistant_message.content_part.added":
    case "assistant_message.content_part.done":
      return item.type === "assistant_message" ? withPart(item, update.content_index, () => update.content) : item;
    case "assistant_message.content_part.text_delta":
      return item.type === "assistant_message"
        ? withPart(item, update.content_index, (part) => ({ ...part, text: part.text + update.delta }))
        : item;
    case "assistant_message.content_part.annotation_added":
      return item.type === "assistant_message"
        ? withPart(item, update.content_index, (part) => {
            const annotations = [...(part.annotations ?? [])];
            annotations[update.annotation_index] = update.annotation;
            return { ...part, annotations };
          })
        : item;
    case "workflow.task.added":
    case "workflow.task.updated": {
      if (item.type !== "workflow") return item;
      const tasks = [...item.workflow.tasks];
      if (update.type === "workflow.task.added") tasks.splice(update.task_index, 0, update.task);
      else tasks[update.task_index] = update.task;
      return { ...item, workflow: { ...item.workflow, tasks } };
    }
    case "generated_image.updated":
      return item.type === "generated_image" ? { ...item, image: update.image } : item;
    default:
      return item.type === "widget" ? { ...item, widget: applyWidgetUpdate(item.widget, update) } : item;
  }
}

function withPart(
  item: AssistantMessageItem,
  index: number,
  change: (part: OutputText) => OutputText,
): AssistantMessageItem {
  const content = [...item.content];
  while (content.length <= index) content.push({ type: "output_text", text: "", annotations: [] });
  content[index] = change(content[index] ?? { type: "output_text", text: "", annotations: [] });
  return { ...item, content };
}

/** The thumbs stored with the thread (`chat.feedback`'s effect): item id to kind. */
function storedFeedback(data: Record<string, unknown> | undefined): Readonly<Record<string, FeedbackKind>> {
  const items: unknown = data?.items;
  const kinds: Record<string, FeedbackKind> = {};
  if (typeof items !== "object" || items === null) return kinds;
  for (const [id, kind] of Object.entries(items as Record<string, unknown>)) {
    if (kind === "positive" || kind === "negative") kinds[id] = kind;
  }
  return kinds;
}

/** The newest stored user message, which can be edited and sent again. */
export function lastUserMessageId(state: ThreadState): string | null {
  return userMessageBefore(state, state.ids.length - 1)?.id ?? null;
}

/** The core's coded failure (`client_effect` named `app_error`). */
function appError(data: Record<string, unknown> | undefined, current: ChatProblem | null): ChatProblem {
  const code = typeof data?.code === "string" ? data.code : "model_error";
  const message = typeof data?.message === "string" && data.message.trim() ? data.message : "The assistant could not answer.";
  return { code, message, allowRetry: current?.allowRetry ?? false };
}

/**
 * A stream's `error` event. The core sends its coded `app_error` first, so a later error
 * event only adds whether a retry may help; a bare one stands on its own.
 */
function streamError(
  event: Extract<ThreadStreamEvent, { type: "error" }>,
  current: ChatProblem | null,
): ChatProblem {
  const allowRetry = event.allow_retry ?? false;
  if (current) return { ...current, allowRetry };
  const message = event.message?.trim() || "Something went wrong with this answer.";
  return { code: event.code, message, allowRetry };
}

/** The newest user message at or before `index`, for Retry. */
export function userMessageBefore(state: ThreadState, index: number): UserMessageItem | null {
  for (let i = Math.min(index, state.ids.length - 1); i >= 0; i -= 1) {
    const item = state.items[state.ids[i] ?? ""];
    if (item?.type === "user_message" && !item.id.startsWith(PENDING_PREFIX)) return item;
  }
  return null;
}

/** The id of the newest assistant message, which carries Retry. */
export function lastAnswerId(state: ThreadState): string | null {
  for (let i = state.ids.length - 1; i >= 0; i -= 1) {
    const item = state.items[state.ids[i] ?? ""];
    if (item?.type === "assistant_message") return item.id;
    if (item?.type === "user_message") return null;
  }
  return null;
}
