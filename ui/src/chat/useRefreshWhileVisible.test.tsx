import { cleanup, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HISTORY_REFRESH_MS, useRefreshWhileVisible, type ChangeSource } from "./useRefreshWhileVisible";

/** A change source the test fires by hand, counting who listens. */
function source() {
  const listeners = new Set<() => void>();
  const changes: ChangeSource = (changed) => {
    listeners.add(changed);
    return () => listeners.delete(changed);
  };
  return { changes, fire: () => { for (const l of listeners) l(); }, listening: () => listeners.size };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(document, "visibilityState", "get").mockReturnValue("visible");
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the chat history's refresh", () => {
  it("with a change source, refreshes on each change and never on a timer", () => {
    const refresh = vi.fn();
    const { changes, fire, listening } = source();
    const { unmount } = renderHook(() => { useRefreshWhileVisible(refresh, changes); });
    vi.advanceTimersByTime(HISTORY_REFRESH_MS * 10);
    expect(refresh).not.toHaveBeenCalled();
    fire();
    fire();
    expect(refresh).toHaveBeenCalledTimes(2);
    window.dispatchEvent(new Event("focus"));
    expect(refresh).toHaveBeenCalledTimes(3);
    unmount();
    expect(listening()).toBe(0);
    fire();
    expect(refresh).toHaveBeenCalledTimes(3);
  });

  it("without one (a backend's server), asks again every few seconds while visible", () => {
    const refresh = vi.fn();
    const { unmount } = renderHook(() => { useRefreshWhileVisible(refresh, null); });
    vi.advanceTimersByTime(HISTORY_REFRESH_MS * 3);
    expect(refresh).toHaveBeenCalledTimes(3);
    unmount();
    vi.advanceTimersByTime(HISTORY_REFRESH_MS * 3);
    expect(refresh).toHaveBeenCalledTimes(3);
  });
});
