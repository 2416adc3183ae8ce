import type { Task } from "../bindings";

/** How long a deleted task can be brought back from the toast. */
export const UNDO_MS = 6000;

export type UndoEntry = { key: number; task: Task; expiresAt: number };

/** Recently deleted tasks, newest last, each undoable until it expires. */
export type UndoState = { entries: UndoEntry[]; nextKey: number };

export type UndoAction =
  | { type: "deleted"; task: Task; now: number }
  | { type: "expire"; now: number }
  | { type: "forget"; key: number };

export const EMPTY_UNDO: UndoState = { entries: [], nextKey: 1 };

export function undoReducer(state: UndoState, action: UndoAction): UndoState {
  switch (action.type) {
    case "deleted":
      return {
        entries: [
          ...state.entries.filter((e) => e.task.id !== action.task.id),
          { key: state.nextKey, task: action.task, expiresAt: action.now + UNDO_MS },
        ],
        nextKey: state.nextKey + 1,
      };
    case "expire": {
      const live = state.entries.filter((e) => e.expiresAt > action.now);
      return live.length === state.entries.length ? state : { ...state, entries: live };
    }
    case "forget": {
      const rest = state.entries.filter((e) => e.key !== action.key);
      return rest.length === state.entries.length ? state : { ...state, entries: rest };
    }
  }
}

/** The deletion Undo brings back: the most recent one. */
export function latestUndo(state: UndoState): UndoEntry | undefined {
  return state.entries.at(-1);
}

/** When the next entry runs out, so one timer is enough. */
export function nextExpiry(state: UndoState): number | null {
  if (state.entries.length === 0) return null;
  return Math.min(...state.entries.map((e) => e.expiresAt));
}
