import { useLayoutEffect, useState, type HTMLAttributes, type ReactNode, type RefObject } from "react";
import { rowWindow, scrollToShow } from "./rowWindow";

/** Used until the viewport has been measured (and in test DOMs, which have no layout). */
const FALLBACK_VIEWPORT = 600;

/**
 * A scrolling list of `count` rows of one fixed height that mounts only the rows in view
 * (plus a few either side), so ten thousand rows cost no more than thirty.
 */
export function VirtualRows({
  count,
  rowHeight,
  activeIndex,
  renderRow,
  viewportRef,
  overscan = 6,
  ...props
}: {
  count: number;
  rowHeight: number;
  /** Scrolled into view whenever it changes (keyboard selection); -1 for none. */
  activeIndex: number;
  renderRow: (index: number, top: number) => ReactNode;
  /** The scrolling element, for the owner to focus. */
  viewportRef: RefObject<HTMLDivElement | null>;
  overscan?: number;
} & Omit<HTMLAttributes<HTMLDivElement>, "children" | "onScroll">) {
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(FALLBACK_VIEWPORT);
  const [followed, setFollowed] = useState(-1);
  // A list that shrank (a search, a filter) may leave the old position past its end.
  const top = Math.min(scrollTop, Math.max(0, count * rowHeight - height));

  // A new selection scrolls just enough to show it (state adjusted while rendering, so
  // the right rows mount in the same pass).
  if (activeIndex !== followed) {
    setFollowed(activeIndex);
    if (activeIndex >= 0 && activeIndex < count) {
      setScrollTop(scrollToShow({ index: activeIndex, scrollTop: top, viewportHeight: height, rowHeight }));
    }
  }

  useLayoutEffect(() => {
    const el = viewportRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (el.clientHeight > 0) setHeight(el.clientHeight);
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
    };
  }, [viewportRef]);

  // The element follows the state; scrolling by hand reports back through onScroll.
  useLayoutEffect(() => {
    const el = viewportRef.current;
    if (el && Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
  }, [viewportRef, top]);

  const { start, end } = rowWindow({ scrollTop: top, viewportHeight: height, rowHeight, count, overscan });
  const rows: ReactNode[] = [];
  for (let index = start; index < end; index += 1) rows.push(renderRow(index, index * rowHeight));

  return (
    <div
      {...props}
      ref={viewportRef}
      onScroll={(e) => {
        setScrollTop(e.currentTarget.scrollTop);
      }}
    >
      <div className="virtual-rows-canvas" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
