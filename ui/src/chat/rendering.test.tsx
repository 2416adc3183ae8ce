import type { Widgets } from "@openai/chatkit";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadMarkdown, Markdown, OpenLinkContext } from "./Markdown";
import { WidgetView } from "./widgets/WidgetView";

// As the chat does before it shows a thread (markdownLoading.test.tsx covers the loading).
beforeAll(() => loadMarkdown());

afterEach(() => {
  cleanup();
});

function renderMarkdown(text: string, open = vi.fn()) {
  const view = render(
    <OpenLinkContext.Provider value={open}>
      <Markdown text={text} />
    </OpenLinkContext.Provider>,
  );
  return { ...view, open };
}

describe("model text as Markdown", () => {
  it("shows raw HTML as text: no element, no handler, no script reaches the page", () => {
    const hostile = 'Hi <img src=x onerror="window.hacked=1"> and <script>window.hacked=2</script> <b>bold</b>';
    const { container } = renderMarkdown(hostile);
    expect(container.querySelector("img, script, b, [onerror]")).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror="window.hacked=1">');
    expect(container.textContent).toContain("<script>");
    expect((window as { hacked?: number }).hacked).toBeUndefined();
  });

  it("keeps javascript: and data: links inert, and opens web links outside the app", () => {
    const { container, open } = renderMarkdown(
      "[bad](javascript:alert(1)) [worse](data:text/html,hi) [docs](https://example.com/a)",
    );
    const anchors = [...container.querySelectorAll("a")];
    expect(anchors.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/a"]);
    expect(screen.getByText("bad").closest("a")).toBeNull();
    fireEvent.click(screen.getByText("docs"));
    expect(open).toHaveBeenCalledWith("https://example.com/a");
  });

  it("renders lists, code, tables and images as links, not loads", () => {
    const { container } = renderMarkdown(
      "- one\n- two\n\n```\nlet x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![chart](https://example.com/c.png)",
    );
    expect(container.querySelectorAll("li")).toHaveLength(2);
    expect(container.querySelector("pre code")?.textContent).toContain("let x = 1;");
    expect(container.querySelectorAll("td")).toHaveLength(2);
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByText("Image: chart").closest("a")?.getAttribute("href")).toBe("https://example.com/c.png");
  });
});

describe("widgets the server sends", () => {
  const every = {
    type: "Card",
    children: [
      { type: "Title", value: "Groceries" },
      { type: "Text", value: "Three things" },
      { type: "Caption", value: "caption text" },
      { type: "Badge", label: "2 pending" },
      { type: "Markdown", value: "**md** text" },
      {
        type: "Row",
        children: [
          { type: "Col", children: [{ type: "Text", value: "left" }] },
          { type: "Divider" },
          { type: "Col", children: [{ type: "Text", value: "right" }] },
        ],
      },
      {
        type: "Button",
        label: "Complete all",
        onClickAction: { type: "tasks.complete_all", payload: { ids: ["a"] } },
      },
    ],
  } as unknown as Widgets.WidgetRoot;

  it("draws Card, Title, Text, Caption, Badge, Markdown, Row, Col, Divider and Button", () => {
    render(<WidgetView widget={every} onAction={() => Promise.resolve()} />);
    for (const shown of ["Groceries", "Three things", "caption text", "2 pending", "left", "right", "Complete all"]) {
      expect(screen.getByText(shown)).toBeTruthy();
    }
    expect(screen.getByText("md").tagName).toBe("STRONG");
    expect(screen.queryByText("This widget could not be shown.")).toBeNull();
  });

  it("sends a button's action with its payload", () => {
    const onAction = vi.fn(() => Promise.resolve());
    render(<WidgetView widget={every} onAction={onAction} />);
    fireEvent.click(screen.getByRole("button", { name: "Complete all" }));
    expect(onAction).toHaveBeenCalledWith(
      expect.objectContaining({ type: "tasks.complete_all", payload: { ids: ["a"] } }),
    );
  });

  it("draws the core's task ListView and runs a row's action from the keyboard", () => {
    const onAction = vi.fn(() => Promise.resolve());
    const list = {
      type: "ListView",
      children: [
        {
          type: "ListViewItem",
          key: "t1",
          children: [{ type: "Text", value: "Buy groceries" }],
          onClickAction: { type: "tasks.toggle", payload: { task_id: "t1" } },
        },
        { type: "ListViewItem", key: "t2", children: [{ type: "Text", value: "Walk the dog", lineThrough: true }] },
      ],
    } as unknown as Widgets.WidgetRoot;
    render(<WidgetView widget={list} onAction={onAction} />);
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
    fireEvent.keyDown(screen.getByRole("button", { name: "Buy groceries" }), { key: "Enter" });
    expect(onAction).toHaveBeenCalledWith(expect.objectContaining({ type: "tasks.toggle" }));
  });

  it("a widget it cannot draw says so instead of breaking the thread", () => {
    const broken = { type: "Card", children: [{ type: "Text", value: { not: "text" } }, null] } as unknown as Widgets.WidgetRoot;
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    render(<WidgetView widget={broken} onAction={() => Promise.resolve()} />);
    expect(screen.getByTestId("widget")).toBeTruthy();
  });
});
