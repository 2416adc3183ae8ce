import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ClaudeConfigWritten, McpSetup } from "../bindings";
import { OtherAppsForm } from "./OtherAppsForm";

const SETUP: McpSetup = {
  command: "/usr/bin/todo-assistant-cli",
  args: ["mcp"],
  claude_desktop: '{"mcpServers": {"todo-assistant": {"command": "/usr/bin/todo-assistant-cli", "args": ["mcp"]}}}',
  cursor: '{"mcpServers": {"todo-assistant": "cursor-entry"}}',
  vscode: '{"servers": {"todo-assistant": {"type": "stdio"}}}',
  claude_config_path: "/home/me/.config/Claude/claude_desktop_config.json",
};

const WRITTEN: ClaudeConfigWritten = {
  path: "/home/me/.config/Claude/claude_desktop_config.json",
  backup: "/home/me/.config/Claude/claude_desktop_config.json.bak",
  kept_servers: ["files"],
};

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("OtherAppsForm", () => {
  it("shows each app's config from the core and adds to Claude Desktop in one click", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "mcp_setup") return SETUP;
      if (cmd === "add_to_claude_desktop") return WRITTEN;
      throw new Error(`unexpected ${cmd}`);
    });
    render(<OtherAppsForm />);
    expect((await screen.findByLabelText("Configuration for Claude Desktop")).textContent).toBe(SETUP.claude_desktop);

    await userEvent.click(screen.getByRole("tab", { name: "VS Code" }));
    expect(screen.getByLabelText("Configuration for VS Code").textContent).toBe(SETUP.vscode);
    expect(screen.queryByRole("button", { name: "Add to Claude Desktop" })).toBeNull();
    await userEvent.click(screen.getByRole("tab", { name: "Cursor" }));
    expect(screen.getByLabelText("Configuration for Cursor").textContent).toBe(SETUP.cursor);

    await userEvent.click(screen.getByRole("tab", { name: "Claude Desktop" }));
    await userEvent.click(screen.getByRole("button", { name: "Add to Claude Desktop" }));
    const status = (await screen.findByRole("status")).textContent;
    expect(status).toContain(WRITTEN.path);
    expect(status).toContain("keeping files");
    expect(status).toContain(".bak");
    expect(calls).toEqual(["mcp_setup", "add_to_claude_desktop"]);
  });

  it("says what went wrong when Claude's config cannot be changed", async () => {
    mockIPC((cmd) => {
      if (cmd === "mcp_setup") return SETUP;
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { code: "storage_corrupt", message: "claude_desktop_config.json is not a JSON object, so nothing was changed." };
    });
    render(<OtherAppsForm />);
    await screen.findByLabelText("Configuration for Claude Desktop");
    await userEvent.click(screen.getByRole("button", { name: "Add to Claude Desktop" }));
    const alert = (await screen.findByRole("alert")).textContent;
    expect(alert).toContain("storage_corrupt");
    expect(alert).toContain("nothing was changed");
  });
});
