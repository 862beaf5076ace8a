// Helpers for calls whose answers can arrive out of order.

/**
 * Runs async jobs and delivers only the answer of the newest one: when job B
 * starts before job A has answered, A's answer (or error) is dropped.
 */
export class Latest {
  private seq = 0;

  /** Runs job; resolves to {ok:true,value} for the newest job, {ok:false} when a newer job started (or cancel() was called) meanwhile. */
  async run<T>(job: () => Promise<T>): Promise<{ current: true; value: T } | { current: false }> {
    const mine = ++this.seq;
    const value = await job();
    if (mine !== this.seq) return { current: false };
    return { current: true, value };
  }

  /** Whether a job with this ticket is still the newest. */
  isCurrent(ticket: number): boolean {
    return ticket === this.seq;
  }

  /** Makes every job in flight stale. */
  cancel(): void {
    this.seq++;
  }
}

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Drops the pending call. */
  cancel(): void;
  /** Runs the pending call now, if any. */
  flush(): void;
  pending(): boolean;
}

/** Calls fn once, `ms` after the last of a burst of calls, with that last call's arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last: A | null = null;
  const fire = () => {
    timer = null;
    const args = last;
    last = null;
    if (args) fn(...args);
  };
  const d = ((...args: A) => {
    last = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(fire, ms);
  }) as Debounced<A>;
  d.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    last = null;
  };
  d.flush = () => {
    if (timer !== null) clearTimeout(timer);
    fire();
  };
  d.pending = () => timer !== null;
  return d;
}
