/**
 * Benchmark (`npx vitest bench --run ui/src/chat`, printed by tests/bench.sh): the built-in
 * chat's list with a thread of 1,000 items, in jsdom (no layout or paint, so these are the
 * React and virtualizer costs a real webview adds its drawing to). It prints React
 * Profiler figures (render time, rows re-rendered per delta), then vitest's wall-clock
 * figures for the same two steps. Targets, not assertions:
 * opening a 1,000-item thread well under a frame budget of 100 ms; a streamed text delta
 * under 2 ms (messageList.test.tsx asserts it re-renders one row).
 */
import { act, cleanup, render } from "@testing-library/react";
import { Profiler } from "react";
import { afterAll, bench, describe } from "vitest";
import type { RowActions } from "./ItemRow";
import { longThread } from "./longThread";
import { MessageList } from "./MessageList";
import { createThreadStore, type ThreadStore } from "./threadStore";

const ITEMS = 1000;
const actions: RowActions = {
  retryAnswer: () => undefined,
  feedback: () => undefined,
  action: () => Promise.resolve(),
  editMessage: () => undefined,
};
const { thread, items } = longThread(ITEMS);

function open(): ThreadStore {
  const store = createThreadStore();
  store.dispatch({ type: "local.opened", thread, items, hasMore: false, after: null });
  act(() => {
    render(<MessageList store={store} actions={actions} onLoadOlder={() => undefined} />);
  });
  return store;
}

/**
 * React's own figures (Profiler actualDuration: time spent rendering, without the test
 * DOM's overhead), printed once when the file loads: the open, and 200 deltas.
 */
function profilerFigures(): string {
  let phase: "open" | "delta" = "open";
  let spent = 0;
  const rows = new Set<string>();
  const store = createThreadStore();
  store.dispatch({ type: "local.opened", thread, items, hasMore: false, after: null });
  act(() => {
    render(
      <Profiler id="thread" onRender={(_id, _phase, actual) => { spent += actual; }}>
        <MessageList store={store} actions={actions} onLoadOlder={() => undefined}
          onRowRender={(id) => { if (phase === "delta") rows.add(id); }} />
      </Profiler>,
    );
  });
  const open = spent;
  phase = "delta";
  const deltas: number[] = [];
  let mostRows = 0;
  for (let n = 0; n < 200; n += 1) {
    spent = 0;
    rows.clear();
    act(() => {
      store.dispatch({
        type: "thread.item.updated",
        item_id: `item_${ITEMS - 1}`,
        update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: " more" },
      });
    });
    deltas.push(spent);
    mostRows = Math.max(mostRows, rows.size);
  }
  cleanup();
  deltas.sort((a, b) => a - b);
  const at = (q: number) => (deltas[Math.min(deltas.length - 1, Math.floor(q * deltas.length))] ?? 0).toFixed(2);
  return [
    `React Profiler, a thread of ${ITEMS} items:`,
    `  open: ${open.toFixed(1)} ms rendering (target < 100 ms)`,
    `  a streamed delta: median ${at(0.5)} ms, p95 ${at(0.95)} ms rendering (target < 2 ms);`
    + ` rows re-rendered per delta: at most ${mostRows} (target 1)`,
  ].join("\n");
}

// The first run pays for compiling the code; the second is the one reported.
profilerFigures();
console.log(profilerFigures());

describe(`a thread of ${ITEMS} items (targets: open < 100 ms, a delta < 2 ms)`, () => {
  bench("open: mount the list at its newest items", () => {
    open();
    cleanup();
  }, { iterations: 20, warmupIterations: 3 });

  let store: ThreadStore | null = null;
  bench("streamed delta: one text_delta into the newest answer", () => {
    act(() => {
      store?.dispatch({
        type: "thread.item.updated",
        item_id: `item_${ITEMS - 1}`,
        update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: " more" },
      });
    });
  }, {
    iterations: 200,
    warmupIterations: 10,
    setup: () => {
      cleanup();
      store = open();
    },
  });

  afterAll(() => {
    cleanup();
  });
});
