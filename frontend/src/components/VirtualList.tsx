import {
  forwardRef,
  useCallback,
  useEffect,
  useId,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import { computeWindow, nextIndex, rowsPerPage, scrollTopFor } from '../traffic/virtual';

export interface VirtualListHandle {
  /** Keeps the rows under the reader still after `rows` were added above them (unless scrolled to the top). */
  shiftBy(rows: number): void;
  scrollToIndex(index: number): void;
  focus(): void;
}

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  overscan?: number;
  label: string;
  /** Changes whenever rows change, so the visible ones re-render. */
  version: number;
  selectedIndex: number;
  getKey(index: number): string;
  renderRow(index: number, selected: boolean): ReactNode;
  onSelect(index: number): void;
  onEndReached?(): void;
  /** Shown instead of rows when count is 0. */
  empty?: ReactNode;
  /** Height used before the first measurement (and in environments without layout). */
  initialHeight?: number;
}

/**
 * A fixed-row-height listbox that renders only the rows in view. Scroll
 * position updates are coalesced per animation frame.
 */
export const VirtualList = forwardRef<VirtualListHandle, VirtualListProps>(function VirtualList(p, ref) {
  const id = useId();
  const el = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(p.initialHeight ?? 600);
  const frame = useRef<number | null>(null);
  const overscan = p.overscan ?? 10;

  useLayoutEffect(() => {
    const node = el.current;
    if (!node) return;
    const measure = () => {
      if (node.clientHeight > 0) setHeight(node.clientHeight);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(node);
    return () => ro.disconnect();
  }, []);

  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );

  const onScroll = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      if (el.current) setScrollTop(el.current.scrollTop);
    });
  }, []);

  const win = computeWindow({ scrollTop, viewportHeight: height, rowHeight: p.rowHeight, count: p.count, overscan });

  const { onEndReached, count } = p;
  useEffect(() => {
    if (onEndReached && count > 0 && win.end >= count - overscan) onEndReached();
  }, [onEndReached, count, win.end, overscan]);

  const scrollToIndex = useCallback(
    (index: number) => {
      const node = el.current;
      if (!node) return;
      const top = scrollTopFor(index, node.scrollTop, node.clientHeight || height, p.rowHeight);
      if (top !== node.scrollTop) {
        node.scrollTop = top;
        setScrollTop(top);
      }
    },
    [height, p.rowHeight],
  );

  useImperativeHandle(
    ref,
    () => ({
      shiftBy(rows) {
        const node = el.current;
        if (!node || rows <= 0 || node.scrollTop <= 0) return;
        node.scrollTop += rows * p.rowHeight;
        setScrollTop(node.scrollTop);
      },
      scrollToIndex,
      focus() {
        el.current?.focus();
      },
    }),
    [p.rowHeight, scrollToIndex],
  );

  const onKeyDown = (e: KeyboardEvent) => {
    const n = nextIndex(e.key, p.selectedIndex, p.count, rowsPerPage(height, p.rowHeight));
    if (n === null) return;
    e.preventDefault();
    p.onSelect(n);
    scrollToIndex(n);
  };

  const optionId = (i: number) => `${id}-r${i}`;
  const rows: ReactNode[] = [];
  for (let i = win.start; i < win.end; i++) {
    const selected = i === p.selectedIndex;
    rows.push(
      <div
        key={p.getKey(i)}
        id={optionId(i)}
        role="option"
        aria-selected={selected}
        aria-setsize={p.count}
        aria-posinset={i + 1}
        className={`vrow ${selected ? 'is-selected' : ''}`}
        style={{ height: p.rowHeight }}
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => {
          el.current?.focus();
          p.onSelect(i);
        }}
      >
        {p.renderRow(i, selected)}
      </div>,
    );
  }

  return (
    <div
      ref={el}
      className="vlist"
      role="listbox"
      aria-label={p.label}
      tabIndex={0}
      aria-activedescendant={p.selectedIndex >= win.start && p.selectedIndex < win.end ? optionId(p.selectedIndex) : undefined}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
      data-version={p.version}
    >
      {p.count === 0 && p.empty}
      <div className="vlist-spacer" style={{ height: win.totalHeight }}>
        <div className="vlist-window" style={{ transform: `translateY(${win.offsetTop}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
});
