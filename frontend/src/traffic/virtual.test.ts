import { describe, expect, it } from 'vitest';
import { computeWindow, nextIndex, rowsPerPage, scrollTopFor } from './virtual';

describe('computeWindow', () => {
  const base = { rowHeight: 28, viewportHeight: 280, overscan: 0 };

  it('renders nothing for an empty list', () => {
    expect(computeWindow({ ...base, scrollTop: 0, count: 0 })).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });

  it('covers exactly the visible rows at the top', () => {
    expect(computeWindow({ ...base, scrollTop: 0, count: 1000 })).toEqual({ start: 0, end: 10, offsetTop: 0, totalHeight: 28000 });
  });

  it('includes a partly visible row at each edge', () => {
    const w = computeWindow({ ...base, scrollTop: 14, count: 1000 });
    expect(w.start).toBe(0);
    expect(w.end).toBe(11);
  });

  it('adds overscan on both sides, clamped to the list', () => {
    const w = computeWindow({ ...base, overscan: 5, scrollTop: 28 * 100, count: 1000 });
    expect(w).toEqual({ start: 95, end: 115, offsetTop: 95 * 28, totalHeight: 28000 });
    expect(computeWindow({ ...base, overscan: 5, scrollTop: 0, count: 1000 }).start).toBe(0);
  });

  it('clamps a scrollTop past the end (the list shrank)', () => {
    const w = computeWindow({ ...base, scrollTop: 1e9, count: 100 });
    expect(w.end).toBe(100);
    expect(w.start).toBe(90);
  });

  it('treats a negative scrollTop (elastic scrolling) as 0', () => {
    expect(computeWindow({ ...base, scrollTop: -50, count: 100 }).start).toBe(0);
  });

  it('keeps the window small at 100,000 rows wherever it scrolls', () => {
    const count = 100_000;
    for (const scrollTop of [0, 1234, 28 * 50_000, 28 * count]) {
      const w = computeWindow({ rowHeight: 28, viewportHeight: 900, overscan: 10, scrollTop, count });
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(900 / 28) + 1 + 20);
      expect(w.end).toBeLessThanOrEqual(count);
      expect(w.offsetTop).toBe(w.start * 28);
      expect(w.totalHeight).toBe(2_800_000);
    }
  });

  it('renders fewer rows than the viewport holds when the list is short', () => {
    expect(computeWindow({ ...base, scrollTop: 0, count: 3 })).toMatchObject({ start: 0, end: 3 });
  });
});

describe('scrollTopFor', () => {
  it('does not move when the row is visible', () => {
    expect(scrollTopFor(5, 0, 280, 28)).toBe(0);
  });
  it('scrolls up to a row above', () => {
    expect(scrollTopFor(2, 280, 280, 28)).toBe(56);
  });
  it('scrolls down just enough for a row below', () => {
    expect(scrollTopFor(10, 0, 280, 28)).toBe(28 * 11 - 280);
  });
});

describe('keyboard navigation', () => {
  it('moves and clamps', () => {
    expect(nextIndex('ArrowDown', -1, 10, 5)).toBe(0);
    expect(nextIndex('ArrowDown', 9, 10, 5)).toBe(9);
    expect(nextIndex('ArrowUp', 0, 10, 5)).toBe(0);
    expect(nextIndex('ArrowUp', -1, 10, 5)).toBe(0);
    expect(nextIndex('PageDown', 2, 10, 5)).toBe(7);
    expect(nextIndex('PageDown', 8, 10, 5)).toBe(9);
    expect(nextIndex('PageUp', 3, 10, 5)).toBe(0);
    expect(nextIndex('Home', 5, 10, 5)).toBe(0);
    expect(nextIndex('End', 0, 10, 5)).toBe(9);
  });
  it('ignores other keys and empty lists', () => {
    expect(nextIndex('a', 1, 10, 5)).toBeNull();
    expect(nextIndex('ArrowDown', 0, 0, 5)).toBeNull();
  });
  it('pages by the rows that fit, minus one for context', () => {
    expect(rowsPerPage(280, 28)).toBe(9);
    expect(rowsPerPage(10, 28)).toBe(1);
  });
});
