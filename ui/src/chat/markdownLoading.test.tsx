/**
 * The Markdown renderer loads when a message needs it: not for a new chat, and before an
 * opened thread is shown, so the thread is formatted from its first frame. Its own file:
 * whether the renderer has loaded is module state.
 */
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IpcFetch } from "../chatkit/ipcFetch";
import { createChatKitClient } from "./chatkitClient";
import { createChatSession } from "./chatSession";
import type { RowActions } from "./ItemRow";
import { longThread } from "./longThread";
import { markdownLoaded } from "./Markdown";
import { MessageList } from "./MessageList";
import { createThreadStore } from "./threadStore";

const URL_ = "http://127.0.0.1/chatkit";
const { thread, items } = longThread(4);

/** The core's answers, as its ChatKit server writes them: a thread, or a refusal. */
const core: IpcFetch = (_input, init) => {
  const request = JSON.parse(init?.body as string) as { type: string; params: { thread_id?: string } };
  if (request.type === "threads.get_by_id" && request.params.thread_id === thread.id) {
    const body = { ...thread, status: { type: "active" }, metadata: {}, items: { data: items, has_more: false, after: null } };
    return Promise.resolve(new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } }));
  }
  const refusal = { code: "not_found", message: "No such thing." };
  return Promise.resolve(new Response(JSON.stringify(refusal), { status: 404 }));
};

const actions: RowActions = {
  retryAnswer: vi.fn(),
  feedback: vi.fn(),
  action: vi.fn(() => Promise.resolve()),
  editMessage: vi.fn(),
};

afterEach(() => {
  cleanup();
});

describe("the Markdown renderer", () => {
  it("stays unloaded for a new chat, and has loaded when an opened thread is first shown", async () => {
    const store = createThreadStore();
    const session = createChatSession({
      client: createChatKitClient(core, URL_),
      store,
      runClientTool: () => Promise.resolve(null),
      onThreadChange: () => undefined,
    });
    await session.open(null);
    expect(markdownLoaded()).toBe(false);

    let loadedWhenShown: boolean | null = null;
    const unsubscribe = store.subscribe(() => {
      if (loadedWhenShown === null && store.getState().thread?.id === thread.id) loadedWhenShown = markdownLoaded();
    });
    await session.open(thread.id);
    unsubscribe();
    expect(loadedWhenShown).toBe(true);

    // The first render of the thread already has the answers' bold text as elements.
    const { container } = render(<MessageList store={store} actions={actions} onLoadOlder={() => undefined} />);
    expect(container.querySelectorAll(".message.assistant strong").length).toBeGreaterThan(0);
    expect(container.querySelector(".markdown-pending")).toBeNull();
    expect(container.textContent).not.toContain("**bold**");
  });
});
