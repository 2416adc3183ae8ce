import type { ThreadItem, ThreadMetadata } from "./protocol";

/** A thread of `count` items, questions and Markdown answers in turn: for tests and the benchmark. */
export function longThread(count: number): { thread: ThreadMetadata; items: ThreadItem[] } {
  const thread: ThreadMetadata = { id: "thr_long", title: "A long thread", created_at: "2026-12-01T09:00:00Z" };
  const items: ThreadItem[] = [];
  for (let n = 0; n < count; n += 1) {
    const base = { id: `item_${n}`, thread_id: thread.id, created_at: "2026-12-01T09:00:00Z" };
    items.push(
      n % 2 === 0
        ? { ...base, type: "user_message", content: [{ type: "input_text", text: `Question ${n}` }], inference_options: {} }
        : {
            ...base,
            type: "assistant_message",
            content: [{ type: "output_text", text: `Answer ${n} with **bold**, a list:\n\n- one\n- two\n`, annotations: [] }],
          },
    );
  }
  return { thread, items };
}
