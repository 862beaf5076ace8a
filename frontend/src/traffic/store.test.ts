import { describe, expect, it, vi } from 'vitest';
import type { ExchangeRow, TrafficFilter } from '../api';
import type { Scheduler } from './batcher';
import { emptyFilter } from './filter';
import { TrafficStore } from './store';

const row = (n: number, over: Partial<ExchangeRow> = {}): ExchangeRow => ({
  id: `x${n}`,
  startedAt: new Date(1_700_000_000_000 + n).toISOString(),
  api: 'petstore',
  method: 'GET',
  url: `http://h/petstore/pets/${n}`,
  path: `/pets/${n}`,
  status: 200,
  durationMs: 1,
  consumer: '',
  violations: 0,
  ...over,
});

function manual() {
  const queue: (() => void)[] = [];
  const schedule: Scheduler = (cb) => {
    queue.push(cb);
    return () => queue.splice(queue.indexOf(cb), 1);
  };
  return { schedule, frame: () => queue.splice(0).forEach((cb) => cb()), pending: () => queue.length };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TrafficStore', () => {
  it('loads the newest page and reads it newest first', async () => {
    const list = vi.fn(async () => [row(3), row(2), row(1)]);
    const s = new TrafficStore({ List: list }, { schedule: manual().schedule });
    await s.load(emptyFilter());
    expect(s.size).toBe(3);
    expect(s.at(0)?.id).toBe('x3');
    expect(list).toHaveBeenCalledWith(expect.objectContaining({ beforeId: '', limit: 500 }));
  });

  it('adds live rows once per frame, skipping rows outside the filter and duplicates', async () => {
    const m = manual();
    const s = new TrafficStore({ List: async () => [row(1)] }, { schedule: m.schedule });
    await s.load({ ...emptyFilter(), method: 'GET' });
    const changes: number[] = [];
    s.subscribe((c) => changes.push(c.addedTop));
    s.receive([row(2), row(3, { method: 'POST' })]);
    s.receive([row(4), row(2)]);
    expect(s.size).toBe(1);
    m.frame();
    expect(s.size).toBe(3);
    expect(s.at(0)?.id).toBe('x4');
    expect(s.at(1)?.id).toBe('x2');
    expect(changes).toEqual([2]);
  });

  it('holds live rows that arrive while a page loads, then adds the new ones', async () => {
    const page = deferred<ExchangeRow[]>();
    const s = new TrafficStore({ List: () => page.promise }, { schedule: manual().schedule });
    const loading = s.load(emptyFilter());
    s.receive([row(2), row(3)]);
    page.resolve([row(2), row(1)]);
    await loading;
    s.flush();
    expect([0, 1, 2].map((i) => s.at(i)?.id)).toEqual(['x3', 'x2', 'x1']);
  });

  it('ignores a page that answers after a newer load started', async () => {
    const first = deferred<ExchangeRow[]>();
    const second = deferred<ExchangeRow[]>();
    const calls = [first, second];
    const s = new TrafficStore({ List: () => (calls.shift() as typeof first).promise }, { schedule: manual().schedule });
    const a = s.load(emptyFilter());
    const b = s.load({ ...emptyFilter(), api: 'billing' });
    second.resolve([row(9, { api: 'billing' })]);
    await b;
    first.resolve([row(1), row(2)]);
    await a;
    expect(s.size).toBe(1);
    expect(s.at(0)?.id).toBe('x9');
    expect(s.filter.api).toBe('billing');
  });

  it('pages older rows behind the oldest one while more exist', async () => {
    const list = vi.fn(async (f: TrafficFilter) => (f.beforeId === '' ? [row(4), row(3)] : f.beforeId === 'x3' ? [row(2), row(1)] : []));
    const s = new TrafficStore({ List: list }, { schedule: manual().schedule, pageSize: 2 });
    await s.load(emptyFilter());
    expect(s.hasMore).toBe(true);
    await s.loadOlder();
    expect([0, 1, 2, 3].map((i) => s.at(i)?.id)).toEqual(['x4', 'x3', 'x2', 'x1']);
    await s.loadOlder();
    expect(s.hasMore).toBe(false);
    expect(list).toHaveBeenCalledTimes(3);
  });

  it('reports a failed load and keeps going', async () => {
    const s = new TrafficStore({ List: async () => Promise.reject(new Error('database is locked')) }, { schedule: manual().schedule });
    await s.load(emptyFilter());
    expect(s.error).toBe('database is locked');
    expect(s.loading).toBe(false);
  });

  it('keeps the newest 100,000 rows of a long stream, one render per frame', async () => {
    const m = manual();
    const s = new TrafficStore({ List: async () => [] }, { schedule: m.schedule });
    await s.load(emptyFilter());
    let renders = 0;
    s.subscribe(() => renders++);
    let n = 0;
    const t0 = performance.now();
    for (let frame = 0; frame < 60; frame++) {
      for (let batch = 0; batch < 10; batch++) {
        s.receive(Array.from({ length: 200 }, () => row(++n)));
      }
      m.frame();
    }
    const elapsed = performance.now() - t0;
    expect(n).toBe(120_000);
    expect(s.size).toBe(100_000);
    expect(s.at(0)?.id).toBe('x120000');
    expect(s.at(99_999)?.id).toBe('x20001');
    expect(renders).toBe(60);
    expect(elapsed).toBeLessThan(3000);
  });

  it('clears', async () => {
    const s = new TrafficStore({ List: async () => [row(1)] }, { schedule: manual().schedule });
    await s.load(emptyFilter());
    s.clear();
    expect(s.size).toBe(0);
  });
});
