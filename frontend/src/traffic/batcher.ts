// Collects items that arrive in bursts and hands them over at most once per
// animation frame, so a flood of events turns into one render per frame.

export type Scheduler = (cb: () => void) => () => void;

/** Schedules on requestAnimationFrame when there is one, else on a 16 ms timer. */
export const frameScheduler: Scheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function') {
    const id = requestAnimationFrame(() => cb());
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(cb, 16);
  return () => clearTimeout(id);
};

export class FrameBatcher<T> {
  private pending: T[] = [];
  private cancel: (() => void) | null = null;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: Scheduler = frameScheduler,
  ) {}

  add(items: readonly T[]): void {
    if (items.length === 0) return;
    for (const it of items) this.pending.push(it);
    if (!this.cancel) this.cancel = this.schedule(() => this.run());
  }

  /** Delivers whatever is pending now. */
  flushNow(): void {
    this.cancel?.();
    this.run();
  }

  /** Drops pending items and the scheduled flush. */
  dispose(): void {
    this.cancel?.();
    this.cancel = null;
    this.pending = [];
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private run(): void {
    this.cancel = null;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.flush(items);
  }
}
