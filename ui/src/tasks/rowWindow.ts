/** Which rows of a fixed-row-height list to mount: the visible ones plus `overscan` each side. */
export function rowWindow({
  scrollTop,
  viewportHeight,
  rowHeight,
  count,
  overscan,
}: {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  overscan: number;
}): { start: number; end: number } {
  if (count === 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + viewportHeight) / rowHeight);
  const start = Math.max(0, Math.min(first, count - 1) - overscan);
  const end = Math.min(count, last + overscan);
  return { start, end: Math.max(start + 1, end) };
}

/** The scroll position that shows row `index` whole, moving as little as possible. */
export function scrollToShow({
  index,
  scrollTop,
  viewportHeight,
  rowHeight,
}: {
  index: number;
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
}): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}
