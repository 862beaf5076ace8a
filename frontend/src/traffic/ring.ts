// A fixed-capacity ring of rows, read newest first. Pushing past capacity
// drops the oldest rows; nothing is copied when rows arrive.

export class Ring<T> {
  private buf: (T | undefined)[];
  /** Index in buf of the oldest row. */
  private head = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.buf = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.len;
  }

  get full(): boolean {
    return this.len === this.capacity;
  }

  /** Adds rows given oldest first (newest last, as events deliver them). Returns how many rows, old or new, did not fit. */
  pushNewest(rows: readonly T[]): number {
    const before = this.len + rows.length;
    // Only the last `capacity` rows can survive.
    const start = Math.max(0, rows.length - this.capacity);
    if (start > 0) {
      this.head = 0;
      this.len = 0;
    }
    for (let i = start; i < rows.length; i++) {
      const at = (this.head + this.len) % this.capacity;
      this.buf[at] = rows[i];
      if (this.len < this.capacity) this.len++;
      else this.head = (this.head + 1) % this.capacity;
    }
    return before - this.len;
  }

  /** Adds rows given newest first (older pages from List) behind the oldest row, while there is room. Returns how many fit. */
  pushOldest(rows: readonly T[]): number {
    let n = 0;
    for (const row of rows) {
      if (this.len === this.capacity) break;
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.buf[this.head] = row;
      this.len++;
      n++;
    }
    return n;
  }

  /** The i-th newest row (0 = newest). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + this.len - 1 - i) % this.capacity];
  }

  /** The oldest row, if any. */
  oldest(): T | undefined {
    return this.len ? this.buf[this.head] : undefined;
  }

  /** Index (newest first) of the first row that satisfies pred, or -1. */
  findIndex(pred: (row: T) => boolean): number {
    for (let i = 0; i < this.len; i++) {
      if (pred(this.at(i) as T)) return i;
    }
    return -1;
  }

  clear(): void {
    this.buf = new Array<T | undefined>(this.capacity);
    this.head = 0;
    this.len = 0;
  }

  /** Rows newest first (copies; for tests and small exports). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.at(i) as T);
    return out;
  }
}
