import { useSyncExternalStore } from "react";
import { emptyThread, threadReducer, type ThreadAction, type ThreadState } from "./threadState";

/**
 * The open thread outside React state, so each component subscribes to the slice it
 * shows: a row to its item, the list to the order. A delta then renders one row, not the
 * list of a thousand.
 */
export interface ThreadStore {
  getState(): ThreadState;
  dispatch(action: ThreadAction): void;
  subscribe(listener: () => void): () => void;
}

export function createThreadStore(initial: ThreadState = emptyThread): ThreadStore {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = threadReducer(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** One slice of the thread; the selector must return a stored value, not a new object. */
export function useThread<T>(store: ThreadStore, select: (state: ThreadState) => T): T {
  const subscribe = (listener: () => void) => store.subscribe(listener);
  return useSyncExternalStore(
    subscribe,
    () => select(store.getState()),
    () => select(store.getState()),
  );
}
