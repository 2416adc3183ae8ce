import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RowActions } from "./ItemRow";
import { longThread } from "./longThread";
import { MessageList } from "./MessageList";
import { createThreadStore } from "./threadStore";

afterEach(() => {
  cleanup();
});

function actions(editMessage = vi.fn()): RowActions {
  return { retryAnswer: vi.fn(), feedback: vi.fn(), action: vi.fn(() => Promise.resolve()), editMessage };
}

function openThread(count: number) {
  const store = createThreadStore();
  const { thread, items } = longThread(count);
  store.dispatch({ type: "local.opened", thread, items, hasMore: false, after: null });
  return { store, items };
}

describe("a long thread", () => {
  it("mounts only the rows in view of 1,000 items, and a delta re-renders only its message", () => {
    const { store } = openThread(1000);
    const rendered: string[] = [];
    render(<MessageList store={store} actions={actions()} onLoadOlder={() => undefined}
      onRowRender={(id) => { rendered.push(id); }} />);
    const mounted = document.querySelectorAll("[data-item-id]").length;
    expect(mounted).toBeGreaterThan(0);
    expect(mounted).toBeLessThan(40);
    expect(screen.getByText("Question 998")).toBeTruthy();

    act(() => {
      store.dispatch({ type: "local.stream_started" });
    });
    rendered.length = 0;
    act(() => {
      store.dispatch({
        type: "thread.item.updated",
        item_id: "item_999",
        update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: " and more" },
      });
    });
    expect(rendered).toEqual(["item_999"]);
    expect(document.querySelector("[data-item-id='item_999']")?.textContent).toContain("and more");
  });
});

describe("message actions", () => {
  it("edits the last question only, and sends the new text for it", () => {
    const { store } = openThread(4);
    const editMessage = vi.fn();
    render(<MessageList store={store} actions={actions(editMessage)} onLoadOlder={() => undefined} />);
    const edits = screen.getAllByRole("button", { name: "Edit message" });
    expect(edits).toHaveLength(1);
    expect(edits[0]?.closest("[data-item-id]")?.getAttribute("data-item-id")).toBe("item_2");
    fireEvent.click(edits[0] as HTMLElement);
    const box = screen.getByRole("textbox", { name: "Edited message" });
    expect(document.activeElement).toBe(box);
    // Escape leaves it as it was.
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("textbox", { name: "Edited message" })).toBeNull();
    expect(editMessage).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole("button", { name: "Edit message" }));
    const again = screen.getByRole("textbox", { name: "Edited message" });
    fireEvent.input(again, { target: { value: "Question two, better" } });
    fireEvent.keyDown(again, { key: "Enter" });
    expect(editMessage).toHaveBeenCalledWith("item_2", "Question two, better");
  });

  it("offers no edit where the server is a backend's, which would not know the action", () => {
    const { store } = openThread(4);
    render(<MessageList store={store} actions={actions()} onLoadOlder={() => undefined} editable={false} />);
    expect(screen.queryByRole("button", { name: "Edit message" })).toBeNull();
    expect(screen.getAllByRole("button", { name: "Copy message" })).toHaveLength(2);
  });

  it("copies a message's text", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { store } = openThread(2);
    render(<MessageList store={store} actions={actions()} onLoadOlder={() => undefined} />);
    fireEvent.click(screen.getByRole("button", { name: "Copy answer" }));
    expect(writeText).toHaveBeenCalledWith("Answer 1 with **bold**, a list:\n\n- one\n- two\n");
    expect(await screen.findByText("Copied")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Copy message" }));
    expect(writeText).toHaveBeenLastCalledWith("Question 0");
  });

  it("shows the thumbs stored with the thread when it opens", () => {
    const { store } = openThread(4);
    render(<MessageList store={store} actions={actions()} onLoadOlder={() => undefined} />);
    act(() => {
      store.dispatch({ type: "client_effect", name: "feedback", data: { items: { item_1: "negative", item_3: "positive", x: "meh" } } });
    });
    const pressed = (id: string, name: string) =>
      document.querySelector(`[data-item-id='${id}'] button[aria-label='${name}']`)?.getAttribute("aria-pressed");
    expect(pressed("item_1", "Bad answer")).toBe("true");
    expect(pressed("item_1", "Good answer")).toBe("false");
    expect(pressed("item_3", "Good answer")).toBe("true");
  });
});

describe("keyboard only", () => {
  it("reaches a task row's Complete and the last question's Edit with Tab, and uses them with Enter", async () => {
    const user = userEvent.setup();
    const store = createThreadStore();
    const { thread, items } = longThread(2);
    const widget = {
      id: "wdg_1", thread_id: thread.id, created_at: thread.created_at, type: "widget" as const,
      widget: {
        type: "ListView",
        children: [{
          type: "ListViewItem", key: "t1",
          children: [
            { type: "Col", flex: 1, children: [{ type: "Text", value: "Buy groceries" }] },
            { type: "Button", label: "Complete", onClickAction: { type: "task.complete", payload: { task_id: "t1" } } },
          ],
        }],
      },
    };
    store.dispatch({ type: "local.opened", thread, items: [...items, widget] as never, hasMore: false, after: null });
    const action = vi.fn(() => Promise.resolve());
    const editMessage = vi.fn();
    render(<MessageList store={store} actions={{ ...actions(editMessage), action }} onLoadOlder={() => undefined} />);

    const tabTo = async (name: string) => {
      for (let step = 0; step < 20 && document.activeElement?.getAttribute("aria-label") !== name
        && document.activeElement?.textContent !== name; step += 1) {
        await user.tab();
      }
      expect(document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent).toBe(name);
    };
    await tabTo("Complete");
    await user.keyboard("{Enter}");
    expect(action).toHaveBeenCalledWith("wdg_1", expect.objectContaining({ type: "task.complete", payload: { task_id: "t1" } }));

    await user.tab({ shift: true });
    for (let step = 0; step < 20 && document.activeElement?.getAttribute("aria-label") !== "Edit message"; step += 1) {
      await user.tab({ shift: true });
    }
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Edit message");
    await user.keyboard("{Enter}");
    await user.keyboard("{Control>}a{/Control}Question zero, again{Enter}");
    expect(editMessage).toHaveBeenCalledWith("item_0", "Question zero, again");
  });
});
