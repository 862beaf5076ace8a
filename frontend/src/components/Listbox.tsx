import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { nextIndex } from '../traffic/virtual';

export interface ListboxProps<T> {
  items: readonly T[];
  getKey(item: T): string;
  render(item: T, selected: boolean): ReactNode;
  label: string;
  /** Key of the selected item ("" for none). */
  selectedKey?: string;
  /** Arrow keys select as they move (sidebar style) instead of only moving the cursor. */
  selectOnMove?: boolean;
  onSelect?(item: T): void;
  /** Enter, or a click. */
  onActivate?(item: T): void;
  className?: string;
  itemClassName?(item: T): string;
}

/** A keyboard-navigable listbox (aria-activedescendant) for short lists. */
export function Listbox<T>(p: ListboxProps<T>) {
  const id = useId();
  const ref = useRef<HTMLUListElement>(null);
  const selectedIndex = p.items.findIndex((it) => p.getKey(it) === p.selectedKey);
  const [cursor, setCursor] = useState(selectedIndex);
  const active = cursor >= 0 && cursor < p.items.length ? cursor : selectedIndex;

  useEffect(() => {
    if (selectedIndex >= 0) setCursor(selectedIndex);
  }, [selectedIndex]);

  useEffect(() => {
    if (active < 0) return;
    const el = ref.current?.querySelector<HTMLElement>(`[data-index="${active}"]`);
    el?.scrollIntoView?.({ block: 'nearest' });
  }, [active]);

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.key === 'Enter' || e.key === ' ') && active >= 0) {
      e.preventDefault();
      const it = p.items[active];
      if (it !== undefined) {
        p.onSelect?.(it);
        p.onActivate?.(it);
      }
      return;
    }
    const n = nextIndex(e.key, active, p.items.length, 10);
    if (n === null) return;
    e.preventDefault();
    setCursor(n);
    const it = p.items[n];
    if (p.selectOnMove && it !== undefined) p.onSelect?.(it);
  };

  const optionId = (i: number) => `${id}-o${i}`;
  return (
    <ul
      ref={ref}
      role="listbox"
      aria-label={p.label}
      tabIndex={p.items.length ? 0 : -1}
      aria-activedescendant={active >= 0 ? optionId(active) : undefined}
      className={`listbox ${p.className ?? ''}`}
      onKeyDown={onKeyDown}
      onFocus={() => {
        if (active < 0 && p.items.length) setCursor(0);
      }}
    >
      {p.items.map((it, i) => {
        const key = p.getKey(it);
        const selected = key === p.selectedKey;
        return (
          <li
            key={key}
            id={optionId(i)}
            data-index={i}
            role="option"
            aria-selected={selected}
            className={`listbox-option ${i === active ? 'is-cursor' : ''} ${selected ? 'is-selected' : ''} ${p.itemClassName?.(it) ?? ''}`}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => {
              setCursor(i);
              ref.current?.focus();
              p.onSelect?.(it);
              p.onActivate?.(it);
            }}
          >
            {p.render(it, selected)}
          </li>
        );
      })}
    </ul>
  );
}
