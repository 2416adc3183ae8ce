/**
 * Reads a `text/event-stream` body as the ChatKit server writes it: frames of
 * `data: <json>` lines separated by a blank line, no end sentinel. Comment lines and
 * other fields are skipped; a frame that is not JSON is skipped rather than ending the
 * stream, as one bad frame should not lose the rest of an answer.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // Frames end at a blank line; CRLF is allowed by the SSE grammar.
      const frames = buffer.split(/\r?\n\r?\n/);
      buffer = done ? "" : (frames.pop() ?? "");
      for (const frame of frames) {
        const parsed = parseFrame(frame);
        if (parsed !== undefined) yield parsed;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

function parseFrame(frame: string): unknown {
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  if (data.length === 0) return undefined;
  try {
    return JSON.parse(data.join("\n")) as unknown;
  } catch {
    return undefined;
  }
}
