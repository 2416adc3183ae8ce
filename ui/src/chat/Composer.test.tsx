import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChatKitReply, Task } from "../bindings";
import { createIpcFetch } from "../chatkit/ipcFetch";
import type { Attachment } from "./attachments";
import { createChatKitClient } from "./chatkitClient";
import type { RichInput } from "./chatSession";
import { Composer } from "./Composer";
import { modelOptions } from "./useChatModels";

const URL_ = "https://todo-assistant.invalid/chatkit";
const SECRET = { client_secret: "cs_test", expires_at: Date.now() / 1000 + 600 };

const task = (id: string, title: string, completed = false): Task => ({
  id,
  title,
  completed,
  created_at: "2026-12-01T09:00:00Z",
  updated_at: "2026-12-01T09:00:00Z",
});
const TASKS = [task("t1", "Buy groceries"), task("t2", "Buy groceries for mom"), task("t3", "Call the plumber", true)];

const json = (body: unknown, status = 200): ChatKitReply => ({
  status,
  content_type: "application/json",
  body: JSON.stringify(body),
  stream_id: null,
});

interface FakeCore {
  searches: string[];
  uploads: { attachmentId: string; bytes: string }[];
  deleted: string[];
}

/**
 * The core at the IPC boundary: `search_tasks` filters like the core (title contains the
 * query), `chatkit_fetch` answers `attachments.create` / `attachments.delete`, and
 * `chatkit_upload` checks the bytes' type like the core (a PNG must start as one).
 */
