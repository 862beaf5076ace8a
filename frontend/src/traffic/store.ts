import type { ExchangeRow, TrafficAPI, TrafficFilter } from '../api';
import { errorMessage } from '../api';
import { FrameBatcher, frameScheduler, type Scheduler } from './batcher';
import { emptyFilter, matchesFilter, PAGE_SIZE } from './filter';
import { Ring } from './ring';

export const DEFAULT_CAPACITY = 100_000;
const RECENT_IDS = 4096;

export interface TrafficStoreOptions {
  capacity?: number;
  schedule?: Scheduler;
  pageSize?: number;
}

/** What one change did, for views that keep the rows under the reader steady. */
export interface Change {
  /** Rows added at the top (newest end). */
  addedTop: number;
}

/**
 * The traffic list's rows: a ring of the newest exchanges matching the current
 * filter, fed by List pages and live `traffic:exchanges` batches (one flush per
 * animation frame). Views subscribe and read rows by index, newest first.
 */
export class TrafficStore {
  private ring: Ring<ExchangeRow>;
  private readonly batcher: FrameBatcher<ExchangeRow>;
  private readonly listeners = new Set<(c: Change) => void>();
  private readonly recent = new Set<string>();
  private readonly recentOrder: string[] = [];
  private held: ExchangeRow[] | null = null;
  private seq = 0;
  private readonly pageSize: number;

  filter: TrafficFilter = emptyFilter();
  version = 0;
  loading = false;
  error = '';
  hasMore = false;
  /** Live rows received in total since the last load (for the status line). */
  received = 0;

  constructor(
    private readonly api: Pick<TrafficAPI, 'List'>,
    opts: TrafficStoreOptions = {},
  ) {
    this.ring = new Ring(opts.capacity ?? DEFAULT_CAPACITY);
    this.pageSize = opts.pageSize ?? PAGE_SIZE;
    this.batcher = new FrameBatcher((rows) => this.addLive(rows), opts.schedule ?? frameScheduler);
  }

  get size(): number {
    return this.ring.size;
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  /** The i-th row, newest first. */
  at(i: number): ExchangeRow | undefined {
    return this.ring.at(i);
  }

  indexOf(id: string): number {
    return this.ring.findIndex((r) => r.id === id);
  }

  subscribe = (l: (c: Change) => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getVersion = (): number => this.version;

  /** Replaces the rows with the newest page matching filter. Older, overlapping loads are ignored when they finish. */
  async load(filter: TrafficFilter): Promise<void> {
    const seq = ++this.seq;
    this.filter = { ...filter, limit: this.pageSize, beforeId: '' };
    this.loading = true;
    this.error = '';
    this.held = [];
    this.batcher.dispose();
    this.emit({ addedTop: 0 });
    try {
      const rows = await this.api.List(this.filter);
      if (seq !== this.seq) return;
      this.ring.clear();
      this.resetRecent();
      this.ring.pushOldest(rows);
      for (const r of rows) this.remember(r.id);
      this.hasMore = rows.length >= this.pageSize && !this.ring.full;
      this.received = 0;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = errorMessage(e);
    } finally {
      if (seq === this.seq) {
        this.loading = false;
        const held = this.held ?? [];
        this.held = null;
        this.emit({ addedTop: 0 });
        if (held.length) this.addLive(held);
      }
    }
  }

  /** Appends the next older page (when the reader scrolls to the end). */
  async loadOlder(): Promise<void> {
    if (!this.hasMore || this.loading) return;
    const oldest = this.ring.oldest();
    if (!oldest) return;
    const seq = this.seq;
    this.loading = true;
    try {
      const rows = await this.api.List({ ...this.filter, beforeId: oldest.id });
      if (seq !== this.seq) return;
      const fresh = rows.filter((r) => !this.recent.has(r.id));
      this.ring.pushOldest(fresh);
      this.hasMore = rows.length >= this.pageSize && !this.ring.full;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = errorMessage(e);
    } finally {
      if (seq === this.seq) {
        this.loading = false;
        this.emit({ addedTop: 0 });
      }
    }
  }

  /** Takes a batch from `traffic:exchanges` (oldest first); rows outside the filter are skipped. */
  receive(rows: readonly ExchangeRow[]): void {
    const keep = rows.filter((r) => matchesFilter(r, this.filter));
    if (keep.length === 0) return;
    if (this.held) {
      for (const r of keep) this.held.push(r);
      return;
    }
    this.batcher.add(keep);
  }

  /** Delivers pending live rows now (tests, and before reading after a burst). */
  flush(): void {
    this.batcher.flushNow();
  }

  clear(): void {
    this.batcher.dispose();
    this.ring.clear();
    this.resetRecent();
    this.hasMore = false;
    this.received = 0;
    this.emit({ addedTop: 0 });
  }

  /** Stops work in flight (loads, the pending frame). The store can load again afterwards. */
  dispose(): void {
    this.seq++;
    this.loading = false;
    this.held = null;
    this.batcher.dispose();
  }

  private addLive(rows: ExchangeRow[]): void {
    const fresh: ExchangeRow[] = [];
    for (const r of rows) {
      if (this.recent.has(r.id)) continue;
      this.remember(r.id);
      fresh.push(r);
    }
    if (fresh.length === 0) return;
    this.ring.pushNewest(fresh);
    this.received += fresh.length;
    this.emit({ addedTop: Math.min(fresh.length, this.ring.size) });
  }

  private remember(id: string): void {
    this.recent.add(id);
    this.recentOrder.push(id);
    // Trim in bulk: between RECENT_IDS and twice that many ids are remembered.
    if (this.recentOrder.length > 2 * RECENT_IDS) {
      const old = this.recentOrder.splice(0, this.recentOrder.length - RECENT_IDS);
      for (const o of old) this.recent.delete(o);
    }
  }

  private resetRecent(): void {
    this.recent.clear();
    this.recentOrder.length = 0;
  }

  private emit(c: Change): void {
    this.version++;
    for (const l of this.listeners) l(c);
  }
}
