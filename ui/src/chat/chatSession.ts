import { asAppError } from "../shared/ipc";
import type { ChatKitClient, StreamRequest } from "./chatkitClient";
import {
  userInput,
  type ActionConfig,
  type ClientToolCallItem,
  type FeedbackKind,
  type ThreadItem,
  type UserMessageContent,
  type UserMessageItem,
} from "./protocol";
import type { Attachment } from "./attachments";
import { loadMarkdown } from "./Markdown";
import { PENDING_PREFIX, userMessageBefore } from "./threadState";
import type { ThreadStore } from "./threadStore";

/** Items opened at once and per "earlier messages" page; the core allows up to 200. */
export const ITEMS_PAGE = 50;
/** A model that keeps calling client tools is stopped after this many in a row. */
const MAX_TOOL_ROUNDS = 8;

export type ClientToolRunner = (call: { name: string; params: Record<string, unknown> }) => Promise<unknown>;

export interface ChatSessionOptions {
  client: ChatKitClient;
  store: ThreadStore;
  runClientTool: ClientToolRunner;
  /** The open thread changed (opened, created, deleted, new chat): remember it. */
  onThreadChange: (threadId: string | null) => void;
  /**
   * The core's own server answers this app's actions (`chat.feedback`, `chat.edit_message`);
   * a backend's ChatKit endpoint would hand them to its own agent, so they are not sent there.
   */
  appActions?: boolean;
}

/**
 * What the built-in chat does, apart from how it looks: opens threads and their older
 * pages, sends and streams, stops, retries, runs client tools, sends feedback and widget
 * actions. One stream at a time; Stop aborts the fetch and the core keeps the partial text.
 */
export interface ChatSession {
  open(threadId: string | null): Promise<void>;
  loadOlder(): Promise<void>;
  /**
   * Resolves false when nothing was sent (busy, empty) or the core refused it. `rich`
   * carries the composer's content with @-mention tags, and uploaded attachments.
   */
  send(text: string, rich?: RichInput): Promise<boolean>;
  stop(): void;
  /** Answers `userItemId` again (the newest user message when omitted). */
  retry(userItemId?: string): Promise<void>;
  retryAnswer(answerId: string): Promise<void>;
  /** Sends `text` in place of the user message `itemId`; what followed it is answered anew. */
  editMessage(itemId: string, text: string): Promise<boolean>;
  feedback(itemId: string, kind: FeedbackKind): Promise<void>;
  action(itemId: string | null, action: ActionConfig): Promise<void>;
  dismissProblem(): void;
  dismissNotice(key: number): void;
}

/** What the built-in composer adds to plain text. */
export interface RichInput {
  content?: UserMessageContent[];
  attachments?: Attachment[];
  /** The model picked in the composer; the core keeps it as the thread's. */
  model?: string | undefined;
}

