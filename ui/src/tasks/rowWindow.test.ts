import { describe, expect, it } from "vitest";
import { rowWindow, scrollToShow } from "./rowWindow";

describe("rowWindow", () => {
  const base = { viewportHeight: 500, rowHeight: 50, overscan: 5 };

  it("mounts the rows in view plus the overscan", () => {
    expect(rowWindow({ ...base, scrollTop: 0, count: 10_000 })).toEqual({ start: 0, end: 15 });
    expect(rowWindow({ ...base, scrollTop: 5000, count: 10_000 })).toEqual({ start: 95, end: 115 });
    expect(rowWindow({ ...base, scrollTop: 499_500, count: 10_000 })).toEqual({ start: 9985, end: 10_000 });
  });

  it("handles short and empty lists", () => {
    expect(rowWindow({ ...base, scrollTop: 0, count: 3 })).toEqual({ start: 0, end: 3 });
    expect(rowWindow({ ...base, scrollTop: 900, count: 3 })).toEqual({ start: 0, end: 3 });
    expect(rowWindow({ ...base, scrollTop: 0, count: 0 })).toEqual({ start: 0, end: 0 });
  });
});

describe("scrollToShow", () => {
  const base = { viewportHeight: 500, rowHeight: 50 };
  it("scrolls only as far as needed", () => {
    expect(scrollToShow({ ...base, index: 3, scrollTop: 0 })).toBe(0);
    expect(scrollToShow({ ...base, index: 10, scrollTop: 0 })).toBe(50);
    expect(scrollToShow({ ...base, index: 2, scrollTop: 400 })).toBe(100);
  });
});
