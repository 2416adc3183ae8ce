import { Channel } from "@tauri-apps/api/core";
import { commands, type AppError, type ChatKitChunk, type ChatKitReply, type ClientSecret } from "../bindings";
import { asAppError, unwrap } from "../shared/ipc";

/** What ChatKit calls as `api.fetch`. */
export type IpcFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** A secret is reused while it has this long left: the core's own renewal threshold. */
const REUSE_MARGIN_MS = 60_000;

export interface IpcFetchOptions {
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
  /**
   * Told of every coded failure (e.g. `sign_in_required` from a backend's ChatKit
   * endpoint), which ChatKit itself only sees as a failed request.
   */
  onError?: (error: AppError) => void;
}

/**
 * ChatKit's `api.fetch` over Tauri IPC: every request carries a client secret from the
 * core, JSON answers become ordinary responses, and streamed answers become an SSE body
 * fed by an IPC channel. Dropping or aborting that body stops the stream in the core.
 */
export function createIpcFetch({ now = Date.now, onError }: IpcFetchOptions = {}): IpcFetch {
  let secret: ClientSecret | null = null;
  let renewing: Promise<ClientSecret> | null = null;

  const clientSecret = (): Promise<ClientSecret> => {
    if (secret && secret.expires_at * 1000 - now() > REUSE_MARGIN_MS) return Promise.resolve(secret);
    // Concurrent requests share one renewal.
    renewing ??= unwrap(commands.chatkitClientSecret(secret?.client_secret ?? null))
      .then((fresh) => {
        secret = fresh;
        return fresh;
      })
      .finally(() => {
        renewing = null;
      });
    return renewing;
  };

  return async (input, init) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : null);
    signal?.throwIfAborted();
    const uploadId = uploadTarget(input);
    try {
      if (uploadId !== null) {
        // An attachment's bytes, sent where `attachments.create` said: over IPC too.
        const data = await uploadBytes(input, init);
        let reply = await unwrap(commands.chatkitUpload(uploadId, data, (await clientSecret()).client_secret));
        if (reply.status === 401) {
          secret = null;
          reply = await unwrap(commands.chatkitUpload(uploadId, data, (await clientSecret()).client_secret));
        }
        return new Response(reply.body ?? "", { status: reply.status, headers: { "content-type": reply.content_type } });
      }
      const body = await requestBody(input, init);
      let sent = await send(body, (await clientSecret()).client_secret, signal);
      if (sent.reply.status === 401) {
        // The core refused the secret (e.g. it expired while the machine slept): renew once
        // and resend. A refused request was never processed, so sending it again is safe.
        secret = null;
        sent = await send(body, (await clientSecret()).client_secret, signal);
      }
      return toResponse(sent, signal);
    } catch (thrown) {
      if (signal?.aborted) throw thrown;
      const error = asAppError(thrown);
      onError?.(error);
      return errorResponse(error);
    }
  };
}

interface Sent {
  reply: ChatKitReply;
  /** Chunks that arrived before anyone listened, and the way to listen from now on. */
  buffered: ChatKitChunk[];
  listen: (sink: (chunk: ChatKitChunk) => void) => void;
}

/** One `chatkit_fetch`; channel messages may arrive before the invoke resolves, so they are buffered. */
async function send(body: string, clientSecret: string, signal: AbortSignal | null): Promise<Sent> {
  signal?.throwIfAborted();
  const buffered: ChatKitChunk[] = [];
  let sink: ((chunk: ChatKitChunk) => void) | null = null;
  const channel = new Channel<ChatKitChunk>((chunk) => {
    if (sink) sink(chunk);
    else buffered.push(chunk);
  });
  const pending = unwrap(commands.chatkitFetch(body, clientSecret, channel));
  const reply = await abortable(pending, signal, (late) => {
    // Aborted before the answer came: stop its stream when it does.
    if (late.stream_id) void cancelStream(late.stream_id);
  });
  return {
    reply,
    buffered,
    listen: (next) => {
      sink = next;
    },
  };
}

function toResponse({ reply, buffered, listen }: Sent, signal: AbortSignal | null): Response {
  const headers = { "content-type": reply.content_type };
  const streamId = reply.stream_id;
  if (streamId === null) {
    return new Response(reply.body ?? "", { status: reply.status, headers });
  }

  const encoder = new TextEncoder();
  let ended = false;
  let cancelled = false;
  const cancelOnce = () => {
    if (ended || cancelled) return;
    cancelled = true;
    void cancelStream(streamId);
  };
  let onAbort: (() => void) | null = null;
  const finish = () => {
    ended = true;
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const deliver = (chunk: ChatKitChunk) => {
        if (ended || cancelled) return;
        if (chunk.kind === "event") {
          controller.enqueue(encoder.encode(`data: ${chunk.data}\n\n`));
        } else {
          finish();
          controller.close();
        }
      };
      onAbort = () => {
        cancelOnce();
        if (!ended) {
          finish();
          controller.error(abortReason(signal));
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      for (const chunk of buffered.splice(0)) deliver(chunk);
      listen(deliver);
    },
    cancel() {
      cancelOnce();
      finish();
    },
  });
  return new Response(stream, { status: reply.status, headers });
}

function errorResponse(error: AppError): Response {
  return new Response(JSON.stringify({ code: error.code, message: error.message }), {
    status: 500,
    headers: { "content-type": "application/json" },
  });
}

async function cancelStream(streamId: string): Promise<void> {
  try {
    await commands.chatkitCancel(streamId);
  } catch {
    // The stream is gone either way; nothing to tell the user.
  }
}

/** The attachment id when `input` is an upload URL the core handed out (`…/chatkit/attachments/<id>/upload`). */
export function uploadTarget(input: RequestInfo | URL): string | null {
  const url = input instanceof Request ? input.url : input.toString();
  const match = /\/chatkit\/attachments\/([A-Za-z0-9_]+)\/upload$/.exec(new URL(url, "https://x.invalid").pathname);
  return match?.[1] ?? null;
}

/** An upload's bytes as base64: the body itself, or the `file` field of a multipart form. */
async function uploadBytes(input: RequestInfo | URL, init?: RequestInit): Promise<string> {
  let body: unknown = init?.body ?? (input instanceof Request ? await input.blob() : null);
  if (body instanceof FormData) body = body.get("file");
  let blob: Blob;
  if (body instanceof Blob) blob = body;
  else if (body instanceof ArrayBuffer || ArrayBuffer.isView(body) || typeof body === "string") blob = new Blob([body as BlobPart]);
  else blob = new Blob([]);
  return base64Of(blob);
}

/** The browser's own base64 encoder, through a data URL. */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === "string" ? reader.result : "";
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error("The file could not be read."));
    };
    reader.readAsDataURL(blob);
  });
}

async function requestBody(input: RequestInfo | URL, init?: RequestInit): Promise<string> {
  if (init?.body != null) {
    return typeof init.body === "string" ? init.body : new Response(init.body).text();
  }
  return input instanceof Request ? input.text() : "";
}

/** Settles with `pending`, or rejects as fetch does when `signal` aborts first. */
function abortable<T>(pending: Promise<T>, signal: AbortSignal | null, onLate: (value: T) => void): Promise<T> {
  if (!signal) return pending;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) onLate(value);
        else resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function abortReason(signal: AbortSignal | null): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("The request was aborted.", "AbortError");
}
