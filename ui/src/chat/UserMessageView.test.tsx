import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { Task } from "../bindings";
import type { UserMessageItem } from "./protocol";
import { UserMessageBody } from "./UserMessageView";

const groceries: Task = {
  id: "t1",
  title: "Buy groceries",
  description: "Milk, eggs, bread",
  completed: true,
  created_at: "2026-12-01T09:00:00Z",
  updated_at: "2026-12-01T09:00:00Z",
};

const item: UserMessageItem = {
  id: "msg_1",
  thread_id: "thr_1",
  created_at: "2026-12-01T09:00:00Z",
  type: "user_message",
  content: [
    { type: "input_text", text: "mark " },
    { type: "input_tag", id: "t1", text: "Buy groceries", data: { type: "task" }, interactive: true },
    { type: "input_text", text: " done" },
  ],
  attachments: [
    { type: "image", id: "att_1", name: "shot.png", mime_type: "image/png", preview_url: "data:image/png;base64,iVBORw0KGgo=" },
    { type: "file", id: "att_2", name: "plan.pdf", mime_type: "application/pdf" },
  ],
  inference_options: {},
};

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("a sent message with a mention and attachments", () => {
  it("shows the tag, previews the task as it is now on hover and focus, and shows the attachments", async () => {
    let asked = 0;
    mockIPC((cmd) => {
      if (cmd !== "tasks_list") throw new Error(`unexpected command ${cmd}`);
      asked += 1;
      return [groceries];
    });
    const { container } = render(<UserMessageBody item={item} />);
    expect(container.querySelector(".bubble")?.textContent).toBe("mark @Buy groceries done");
    const image = screen.getByRole<HTMLImageElement>("img", { name: "shot.png" });
    expect(image.src).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(screen.getByText("plan.pdf")).toBeTruthy();

    const tag = screen.getByText("@Buy groceries");
    expect(screen.queryByRole("tooltip")).toBeNull();
    fireEvent.mouseEnter(tag);
    const preview = await screen.findByRole("tooltip");
    expect(preview.textContent).toContain("Buy groceries");
    await screen.findByText("Completed");
    expect(preview.textContent).toContain("Milk, eggs, bread");
    expect(tag.getAttribute("aria-describedby")).toBe(preview.id);
    fireEvent.mouseLeave(tag);
    expect(screen.queryByRole("tooltip")).toBeNull();
    fireEvent.focus(tag);
    expect((await screen.findByRole("tooltip")).textContent).toContain("Milk, eggs, bread");
    expect(asked).toBe(1);
  });

  it("says so when the mentioned task was deleted since", async () => {
    mockIPC(() => []);
    render(<UserMessageBody item={item} />);
    fireEvent.focus(screen.getByText("@Buy groceries"));
    const said = await screen.findByText("This task was deleted.");
    expect(said.closest("[role=tooltip]")?.textContent).toBe("This task was deleted.");
  });
});
