"""Attachments and @-mention tags over the ChatKit protocol, against `serve --responder echo`.

The two-phase upload as openai-chatkit models it: `attachments.create` answers an
`Attachment` whose `upload_descriptor` says where to PUT the bytes; the upload answers the
finished attachment (images with a `preview_url`); a message names attachments by id and
carries them, with its `thread_id`, in the stored user message. Every answer is validated
with openai-chatkit's own types (ckclient.strict). Files land in `attachments/` in the data
folder; deleting the thread deletes them.
"""

from __future__ import annotations

import base64
import http.client
import json
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import TypeAdapter

from chatkit.types import Attachment, FileAttachment, ImageAttachment, UserMessageItem, UserMessageTagContent
from ckclient import EVENT, Client, Response, strict, user_input
from test_conformance import assert_error

ATTACHMENT = TypeAdapter(Attachment)


def png(width: int = 2, height: int = 1) -> bytes:
    """A real, tiny PNG (red pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def put(client: Client, url: str, data: bytes, auth: bool = True) -> Response:
    """The upload step, as ChatKit does it with the descriptor's method (PUT) and URL."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/octet-stream"}
    if auth:
        headers["Authorization"] = f"Bearer {client.secret}"
    try:
        conn.request("PUT", parts.path, body=data, headers=headers)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def create(client: Client, name: str, data: bytes, mime: str):
    created = client.call("attachments.create", {"name": name, "size": len(data), "mime_type": mime}, ATTACHMENT)
    return created


def upload(client: Client, name: str, data: bytes, mime: str):
    created = create(client, name, data, mime)
    r = put(client, str(created.upload_descriptor.url), data)
    assert r.status == 200, r
    return created, strict(ATTACHMENT, r.body, "upload")


def data_dir(server) -> Path:
    return Path(server.data_dir)


def stored_files(server, backups: bool = False) -> set[str]:
    """The files in `attachments/`; `<file>.bak` (the previous version of a rewritten
    metadata file, kept by the crash-safe writer) only when asked."""
    folder = data_dir(server) / "attachments"
    names = {p.name for p in folder.iterdir()} if folder.exists() else set()
    return names if backups else {n for n in names if not n.endswith(".bak")}


def test_image_create_upload_send_show_and_delete_with_its_thread(server, client):
    image = png()
    created = create(client, "screenshot.png", image, "image/png")
    assert isinstance(created, ImageAttachment) and created.name == "screenshot.png" and created.mime_type == "image/png"
    descriptor = created.upload_descriptor
    assert descriptor is not None and descriptor.method == "PUT"
    assert str(descriptor.url) == f"{client.url}/attachments/{created.id}/upload"
    assert created.thread_id is None

    r = put(client, str(descriptor.url), image)
    assert r.status == 200, r
    uploaded = strict(ATTACHMENT, r.body, "upload")
    assert uploaded.id == created.id and uploaded.upload_descriptor is None
    preview = "data:image/png;base64," + base64.b64encode(image).decode()
    assert str(uploaded.preview_url) == preview
    assert stored_files(server) == {f"{created.id}.json", f"{created.id}.bin"}
    assert (data_dir(server) / "attachments" / f"{created.id}.bin").read_bytes() == image

    note = b"milk\neggs\n"
    _, text_file = upload(client, "shopping.txt", note, "text/plain")
    assert isinstance(text_file, FileAttachment)

    message = user_input("Add the tasks from this screenshot")
    message["attachments"] = [created.id, text_file.id]
    s = client.stream("threads.create", {"input": message})
    thread_id = s.events[0].thread.id
    user = s.events[1].item
    assert isinstance(user, UserMessageItem)
    assert [a.id for a in user.attachments] == [created.id, text_file.id]
    assert all(a.thread_id == thread_id for a in user.attachments)
    assert str(user.attachments[0].preview_url) == preview, "the thread shows the image's thumbnail"
    assert user.attachments[1].name == "shopping.txt"
    assert "error" not in s.types(), s.types()

    # Reopened, the message still carries both (items.list and threads.get_by_id).
    for item in (client.list_items(thread_id, order="asc").data[0], client.get_thread(thread_id).items.data[0]):
        assert isinstance(item, UserMessageItem)
        assert [a.id for a in item.attachments] == [created.id, text_file.id]
        assert str(item.attachments[0].preview_url) == preview

    # A sent attachment cannot be sent again, nor re-uploaded.
    again = user_input("again")
    again["attachments"] = [created.id]
    before = client.snapshot()
    assert_error(client.post("threads.add_user_message", {"thread_id": thread_id, "input": again}), 400, "invalid_request")
    assert_error(put(client, str(descriptor.url), image), 400, "invalid_request")
    assert client.snapshot() == before

    # Deleting the thread deletes its attachments, and only those.
    _, unsent = upload(client, "later.png", image, "image/png")
    client.call("threads.delete", {"thread_id": thread_id})
    left = stored_files(server, backups=True)
    assert {n for n in left if not n.startswith(unsent.id)} == set(), left
    assert stored_files(server) == {f"{unsent.id}.json", f"{unsent.id}.bin"}


