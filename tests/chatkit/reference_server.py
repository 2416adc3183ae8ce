"""openai-chatkit's own Python server, with an in-memory Store and the echo responder.

This is the reference the benchmark compares `todo-assistant serve` against: a subclass of
`chatkit.server.ChatKitServer` whose `respond()` behaves like the Rust server's
`--responder echo`, a dict-based `Store`, and a Starlette app served by uvicorn on 127.0.0.1.

    python tests/chatkit/reference_server.py [--port 0]

prints one line, `{"chatkit_url": ..., "client_secret": "", "expires_at": 0}`, then serves
until killed. It has no authentication (loopback only).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from chatkit.server import ChatKitServer, StreamingResult
from chatkit.store import NotFoundError, Store
from chatkit.types import (
    Action,
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    Attachment,
    ClientToolCallItem,
    Page,
    SyncCustomActionResponse,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadMetadata,
    ThreadStreamEvent,
    UserMessageItem,
    WidgetItem,
)

SLOW_DELAY = 0.05


class MemoryStore(Store[Any]):
    """Threads and items in dicts; keyset paging by insertion order (stable for equal timestamps)."""

    def __init__(self) -> None:
        self.threads: dict[str, ThreadMetadata] = {}
        self.order: list[str] = []  # thread ids, oldest first
        self.position: dict[str, int] = {}
        self.items: dict[str, list[ThreadItem]] = {}
        self.attachments: dict[str, Attachment] = {}

    # paging over an ordered id list, oldest first
    @staticmethod
    def _page(ids: list[str], position: dict[str, int], after: str | None, limit: int, order: str):
        if order == "desc":
            end = position[after] if after in position else len(ids)
            start = max(0, end - limit)
            chunk = ids[start:end][::-1]
            has_more = start > 0
        else:
            start = position[after] + 1 if after in position else 0
            chunk = ids[start : start + limit]
            has_more = start + limit < len(ids)
        return chunk, has_more

    async def load_thread(self, thread_id: str, context: Any) -> ThreadMetadata:
        try:
            return self.threads[thread_id].model_copy(deep=True)
        except KeyError:
            raise NotFoundError(f"thread {thread_id} not found") from None

    async def save_thread(self, thread: ThreadMetadata, context: Any) -> None:
        meta = ThreadMetadata(**{k: v for k, v in thread.model_dump().items() if k != "items"})
        if thread.id not in self.threads:
            self.position[thread.id] = len(self.order)
            self.order.append(thread.id)
            self.items[thread.id] = []
        self.threads[thread.id] = meta

    async def load_threads(self, limit: int, after: str | None, order: str, context: Any) -> Page[ThreadMetadata]:
        chunk, has_more = self._page(self.order, self.position, after, limit, order)
        data = [self.threads[i].model_copy(deep=True) for i in chunk]
        return Page(data=data, has_more=has_more, after=chunk[-1] if chunk else None)

    async def delete_thread(self, thread_id: str, context: Any) -> None:
        if thread_id in self.threads:
            del self.threads[thread_id]
            del self.items[thread_id]
            self.order.remove(thread_id)
            self.position = {t: n for n, t in enumerate(self.order)}

    def _thread_items(self, thread_id: str) -> list[ThreadItem]:
        if thread_id not in self.items:
            raise NotFoundError(f"thread {thread_id} not found")
        return self.items[thread_id]

    async def load_thread_items(
        self, thread_id: str, after: str | None, limit: int, order: str, context: Any
    ) -> Page[ThreadItem]:
        items = self._thread_items(thread_id)
        ids = [i.id for i in items]
        position = {i: n for n, i in enumerate(ids)}
        by_id = {i.id: i for i in items}
        chunk, has_more = self._page(ids, position, after, limit, order)
        data = [by_id[i].model_copy(deep=True) for i in chunk]
        return Page(data=data, has_more=has_more, after=chunk[-1] if chunk else None)

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        self._thread_items(thread_id).append(item.model_copy(deep=True))

    async def save_item(self, thread_id: str, item: ThreadItem, context: Any) -> None:
        items = self._thread_items(thread_id)
        for n, existing in enumerate(items):
            if existing.id == item.id:
                items[n] = item.model_copy(deep=True)
                return
        items.append(item.model_copy(deep=True))

    async def load_item(self, thread_id: str, item_id: str, context: Any) -> ThreadItem:
        for item in self._thread_items(thread_id):
            if item.id == item_id:
                return item.model_copy(deep=True)
        raise NotFoundError(f"item {item_id} not found")

    async def delete_thread_item(self, thread_id: str, item_id: str, context: Any) -> None:
        self.items[thread_id] = [i for i in self._thread_items(thread_id) if i.id != item_id]

    async def save_attachment(self, attachment: Attachment, context: Any) -> None:
        self.attachments[attachment.id] = attachment

    async def load_attachment(self, attachment_id: str, context: Any) -> Attachment:
        try:
            return self.attachments[attachment_id]
        except KeyError:
            raise NotFoundError(f"attachment {attachment_id} not found") from None

    async def delete_attachment(self, attachment_id: str, context: Any) -> None:
        self.attachments.pop(attachment_id, None)


def user_text(item: UserMessageItem) -> str:
    return "".join(part.text for part in item.content if part.type == "input_text")


class EchoServer(ChatKitServer[Any]):
    """Answers like `todo-assistant serve --responder echo`."""

    async def _stream_text(self, thread: ThreadMetadata, text: str, slow: bool, context: Any):
        item = AssistantMessageItem(
            id=self.store.generate_item_id("message", thread, context),
            thread_id=thread.id,
            created_at=datetime.now(),
            content=[],
        )
        yield ThreadItemAddedEvent(item=item)
        yield ThreadItemUpdatedEvent(
            item_id=item.id,
            update=AssistantMessageContentPartAdded(content_index=0, content=AssistantMessageContent(text="")),
        )
        for word in re.findall(r"\S+\s*", text):
            if slow:
                await asyncio.sleep(SLOW_DELAY)
            yield ThreadItemUpdatedEvent(
                item_id=item.id,
                update=AssistantMessageContentPartTextDelta(content_index=0, delta=word),
            )
        yield ThreadItemUpdatedEvent(
            item_id=item.id,
            update=AssistantMessageContentPartDone(content_index=0, content=AssistantMessageContent(text=text)),
        )
        yield ThreadItemDoneEvent(item=item.model_copy(update={"content": [AssistantMessageContent(text=text)]}))

    async def respond(
        self, thread: ThreadMetadata, input_user_message: UserMessageItem | None, context: Any
    ) -> AsyncIterator[ThreadStreamEvent]:
        if input_user_message is None:
            recent = await self.store.load_thread_items(thread.id, None, 20, "desc", context)
            call = next(
                (i for i in recent.data if isinstance(i, ClientToolCallItem) and i.status == "completed"), None
            )
            output = call.output if call else None
            async for event in self._stream_text(thread, "Tool result: " + json.dumps(output), False, context):
                yield event
            return
        text = user_text(input_user_message)
        if "[client-tool]" in text:
            yield ThreadItemDoneEvent(
                item=ClientToolCallItem(
                    id=self.store.generate_item_id("tool_call", thread, context),
                    thread_id=thread.id,
                    created_at=datetime.now(),
                    status="pending",
                    call_id=f"call_{uuid.uuid4().hex[:12]}",
                    name="add_task",
                    arguments={"title": text.replace("[client-tool]", "").strip()},
                )
            )
        else:
            async for event in self._stream_text(thread, "You said: " + text, "[slow]" in text, context):
                yield event
        if not thread.title:
            thread.title = text[:40]

    async def action(
        self, thread: ThreadMetadata, action: Action[str, Any], sender: WidgetItem | None, context: Any
    ) -> AsyncIterator[ThreadStreamEvent]:
        async for event in self._stream_text(thread, "Action: " + action.type, False, context):
            yield event

    async def sync_action(
        self, thread: ThreadMetadata, action: Action[str, Any], sender: WidgetItem | None, context: Any
    ) -> SyncCustomActionResponse:
        return SyncCustomActionResponse()


def make_app(server: ChatKitServer):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def chatkit(request: Request):
        result = await server.process(await request.body(), {})
        if isinstance(result, StreamingResult):
            return StreamingResponse(result, media_type="text/event-stream")
        return Response(result.json, media_type="application/json")

    return Starlette(routes=[Route("/chatkit", chatkit, methods=["POST"])])


async def serve(port: int = 0) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # As our server does: Linux hands TCP_NODELAY on to accepted sockets, so a reply's
    # header and body writes are not held back for the client's delayed ACK (~40 ms) on a
    # kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    app = make_app(EchoServer(MemoryStore()))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))

    async def announce():
        while not server.started:
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/chatkit"
        print(json.dumps({"chatkit_url": url, "client_secret": "", "expires_at": 0}), flush=True)

    await asyncio.gather(server.serve(sockets=[sock]), announce())


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    asyncio.run(serve(port))