export function createChatSession({
  client,
  store,
  runClientTool,
  onThreadChange,
  appActions = true,
}: ChatSessionOptions): ChatSession {
  let running: AbortController | null = null;
  let opened = 0;
  let pendingKeys = 0;
  const threadId = () => store.getState().thread?.id ?? null;

  const fail = (e: unknown) => {
    const error = asAppError(e);
    store.dispatch({ type: "local.problem", problem: { code: error.code, message: error.message, allowRetry: false } });
  };

  /** Runs one streamed op to its end, its stop, or its refusal. */
  const stream = async (request: StreamRequest): Promise<"completed" | "stopped" | "refused"> => {
    const controller = new AbortController();
    running = controller;
    store.dispatch({ type: "local.stream_started" });
    let refused = false;
    try {
      await client.stream(
        request,
        (event) => {
          store.dispatch(event);
          if (event.type === "thread.created") onThreadChange(event.thread.id);
        },
        controller.signal,
      );
    } catch (e) {
      if (!controller.signal.aborted) {
        refused = true;
        store.dispatch({ type: "local.drop_pending" });
        fail(e);
      }
    } finally {
      running = null;
      store.dispatch({ type: "local.stream_ended", stopped: controller.signal.aborted });
    }
    if (controller.signal.aborted) return "stopped";
    return refused ? "refused" : "completed";
  };

  /** A response that ended on a pending client tool call: run it and answer with its output. */
  const continueWithTools = async () => {
    for (let round = 0; round < MAX_TOOL_ROUNDS; round += 1) {
      const call = pendingToolCall();
      const thread = threadId();
      if (!call || !thread) return;
      const result = await runClientTool({ name: call.name, params: call.arguments });
      const outcome = await stream({ type: "threads.add_client_tool_output", params: { thread_id: thread, result } });
      if (outcome !== "completed") return;
    }
  };

  const pendingToolCall = (): ClientToolCallItem | null => {
    const { ids, items } = store.getState();
    const last = items[ids[ids.length - 1] ?? ""];
    return last?.type === "client_tool_call" && last.status === "pending" ? last : null;
  };

  /** Streams a response and any client tool rounds it asks for; false when refused. */
  const respond = async (request: StreamRequest): Promise<boolean> => {
    const outcome = await stream(request);
    if (outcome === "completed") await continueWithTools();
    return outcome !== "refused";
  };

  const retry = async (userItemId?: string) => {
    const state = store.getState();
    const thread = threadId();
    const target = userItemId ?? userMessageBefore(state, state.ids.length - 1)?.id;
    if (!thread || !target || running) return;
    // The core removes what followed the message; the view does the same at once.
    store.dispatch({ type: "local.truncate_after", itemId: target });
    await respond({ type: "threads.retry_after_item", params: { thread_id: thread, item_id: target } });
  };

  /**
   * The thumbs stored with the thread. The protocol keeps thread metadata on the server,
   * so the core answers the `chat.feedback` action with a `feedback` client effect; this
   * quiet stream shows no progress and a failure only means no thumbs are lit.
   */
  const loadFeedback = async (thread: string, ticket: number) => {
    const request: StreamRequest = {
      type: "threads.custom_action",
      params: { thread_id: thread, item_id: null, action: { type: "chat.feedback", payload: {} } },
    };
    try {
      await client.stream(
        request,
        (event) => {
          if (event.type === "client_effect" && event.name === "feedback" && ticket === opened) store.dispatch(event);
        },
        new AbortController().signal,
      );
    } catch {
      // Older cores answer with an error; the thread is usable without its thumbs.
    }
  };

  const session: ChatSession = {
    async open(id) {
      const ticket = ++opened;
      running?.abort();
      if (id === null) {
        store.dispatch({ type: "local.opened", thread: null, items: [], hasMore: false, after: null });
        return;
      }
      store.dispatch({ type: "local.opening" });
      // Loads beside the thread's items, so the thread shows formatted from its first frame.
      const formatting = loadMarkdown().catch(() => undefined);
      try {
        const thread = await client.getThread(id);
        let items: ThreadItem[] = thread.items.data;
        let hasMore = false;
        let after: string | null = null;
        // get_by_id answers the oldest page; a longer thread opens at its newest items.
        if (thread.items.has_more) {
          const newest = await client.listItems({ thread_id: id, limit: ITEMS_PAGE });
          items = [...newest.data].reverse();
          hasMore = newest.has_more;
          after = newest.after ?? newest.data[newest.data.length - 1]?.id ?? null;
        }
        await formatting;
        if (ticket !== opened) return;
        store.dispatch({ type: "local.opened", thread, items, hasMore, after });
        // Opened from the history (or at start): the next start reopens it.
        onThreadChange(thread.id);
        if (appActions) void loadFeedback(thread.id, ticket);
      } catch (e) {
        if (ticket !== opened) return;
        store.dispatch({ type: "local.opened", thread: null, items: [], hasMore: false, after: null });
        // A thread deleted elsewhere just means a fresh chat; anything else is said.
        if (asAppError(e).code !== "not_found") fail(e);
        onThreadChange(null);
      }
    },

    async loadOlder() {
      const { thread, older } = store.getState();
      if (!thread || !older.hasMore || older.loading) return;
      const ticket = opened;
      store.dispatch({ type: "local.older_loading", loading: true });
      try {
        const page = await client.listItems({ thread_id: thread.id, limit: ITEMS_PAGE, after: older.after });
        if (ticket !== opened) return;
        store.dispatch({
          type: "local.older",
          items: [...page.data].reverse(),
          hasMore: page.has_more,
          after: page.after ?? page.data[page.data.length - 1]?.id ?? older.after,
        });
      } catch (e) {
        store.dispatch({ type: "local.older_loading", loading: false });
        fail(e);
      }
    },

    async send(text, rich) {
      const trimmed = text.trim();
      const attachments = rich?.attachments ?? [];
      if ((!trimmed && attachments.length === 0) || running) return false;
      // The answer is Markdown; the renderer loads while the request goes out.
      void loadMarkdown().catch(() => undefined);
      const content = rich?.content ?? [{ type: "input_text", text: trimmed }];
      const thread = threadId();
      const pending: UserMessageItem = {
        id: `${PENDING_PREFIX}${++pendingKeys}`,
        thread_id: thread ?? "",
        created_at: new Date().toISOString(),
        type: "user_message",
        content,
        attachments,
        inference_options: rich?.model ? { model: rich.model } : {},
      };
      store.dispatch({ type: "local.pending_user", item: pending });
      const input = {
        ...userInput(trimmed),
        content,
        attachments: attachments.map((a) => a.id),
        inference_options: pending.inference_options ?? {},
      };
      return respond(
        thread
          ? { type: "threads.add_user_message", params: { thread_id: thread, input } }
          : { type: "threads.create", params: { input } },
      );
    },

    stop() {
      running?.abort();
    },

    retry,

    async retryAnswer(answerId) {
      const state = store.getState();
      const question = userMessageBefore(state, state.ids.indexOf(answerId));
      if (question) await retry(question.id);
    },

    async editMessage(itemId, text) {
      const trimmed = text.trim();
      const thread = threadId();
      if (!trimmed || !thread || running || !appActions) return false;
      const ticket = opened;
      const edited: UserMessageItem = {
        id: `${PENDING_PREFIX}${++pendingKeys}`,
        thread_id: thread,
        created_at: new Date().toISOString(),
        type: "user_message",
        content: [{ type: "input_text", text: trimmed }],
        inference_options: {},
      };
      // The view changes at once; the core removes the same items and confirms each.
      store.dispatch({ type: "local.edit", itemId, item: edited });
      const action = { type: "chat.edit_message", payload: { item_id: itemId, text: trimmed } };
      const sent = await respond({ type: "threads.custom_action", params: { thread_id: thread, item_id: null, action } });
      // Refused before anything changed on the core: show the thread as it is there.
      if (!sent && ticket === opened) {
        const problem = store.getState().problem;
        await session.open(thread);
        if (problem) store.dispatch({ type: "local.problem", problem });
      }
      return sent;
    },

    async feedback(itemId, kind) {
      const thread = threadId();
      if (!thread) return;
      try {
        await client.feedback(thread, [itemId], kind);
        store.dispatch({ type: "local.feedback", itemId, kind });
      } catch (e) {
        fail(e);
      }
    },

    async action(itemId, config) {
      const thread = threadId();
      // Client-handled actions belong to a host handler this app does not have.
      if (!thread || running || config.handler === "client") return;
      const action = { type: config.type, payload: config.payload ?? {} };
      if (config.streaming === false) {
        try {
          const answer = await client.syncAction(thread, itemId, action);
          if (answer.updated_item) store.dispatch({ type: "local.item", item: answer.updated_item });
        } catch (e) {
          fail(e);
        }
        return;
      }
      await respond({ type: "threads.custom_action", params: { thread_id: thread, item_id: itemId, action } });
    },

    dismissProblem() {
      store.dispatch({ type: "local.problem", problem: null });
    },

    dismissNotice(key) {
      store.dispatch({ type: "local.dismiss_notice", key });
    },
  };
  return session;
}
