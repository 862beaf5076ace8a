import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, Latest } from './async';

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once after the burst, with the last arguments', () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d('a');
    vi.advanceTimersByTime(200);
    d('b');
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    expect(d.pending()).toBe(true);
    vi.advanceTimersByTime(50);
    expect(fn).toHaveBeenCalledOnce();
    expect(fn).toHaveBeenCalledWith('b');
    expect(d.pending()).toBe(false);
  });

  it('cancel drops the pending call; flush runs it now', () => {
    const fn = vi.fn();
    const d = debounce(fn, 100);
    d(1);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).not.toHaveBeenCalled();
    d(2);
    d.flush();
    expect(fn).toHaveBeenCalledWith(2);
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledOnce();
  });
});

describe('Latest', () => {
  function deferred<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  it('drops an answer that arrives after a newer job started', async () => {
    const l = new Latest();
    const a = deferred<string>();
    const b = deferred<string>();
    const ra = l.run(() => a.promise);
    const rb = l.run(() => b.promise);
    b.resolve('new');
    a.resolve('old');
    expect(await rb).toEqual({ current: true, value: 'new' });
    expect(await ra).toEqual({ current: false });
  });

  it('cancel makes jobs in flight stale', async () => {
    const l = new Latest();
    const a = deferred<number>();
    const r = l.run(() => a.promise);
    l.cancel();
    a.resolve(1);
    expect(await r).toEqual({ current: false });
  });

  it('passes errors through', async () => {
    const l = new Latest();
    await expect(l.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
