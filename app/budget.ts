/**
 * A counted budget (pixels being decoded, bytes being buffered): work takes
 * units before it starts and gives them back when it ends, so what the
 * service holds at once is bounded by configuration, not by the clients.
 * `tryTake` refuses at once when the units are not free; `take` waits in
 * FIFO order behind a bounded line, refusing beyond it.
 */
import { BusyError } from './errors.js';

export interface BudgetOptions {
  /** Units available at once. */
  readonly capacity: number;
  /** What is counted, for messages ("pixels being decoded"). */
  readonly what: string;
  /** Most takers waiting in line (for `take`); beyond, refused at once. */
  readonly maxWaiting?: number;
  /** Longest wait in line, ms; then refused. */
  readonly maxWaitMs?: number;
}

interface Waiter {
  readonly units: number;
  readonly grant: () => void;
}

export class Budget {
  private used = 0;
  private readonly line: Waiter[] = [];

  constructor(private readonly opts: BudgetOptions) {}

  /** Units taken now. */
  get inUse(): number {
    return this.used;
  }

  /** Takers waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  private fits(units: number): boolean {
    // One taker larger than the whole budget may run alone (its own limit was checked before).
    return this.used + units <= this.opts.capacity || this.used === 0;
  }

  /** Takes `units` now, or throws BusyError (503) when they are not free. Returns the release function. */
  tryTake(units: number): () => void {
    if (this.line.length > 0 || !this.fits(units)) {
      throw new BusyError('E_BUSY', `${this.opts.what}: ${this.used} of ${this.opts.capacity} in use, ${units} more do not fit; retry shortly`);
    }
    this.used += units;
    return this.releaser(units);
  }

  /** Takes `units`, waiting in line for them; BusyError (503) when the line is full or the wait too long. */
  async take(units: number): Promise<() => void> {
    if (this.line.length === 0 && this.fits(units)) return this.tryTake(units);
    const max = this.opts.maxWaiting ?? Infinity;
    if (this.line.length >= max) {
      throw new BusyError('E_BUSY', `${this.opts.what}: ${this.used} of ${this.opts.capacity} in use and ${this.line.length} requests waiting; retry shortly`);
    }
    return new Promise<() => void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        units,
        grant: () => {
          clearTimeout(timer);
          this.used += units;
          resolve(this.releaser(units));
        },
      };
      if (this.opts.maxWaitMs !== undefined) {
        timer = setTimeout(() => {
          const i = this.line.indexOf(w);
          if (i < 0) return;
          this.line.splice(i, 1);
          reject(new BusyError('E_BUSY', `${this.opts.what}: waited ${this.opts.maxWaitMs} ms for ${units} to be free; retry shortly`));
          this.grantWaiting();
        }, this.opts.maxWaitMs);
      }
      this.line.push(w);
    });
  }

  private releaser(units: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= units;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    while (this.line.length > 0 && this.fits(this.line[0]!.units)) this.line.shift()!.grant();
  }
}
