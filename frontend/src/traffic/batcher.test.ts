import { describe, expect, it, vi } from 'vitest';
import { FrameBatcher, type Scheduler } from './batcher';

function manual() {
  const queue: (() => void)[] = [];
  const schedule: Scheduler = (cb) => {
    queue.push(cb);
    return () => {
      const i = queue.indexOf(cb);
      if (i >= 0) queue.splice(i, 1);
    };
  };
  return { schedule, frame: () => queue.splice(0).forEach((cb) => cb()), pending: () => queue.length };
}

describe('FrameBatcher', () => {
  it('delivers many adds as one batch per frame', () => {
    const m = manual();
    const flush = vi.fn();
    const b = new FrameBatcher<number>(flush, m.schedule);
    b.add([1]);
    b.add([2, 3]);
    b.add([]);
    expect(m.pending()).toBe(1);
    expect(flush).not.toHaveBeenCalled();
    m.frame();
    expect(flush).toHaveBeenCalledTimes(1);
    expect(flush).toHaveBeenCalledWith([1, 2, 3]);
    b.add([4]);
    m.frame();
    expect(flush).toHaveBeenLastCalledWith([4]);
  });

  it('flushNow delivers at once and cancels the frame', () => {
    const m = manual();
    const flush = vi.fn();
    const b = new FrameBatcher<number>(flush, m.schedule);
    b.add([1]);
    b.flushNow();
    expect(flush).toHaveBeenCalledWith([1]);
    expect(m.pending()).toBe(0);
    m.frame();
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('dispose drops pending items', () => {
    const m = manual();
    const flush = vi.fn();
    const b = new FrameBatcher<number>(flush, m.schedule);
    b.add([1, 2]);
    expect(b.pendingCount).toBe(2);
    b.dispose();
    m.frame();
    expect(flush).not.toHaveBeenCalled();
    expect(b.pendingCount).toBe(0);
  });
});
