import type { Channel } from "@tauri-apps/api/core";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChatKitChunk, ChatKitReply, ClientSecret } from "../bindings";
import { createIpcFetch } from "./ipcFetch";

const URL_ = "https://todo-assistant.invalid/chatkit";
const NOW_MS = 1_700_000_000_000;
const SECRET: ClientSecret = { client_secret: "cs_first", expires_at: NOW_MS / 1000 + 600 };
const LIST_BODY = '{"data":[],"has_more":false}';

type Args = Record<string, unknown>;
type Call = { cmd: string; args: Args };
type Handler = (args: Args) => unknown;

interface MockInternals {
  runCallback: (id: number, data: unknown) => void;
}

/** Sends what the Rust side of a channel sends: indexed messages, then the channel's end. */
function channelFrom(args: Args) {
  const channel = args.onEvent as Channel<ChatKitChunk>;
  const internals = (window as unknown as { __TAURI_INTERNALS__: MockInternals }).__TAURI_INTERNALS__;
  let index = 0;
  return {
    event: (data: unknown) => {
      internals.runCallback(channel.id, { index: index++, message: { kind: "event", data: JSON.stringify(data) } });
    },
    end: () => {
      internals.runCallback(channel.id, { index: index++, message: { kind: "end" } });
      internals.runCallback(channel.id, { index, end: true });
    },
  };
}

/** Fakes the core at the IPC boundary and records what was asked of it. */
function fakeCore(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const payload = (args ?? {}) as Args;
    calls.push({ cmd, args: payload });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(payload);
  });
  return calls;
}

const json = (body: string, status = 200): ChatKitReply => ({
  status,
  content_type: "application/json",
  body,
  stream_id: null,
});
const streamed = (streamId: string): ChatKitReply => ({
  status: 200,
  content_type: "text/event-stream",
  body: null,
  stream_id: streamId,
});
const post = (type: string, params: unknown, signal?: AbortSignal) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ type, params }),
  signal,
});
const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const named = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  clearMocks();
});

