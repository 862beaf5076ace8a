// Windowing math for a fixed-row-height list: which rows to render for a
// scroll position, and where to scroll to bring a row into view.

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan: number;
}

export interface VisibleWindow {
  /** First rendered row index (inclusive). */
  start: number;
  /** Last rendered row index (exclusive). */
  end: number;
  /** Pixel offset of row `start` from the top of the list. */
  offsetTop: number;
  /** Height of the whole list in pixels. */
  totalHeight: number;
}

export function computeWindow({ scrollTop, viewportHeight, rowHeight, count, overscan }: WindowInput): VisibleWindow {
  const totalHeight = Math.max(0, count) * rowHeight;
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight };
  const maxTop = Math.max(0, totalHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight) - first;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.max(1, visible) + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/** The scrollTop that shows row `index` fully, moving as little as possible. */
export function scrollTopFor(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}

/** Rows in one page of the viewport (for PageUp/PageDown), at least 1. */
export function rowsPerPage(viewportHeight: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}

/** The row index a navigation key moves to, or null when the key is not a list key. */
export function nextIndex(key: string, current: number, count: number, page: number): number | null {
  if (count <= 0) return null;
  const cur = current < 0 ? -1 : current;
  switch (key) {
    case 'ArrowDown':
      return Math.min(count - 1, cur + 1);
    case 'ArrowUp':
      return Math.max(0, cur < 0 ? 0 : cur - 1);
    case 'PageDown':
      return Math.min(count - 1, Math.max(0, cur) + page);
    case 'PageUp':
      return Math.max(0, cur - page);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
