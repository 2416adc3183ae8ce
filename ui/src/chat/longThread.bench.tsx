/**
 * Benchmark (`npx vitest bench --run ui/src/chat`, printed by tests/bench.sh): the built-in
 * chat's list with a thread of 1,000 items, in jsdom (no layout or paint, so these are the
 * React and virtualizer costs a real webview adds its drawing to). Targets, not assertions:
 * opening a 1,000-item thread well under a frame budget of 100 ms; a streamed text delta
 * under 2 ms (messageList.test.tsx asserts it re-renders one row).
 */
import { act, cleanup, render } from "@testing-library/react";
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
