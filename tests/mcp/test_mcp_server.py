"""`todo-assistant-cli mcp` driven by the official MCP Python SDK (`mcp` on PyPI) as a real
client over stdio: initialize, list the tools (the assistant's five, same schemas), call
each, tool failures as isError results, and a change another process makes meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("TODO_ASSISTANT_CLI_BIN") or REPO / "target" / "debug" / "todo-assistant-cli")
APP = Path(os.environ.get("TODO_ASSISTANT_BIN") or REPO / "target" / "debug" / "todo-assistant")
TOOLS = {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}


def server(data_dir: Path, binary: Path = CLI) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return StdioServerParameters(command=str(binary), args=["mcp", "--data-dir", str(data_dir)], env=env)


def payload(result) -> dict:
    assert len(result.content) == 1 and result.content[0].type == "text", result
    return json.loads(result.content[0].text)


def tasks_cli(data_dir: Path, *args: str) -> dict:
    p = subprocess.run([str(CLI), "tasks", "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


async def session_run(params: StdioServerParameters, body):
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            return await body(session, init)


def test_initialize_list_and_call_every_tool(tmp_path):
    data = tmp_path / "data"

    async def body(session: ClientSession, init):
        assert init.server_info.name == "todo-assistant"
        assert init.capabilities.tools is not None
        listed = await session.list_tools()
        by_name = {t.name: t for t in listed.tools}
        assert set(by_name) == TOOLS
        add = by_name["add_task"]
        assert add.input_schema["type"] == "object"
        assert add.input_schema["required"][0] == "title"
        assert "description" in add.input_schema["properties"]
        assert by_name["list_tasks"].input_schema["properties"]["status"]["enum"] == ["all", "pending", "completed"]

        # A missing optional argument is null: Claude and others leave them out.
        added = await session.call_tool("add_task", {"title": "Buy groceries"})
        assert not added.is_error
        created = payload(added)
        assert created["status"] == "created" and created["title"] == "Buy groceries"
        task_id = created["task_id"]
        await session.call_tool("add_task", {"title": "Call mum", "description": None})

        listing = payload(await session.call_tool("list_tasks", {"status": "pending"}))
        assert [t["title"] for t in listing["tasks"]] == ["Buy groceries", "Call mum"]

        updated = payload(await session.call_tool("update_task", {"task_id": task_id, "title": "Buy oat milk"}))
        assert updated["title"] == "Buy oat milk"
        done = payload(await session.call_tool("complete_task", {"task_id": task_id}))
        assert done["task_id"] == task_id
        completed = payload(await session.call_tool("list_tasks", {"status": "completed"}))
        assert [t["title"] for t in completed["tasks"]] == ["Buy oat milk"]
        deleted = await session.call_tool("delete_task", {"task_id": task_id})
        assert not deleted.is_error

        # Failures are results the model can read, with codes: not protocol errors.
        gone = await session.call_tool("complete_task", {"task_id": task_id})
        assert gone.is_error and payload(gone)["error"]["code"] == "not_found"
        empty = await session.call_tool("add_task", {"title": "   "})
        assert empty.is_error and payload(empty)["error"]["code"] == "invalid_arguments"
        missing = await session.call_tool("add_task", {})
        assert missing.is_error and "title" in payload(missing)["error"]["message"]
        wrong = await session.call_tool("list_tasks", {"status": 7})
        assert wrong.is_error and payload(wrong)["error"]["code"] == "invalid_arguments"
        unknown = await session.call_tool("launch_rocket", {})
        assert unknown.is_error and payload(unknown)["error"]["code"] == "unknown_tool"

    asyncio.run(session_run(server(data), body))
    # What the MCP client did is in the app's store, for the CLI (and the app) to see.
    assert [t["title"] for t in tasks_cli(data, "list")["tasks"]] == ["Call mum"]


def test_changes_from_another_process_show_at_once(tmp_path):
    data = tmp_path / "data"

    async def body(session: ClientSession, init):
        assert payload(await session.call_tool("list_tasks", {"status": "all"}))["tasks"] == []
        # The CLI writes while the MCP server runs; the next call sees it, no restart.
        made = tasks_cli(data, "add", "Walk the dog")
        seen = payload(await session.call_tool("list_tasks", {"status": "all"}))["tasks"]
        assert [t["id"] for t in seen] == [made["id"]]
        done = payload(await session.call_tool("complete_task", {"task_id": made["id"]}))
        assert done["task_id"] == made["id"]
        return made["id"]

    task_id = asyncio.run(session_run(server(data), body))
    [task] = tasks_cli(data, "list")["tasks"]
    assert task["id"] == task_id and task["completed"] is True


def test_the_app_binary_serves_mcp_too(tmp_path):
    data = tmp_path / "data"

    async def body(session: ClientSession, init):
        return {t.name for t in (await session.list_tools()).tools}

    assert asyncio.run(session_run(server(data, APP), body)) == TOOLS