function fakeCore(): FakeCore {
  const core: FakeCore = { searches: [], uploads: [], deleted: [] };
  const made = new Map<string, Attachment>();
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    if (cmd === "search_tasks") {
      const query = String(args.query).toLowerCase();
      core.searches.push(query);
      return TASKS.filter((t) => t.title.toLowerCase().includes(query));
    }
    if (cmd === "chatkit_client_secret") return SECRET;
    if (cmd === "chatkit_fetch") {
      const request = JSON.parse(String(args.body)) as { type: string; params: Record<string, unknown> };
      if (request.type === "attachments.create") {
        const id = `att_${String(made.size).padStart(16, "0")}`;
        const mime = String(request.params.mime_type);
        const attachment: Attachment = {
          type: mime.startsWith("image/") ? "image" : "file",
          id,
          name: String(request.params.name),
          mime_type: mime,
          upload_descriptor: { url: `${URL_}/attachments/${id}/upload`, method: "PUT", headers: {} },
        };
        made.set(id, attachment);
        return json(attachment);
      }
      if (request.type === "attachments.delete") {
        core.deleted.push(String(request.params.attachment_id));
        return json({});
      }
      throw new Error(`unexpected op ${request.type}`);
    }
    if (cmd === "chatkit_upload") {
      const attachmentId = String(args.attachmentId);
      const bytes = atob(String(args.dataBase64));
      core.uploads.push({ attachmentId, bytes });
      const attachment = made.get(attachmentId);
      if (!attachment) return json({ code: "not_found", message: "No attachment." }, 404);
      if (attachment.mime_type === "image/png" && !bytes.startsWith("\x89PNG")) {
        return json({ code: "attachment_type_not_allowed", message: `“${attachment.name}” is not the image/png file its type says.` }, 415);
      }
      const done: Attachment = { ...attachment, upload_descriptor: null };
      if (done.type === "image") done.preview_url = `data:${done.mime_type};base64,${String(args.dataBase64)}`;
      return json(done);
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return core;
}

function renderComposer() {
  const client = createChatKitClient(createIpcFetch(), URL_);
  const onSend = vi.fn<(text: string, rich: RichInput) => Promise<boolean>>(() => Promise.resolve(true));
  render(
    <Composer
      streaming={false}
      canStop={false}
      onSend={onSend}
      onStop={() => undefined}
      onUpload={(file) => client.uploadAttachment(file)}
      onDiscardUpload={(id) => void client.deleteAttachment(id)}
    />,
  );
  const box = screen.getByRole<HTMLTextAreaElement>("combobox", { name: "Message the assistant" });
  return { box, onSend };
}

function type(box: HTMLTextAreaElement, text: string) {
  fireEvent.input(box, { target: { value: text, selectionStart: text.length } });
}

const PNG_BYTES = "\x89PNG\r\n\x1a\n-image-bytes";
/** A file whose bytes start as a PNG's do (one byte per character, as the core reads it). */
const png = (name: string) =>
  new File([Uint8Array.from(PNG_BYTES, (c) => c.charCodeAt(0))], name, { type: "image/png" });

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("the built-in composer's @ menu", () => {
  it("searches the tasks, moves with ↑/↓, picks with Enter, and sends the mention as a tag", async () => {
    const core = fakeCore();
    const { box, onSend } = renderComposer();
    type(box, "mark @groc");
    const list = await screen.findByRole("listbox", { name: "Tasks to mention" });
    expect(core.searches).toContain("groc");
    const options = within(list).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Buy groceriesPending", "Buy groceries for momPending"]);
    expect(options[0]).toHaveProperty("ariaSelected", "true");
    expect(box.getAttribute("aria-activedescendant")).toBe(options[0]?.id);

    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(within(list).getAllByRole("option")[1]).toHaveProperty("ariaSelected", "true");
    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(within(list).getAllByRole("option")[0]).toHaveProperty("ariaSelected", "true"); // wrapped around
    fireEvent.keyDown(box, { key: "ArrowUp" });
    fireEvent.keyDown(box, { key: "Enter" });

    expect(box.value).toBe("mark @Buy groceries for mom ");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();

    type(box, "mark @Buy groceries for mom done");
    fireEvent.keyDown(box, { key: "Enter" });
    expect(onSend).toHaveBeenCalledTimes(1);
    const [text, rich] = onSend.mock.calls[0] ?? [];
    expect(text).toBe("mark @Buy groceries for mom done");
    expect(rich?.content).toEqual([
      { type: "input_text", text: "mark " },
      { type: "input_tag", id: "t2", text: "Buy groceries for mom", data: { type: "task" }, interactive: true },
      { type: "input_text", text: " done" },
    ]);
    expect(box.value).toBe("");
  });

  it("closes on Escape without sending, and stays closed for that @", async () => {
    fakeCore();
    const { box, onSend } = renderComposer();
    type(box, "@plumb");
    await screen.findByRole("listbox");
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    type(box, "@plumbe");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: "Enter" });
    expect(onSend.mock.calls[0]?.[1].content).toEqual([{ type: "input_text", text: "@plumbe" }]);
  });

  it("offers nothing when no task matches, so Enter sends", async () => {
    const core = fakeCore();
    const { box, onSend } = renderComposer();
    type(box, "email @zebra");
    await waitFor(() => {
      expect(core.searches).toContain("zebra");
    });
    expect(screen.queryByRole("listbox")).toBeNull();
    fireEvent.keyDown(box, { key: "Enter" });
    expect(onSend).toHaveBeenCalledTimes(1);
  });
});