describe("ChatKit's fetch over IPC", () => {
  it("answers a JSON op with the core's body, status and content type", async () => {
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => json(LIST_BODY),
    });
    const ipcFetch = createIpcFetch({ now: () => NOW_MS });
    const response = await ipcFetch(URL_, post("threads.list", { limit: 20, order: "desc" }));

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.text()).toBe(LIST_BODY);
    const [fetchCall] = named(calls, "chatkit_fetch");
    expect(fetchCall?.args.body).toBe('{"type":"threads.list","params":{"limit":20,"order":"desc"}}');
    expect(fetchCall?.args.clientSecret).toBe("cs_first");
  });

  it("passes the core's error status and {code, message} body through", async () => {
    fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => json('{"code":"not_found","message":"No thread thr_x."}', 404),
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.get_by_id", { thread_id: "thr_x" }));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: "not_found", message: "No thread thr_x." });
  });

  it("streams events in order, including those that arrive before the invoke resolves", async () => {
    const held: { channel: ReturnType<typeof channelFrom> | null } = { channel: null };
    fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: (args) => {
        const channel = channelFrom(args);
        // The core may send before its answer reaches the webview.
        channel.event({ type: "thread.created", n: 1 });
        channel.event({ type: "thread.item.done", n: 2 });
        held.channel = channel;
        return streamed("stream_1");
      },
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.create", { input: {} }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");

    const reader = response.body?.getReader();
    const channel = held.channel;
    if (!reader || !channel) throw new Error("expected a streamed body");
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"n":2')) {
      const { value } = await reader.read();
      text += decoder.decode(value);
    }
    expect(text).toBe(frame({ type: "thread.created", n: 1 }) + frame({ type: "thread.item.done", n: 2 }));

    channel.event({ type: "thread.item.updated", n: 3 });
    channel.event({ type: "thread.item.done", n: 4 });
    channel.end();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe(
      [1, 2, 3, 4]
        .map((n) => frame({ type: ["thread.created", "thread.item.done", "thread.item.updated", "thread.item.done"][n - 1], n }))
        .join(""),
    );
  });

  it("closes at once when the whole stream arrived before the invoke resolved", async () => {
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: (args) => {
        const channel = channelFrom(args);
        channel.event({ type: "stream_options" });
        channel.end();
        return streamed("stream_early");
      },
      chatkit_cancel: () => false,
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.add_user_message", {}));
    expect(await response.text()).toBe(frame({ type: "stream_options" }));
    expect(named(calls, "chatkit_cancel")).toHaveLength(0);
  });

  it("cancels the stream in the core exactly once when the request is aborted", async () => {
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: (args) => {
        channelFrom(args).event({ type: "thread.item.added" });
        return streamed("stream_abort");
      },
      chatkit_cancel: () => true,
    });
    const controller = new AbortController();
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.create", {}, controller.signal));
    const reader = response.body?.getReader();
    if (!reader) throw new Error("expected a streamed body");
    await reader.read();

    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await reader.cancel().catch(() => undefined);
    controller.abort();
    await tick();
    expect(named(calls, "chatkit_cancel").map((c) => c.args)).toEqual([{ streamId: "stream_abort" }]);
  });

  it("cancels the stream in the core exactly once when the body is cancelled", async () => {
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => streamed("stream_dropped"),
      chatkit_cancel: () => true,
    });
    const controller = new AbortController();
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.create", {}, controller.signal));
    await response.body?.cancel();
    controller.abort();
    await tick();
    expect(named(calls, "chatkit_cancel").map((c) => c.args)).toEqual([{ streamId: "stream_dropped" }]);
  });

  it("rejects like fetch when aborted before the core answers, then stops the late stream", async () => {
    let answer: (reply: ChatKitReply) => void = () => undefined;
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => new Promise<ChatKitReply>((resolve) => (answer = resolve)),
      chatkit_cancel: () => true,
    });
    const controller = new AbortController();
    const pending = createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.create", {}, controller.signal));
    await tick();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    answer(streamed("stream_late"));
    await tick();
    expect(named(calls, "chatkit_cancel").map((c) => c.args)).toEqual([{ streamId: "stream_late" }]);
  });

  it("turns a refused invoke into a 500 with the core's {code, message}, never a hang", async () => {
    const failure = { code: "keychain_unavailable", message: "The system keychain is not available." };
    fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => {
        // A rejected invoke carries the core's {code, message}.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw failure;
      },
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.list", {}));
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(failure);
  });

  it("reports a client secret the core cannot issue the same way", async () => {
    const failure = { code: "keychain_unavailable", message: "No keychain." };
    const calls = fakeCore({
      chatkit_client_secret: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw failure;
      },
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.list", {}));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual(failure);
    expect(named(calls, "chatkit_fetch")).toHaveLength(0);
  });

  it("tells onError of each coded failure, but not of an abort", async () => {
    const failure = { code: "sign_in_required", message: "The backend asked to sign in again." };
    const late = { answer: () => { /* set when the slow request arrives */ } };
    fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: (args) => {
        const body = JSON.parse(String(args.body)) as { type: string };
        if (body.type === "threads.get") {
          return new Promise((resolve) => {
            late.answer = () => { resolve(json(LIST_BODY)); };
          });
        }
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw failure;
      },
    });
    const onError = vi.fn();
    const ipcFetch = createIpcFetch({ now: () => NOW_MS, onError });
    await ipcFetch(URL_, post("threads.list", {}));
    expect(onError).toHaveBeenCalledWith(failure);

    const controller = new AbortController();
    const pending = ipcFetch(URL_, post("threads.get", { thread_id: "thr_1" }, controller.signal));
    await tick();
    controller.abort();
    await expect(pending).rejects.toThrow();
    late.answer();
    await tick();
    expect(onError).toHaveBeenCalledOnce();
  });

  it("reuses the client secret while it is fresh and renews it, passing the current one, near expiry", async () => {
    let clock = NOW_MS;
    const calls = fakeCore({
      chatkit_client_secret: (args) =>
        args.current === null ? SECRET : { client_secret: "cs_second", expires_at: clock / 1000 + 600 },
      chatkit_fetch: () => json(LIST_BODY),
    });
    const ipcFetch = createIpcFetch({ now: () => clock });
    await Promise.all([ipcFetch(URL_, post("threads.list", {})), ipcFetch(URL_, post("threads.list", {}))]);
    await ipcFetch(URL_, post("threads.list", {}));
    expect(named(calls, "chatkit_client_secret").map((c) => c.args)).toEqual([{ current: null }]);

    clock += 550_000; // 50 s left
    await ipcFetch(URL_, post("threads.list", {}));
    expect(named(calls, "chatkit_client_secret").map((c) => c.args)).toEqual([{ current: null }, { current: "cs_first" }]);
    expect(named(calls, "chatkit_fetch").map((c) => c.args.clientSecret)).toEqual([
      "cs_first",
      "cs_first",
      "cs_first",
      "cs_second",
    ]);
  });

  it("renews the secret and resends once when the core answers 401", async () => {
    const unauthenticated = json('{"code":"unauthenticated","message":"Expired."}', 401);
    const replies = [unauthenticated, json(LIST_BODY)];
    const secrets = [SECRET, { ...SECRET, client_secret: "cs_renewed" }];
    const calls = fakeCore({
      chatkit_client_secret: () => secrets.shift(),
      chatkit_fetch: () => replies.shift() ?? unauthenticated,
    });
    const response = await createIpcFetch({ now: () => NOW_MS })(URL_, post("threads.list", {}));
    expect(response.status).toBe(200);
    expect(named(calls, "chatkit_fetch").map((c) => c.args.clientSecret)).toEqual(["cs_first", "cs_renewed"]);
    // The refused secret is not offered back for reuse.
    expect(named(calls, "chatkit_client_secret").map((c) => c.args)).toEqual([{ current: null }, { current: null }]);
  });

  it("reads the body from a Request too", async () => {
    const calls = fakeCore({
      chatkit_client_secret: () => SECRET,
      chatkit_fetch: () => json("{}"),
    });
    await createIpcFetch({ now: () => NOW_MS })(new Request(URL_, post("threads.delete", { thread_id: "thr_1" })));
    expect(named(calls, "chatkit_fetch")[0]?.args.body).toBe('{"type":"threads.delete","params":{"thread_id":"thr_1"}}');
  });
});
