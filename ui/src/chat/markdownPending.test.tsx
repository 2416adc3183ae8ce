/**
 * Markdown shown before its renderer has loaded (a notice before any thread) keeps its
 * text and line breaks, then is formatted once the renderer arrives. Its own file: whether
 * the renderer has loaded is module state.
 */
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { Markdown, markdownLoaded } from "./Markdown";

afterEach(() => {
  cleanup();
});

it("shows the text as it is until the renderer loads, then formatted", async () => {
  expect(markdownLoaded()).toBe(false);
  const { container } = render(<Markdown text={"**Sync** stopped.\nTry again."} />);
  const pending = container.querySelector(".markdown-pending");
  expect(pending?.textContent).toBe("**Sync** stopped.\nTry again.");

  expect((await screen.findByText("Sync")).tagName).toBe("STRONG");
  expect(markdownLoaded()).toBe(true);
  expect(container.querySelector(".markdown-pending")).toBeNull();
});