@pytest.mark.parametrize(
    "params,status,code",
    [
        ({"name": "huge.png", "size": 10 * 1024 * 1024 + 1, "mime_type": "image/png"}, 413, "attachment_too_large"),
        ({"name": "tool.exe", "size": 100, "mime_type": "application/x-msdownload"}, 415, "attachment_type_not_allowed"),
        ({"name": "logo.svg", "size": 100, "mime_type": "image/svg+xml"}, 415, "attachment_type_not_allowed"),
        ({"name": "clip.mp4", "size": 100, "mime_type": "video/mp4"}, 415, "attachment_type_not_allowed"),
    ],
)
def test_create_refuses_what_is_too_large_or_not_allowed(server, client, params, status, code):
    before = client.snapshot()
    body = assert_error(client.post("attachments.create", params), status, code)
    assert params["name"] in body["message"], "the message names the file"
    assert client.snapshot() == before and stored_files(server) == set()


def test_upload_checks_the_bytes_and_the_secret(server, client):
    created = create(client, "photo.png", b"x" * 20, "image/png")
    url = str(created.upload_descriptor.url)
    body = assert_error(put(client, url, b"GIF89a" + b"\x00" * 20), 415, "attachment_type_not_allowed")
    assert "image/gif" in body["message"]
    assert_error(put(client, url, png(), auth=False), 401, "unauthenticated")
    assert_error(put(client, url, b"\x00" * (10 * 1024 * 1024 + 1)), 413, "attachment_too_large")
    assert stored_files(server) == {f"{created.id}.json"}, "refused bytes are not kept"

    # Not uploaded yet: a message cannot carry it, and nothing is stored.
    message = user_input("look")
    message["attachments"] = [created.id]
    before = client.snapshot()
    assert_error(client.post("threads.create", {"input": message}), 400, "invalid_request")
    missing = user_input("look")
    missing["attachments"] = ["att_0000000000000000"]
    assert_error(client.post("threads.create", {"input": missing}), 404, "not_found")
    assert client.snapshot() == before

    text = create(client, "notes.txt", b"\xff\xfe", "text/plain")
    assert_error(put(client, str(text.upload_descriptor.url), b"\xff\xfe\x00bad"), 415, "attachment_type_not_allowed")
    _, pdf = upload(client, "plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    assert isinstance(pdf, FileAttachment) and pdf.mime_type == "application/pdf"


def test_delete_removes_an_unsent_attachment(server, client):
    created, _ = upload(client, "notes.md", b"# Notes", "")
    assert created.mime_type == "text/markdown", "a type the browser left empty is read from the name"
    assert client.call("attachments.delete", {"attachment_id": created.id}) == {}
    assert stored_files(server, backups=True) == set()
    assert_error(client.post("attachments.delete", {"attachment_id": created.id}), 404, "not_found")
    assert_error(client.post("attachments.delete", {"attachment_id": "../tasks.db"}), 404, "not_found")


def test_a_mention_tag_is_kept_in_the_message(server, client):
    tag = {"type": "input_tag", "id": "task_42", "text": "Buy groceries", "data": {"type": "task"}, "interactive": True}
    content = [{"type": "input_text", "text": "mark "}, tag, {"type": "input_text", "text": " done"}]
    s = client.stream("threads.create", {"input": {"content": content, "attachments": [], "inference_options": {}}})
    thread_id = s.events[0].thread.id
    user = s.events[1].item
    assert isinstance(user, UserMessageItem)
    sent = user.content[1]
    assert isinstance(sent, UserMessageTagContent)
    assert (sent.id, sent.text, sent.data, sent.interactive) == ("task_42", "Buy groceries", {"type": "task"}, True)
    stored = client.list_items(thread_id, order="asc").data[0]
    assert json.loads(json.dumps(stored.content[1].model_dump())) == {**tag, "group": None}
    reply = "".join(e.update.delta for e in s.of("thread.item.updated") if e.update.type.endswith("text_delta"))
    assert reply == "You said: mark Buy groceries done", "the echo reads the tag as its text"
    assert EVENT  # every event above was validated as openai-chatkit's ThreadStreamEvent
