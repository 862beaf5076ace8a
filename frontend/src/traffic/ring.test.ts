import { describe, expect, it } from 'vitest';
import { Ring } from './ring';

describe('Ring', () => {
  it('reads newest first', () => {
    const r = new Ring<number>(5);
    r.pushNewest([1, 2, 3]);
    expect(r.toArray()).toEqual([3, 2, 1]);
    expect(r.at(0)).toBe(3);
    expect(r.at(2)).toBe(1);
    expect(r.at(3)).toBeUndefined();
    expect(r.at(-1)).toBeUndefined();
    expect(r.oldest()).toBe(1);
  });

  it('drops the oldest rows past capacity and says how many', () => {
    const r = new Ring<number>(3);
    expect(r.pushNewest([1, 2])).toBe(0);
    expect(r.pushNewest([3, 4])).toBe(1);
    expect(r.toArray()).toEqual([4, 3, 2]);
    expect(r.full).toBe(true);
  });

  it('keeps only the newest rows of a batch larger than the ring', () => {
    const r = new Ring<number>(3);
    r.pushNewest([1]);
    expect(r.pushNewest([2, 3, 4, 5, 6])).toBe(3);
    expect(r.toArray()).toEqual([6, 5, 4]);
  });

  it('appends older pages behind the oldest row while there is room', () => {
    const r = new Ring<number>(4);
    r.pushNewest([10, 11]);
    expect(r.pushOldest([9, 8, 7])).toBe(2);
    expect(r.toArray()).toEqual([11, 10, 9, 8]);
  });

  it('wraps around many times without losing order', () => {
    const r = new Ring<number>(7);
    for (let i = 0; i < 100; i++) r.pushNewest([i]);
    expect(r.toArray()).toEqual([99, 98, 97, 96, 95, 94, 93]);
    expect(r.findIndex((x) => x === 96)).toBe(3);
    expect(r.findIndex((x) => x === 1)).toBe(-1);
  });

  it('clears', () => {
    const r = new Ring<number>(3);
    r.pushNewest([1, 2]);
    r.clear();
    expect(r.size).toBe(0);
    expect(r.oldest()).toBeUndefined();
  });

  it('rejects a bad capacity', () => {
    expect(() => new Ring(0)).toThrow(/capacity/);
  });

  it('takes 100,000 rows in batches and reads any row in constant time', () => {
    const r = new Ring<{ id: number }>(100_000);
    const t0 = performance.now();
    for (let b = 0; b < 200; b++) r.pushNewest(Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i })));
    const elapsed = performance.now() - t0;
    expect(r.size).toBe(100_000);
    expect(r.at(0)?.id).toBe(199_999);
    expect(r.at(99_999)?.id).toBe(100_000);
    expect(elapsed).toBeLessThan(1000);
  });
});