describe("the built-in composer's attachments", () => {
  it("uploads a picked image over IPC, shows it as a chip, and sends it with the message", async () => {
    const core = fakeCore();
    const { box, onSend } = renderComposer();
    const input = document.querySelector<HTMLInputElement>("input[type=file][name=attachments]");
    expect(input?.accept).toContain("image/png");
    fireEvent.change(input as HTMLInputElement, { target: { files: [png("shot.png")] } });
    const strip = screen.getByRole("list", { name: "Attachments" });
    expect(within(strip).getByText("shot.png")).toBeTruthy();
    await waitFor(() => {
      expect(strip.querySelector("[data-state=ready]")).not.toBeNull();
    });
    expect(core.uploads).toEqual([{ attachmentId: "att_0000000000000000", bytes: PNG_BYTES }]);

    type(box, "Add the tasks from this screenshot");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const rich = onSend.mock.calls[0]?.[1];
    expect(rich?.attachments?.map((a) => [a.id, a.name, a.upload_descriptor])).toEqual([
      ["att_0000000000000000", "shot.png", null],
    ]);
    expect(screen.queryByRole("list", { name: "Attachments" })).toBeNull();
  });

  it("takes pasted and dropped files, refuses types the core does not accept, and says what the core refused", async () => {
    const core = fakeCore();
    const { box } = renderComposer();
    fireEvent.paste(box, { clipboardData: { files: [png("pasted.png")] } });
    const form = screen.getByRole("form", { name: "Message" });
    fireEvent.drop(form, { dataTransfer: { files: [new File(["milk\neggs"], "list.txt", { type: "text/plain" })] } });
    fireEvent.drop(form, { dataTransfer: { files: [new File(["MZ"], "setup.exe", { type: "application/x-msdownload" })] } });
    fireEvent.drop(form, { dataTransfer: { files: [new File(["GIF89a"], "fake.png", { type: "image/png" })] } });

    const strip = screen.getByRole("list", { name: "Attachments" });
    await waitFor(() => {
      expect(strip.querySelectorAll("[data-state=uploading]")).toHaveLength(0);
    });
    const state = (name: string) => within(strip).getByText(name).closest("li")?.getAttribute("data-state");
    expect([state("pasted.png"), state("list.txt"), state("setup.exe"), state("fake.png")]).toEqual([
      "ready",
      "ready",
      "failed",
      "failed",
    ]);
    const errors = within(strip).getAllByRole("alert");
    expect(errors.map((e) => e.getAttribute("data-code"))).toEqual(["attachment_type_not_allowed", "attachment_type_not_allowed"]);
    expect(errors[1]?.textContent).toContain("is not the image/png file its type says");
    expect(core.uploads.map((u) => u.bytes)).toEqual([PNG_BYTES, "milk\neggs", "GIF89a"]);

    // Removing an uploaded chip deletes the upload in the core.
    fireEvent.click(within(strip).getByRole("button", { name: "Remove list.txt" }));
    await waitFor(() => {
      expect(core.deleted).toEqual(["att_0000000000000001"]);
    });
    expect(within(strip).queryByText("list.txt")).toBeNull();
  });
});

describe("the built-in composer's model picker", () => {
  it("shows only when the connection lists several models, and reports the pick", () => {
    fakeCore();
    const picks: string[] = [];
    const props = {
      streaming: false,
      canStop: false,
      onSend: () => Promise.resolve(true),
      onStop: () => undefined,
      onModelChange: (model: string) => picks.push(model),
    };
    const { rerender } = render(<Composer {...props} models={["gpt-5-mini"]} model="gpt-5-mini" />);
    expect(screen.queryByRole("combobox", { name: "Model" })).toBeNull();
    rerender(<Composer {...props} models={["gpt-4.1", "gpt-5-mini"]} model="gpt-5-mini" />);
    const picker = screen.getByRole<HTMLSelectElement>("combobox", { name: "Model" });
    expect(picker.value).toBe("gpt-5-mini");
    expect([...picker.options].map((o) => o.value)).toEqual(["gpt-4.1", "gpt-5-mini"]);
    fireEvent.change(picker, { target: { value: "gpt-4.1" } });
    expect(picks).toEqual(["gpt-4.1"]);
  });

  it("gives ChatKit the list with the connection's model as default, and nothing to pick from one", () => {
    expect(modelOptions({ models: ["gpt-4.1", "gpt-5-mini"], default: "gpt-5-mini" })).toEqual([
      { id: "gpt-4.1", label: "gpt-4.1", default: false },
      { id: "gpt-5-mini", label: "gpt-5-mini", default: true },
    ]);
    expect(modelOptions({ models: ["gpt-5-mini"], default: "gpt-5-mini" })).toBeUndefined();
    expect(modelOptions(null)).toBeUndefined();
  });
});
