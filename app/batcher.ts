/**
 * Micro-batching with a bounded queue. Requests wait while a batch runs;
 * when it finishes, everything waiting (up to `maxBatch`) runs as the next
 * batch, so under load one `predict` call serves many requests. A full queue
 * refuses at once (503 + Retry-After); a request that waits longer than its
 * timeout is answered 504 and dropped from the queue. Once closed (shutdown)
 * it refuses new work, so the model is never used after `idle()` resolves.
 */
import { BusyError, InferenceTimeoutError, ShuttingDownError } from './errors.js';

export interface BatcherOptions<Req, Res> {
  /** Runs one batch; results in request order. A failure of one item is an Error in its slot. */
  readonly run: (batch: Req[]) => Promise<(Res | Error)[]>;
  readonly maxBatch: number;
  readonly maxQueue: number;
  readonly timeoutMs: number;
  /** How many batches may run at once (one per inference worker). */
  readonly concurrency: number;
}

interface Pending<Req, Res> {
  readonly req: Req;
  readonly resolve: (r: Res) => void;
  readonly reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  done: boolean;
}

export class Batcher<Req, Res> {
  private readonly queue: Pending<Req, Res>[] = [];
  private running = 0;
  private closed = false;
  /** Sizes of recent batches (for /metrics). */
  readonly batchSizes: number[] = [];

  constructor(private readonly opts: BatcherOptions<Req, Res>) {}

  get depth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  submit(req: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(new BusyError('E_QUEUE_FULL', `the inference queue is full (${this.opts.maxQueue} waiting); retry shortly`));
    }
    return new Promise<Res>((resolve, reject) => {
      const p: Pending<Req, Res> = { req, resolve, reject, done: false, timer: undefined as unknown as NodeJS.Timeout };
      p.timer = setTimeout(() => {
        if (p.done) return;
        p.done = true;
        const i = this.queue.indexOf(p);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new InferenceTimeoutError(this.opts.timeoutMs));
      }, this.opts.timeoutMs);
      this.queue.push(p);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch).filter((p) => !p.done);
      if (batch.length === 0) continue;
      this.running++;
      this.batchSizes.push(batch.length);
      if (this.batchSizes.length > 1000) this.batchSizes.shift();
      void this.opts.run(batch.map((p) => p.req)).then(
        (results) => batch.forEach((p, i) => this.settle(p, results[i])),
        (err) => batch.forEach((p) => this.settle(p, err instanceof Error ? err : new Error(String(err)))),
      ).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private settle(p: Pending<Req, Res>, r: Res | Error | undefined): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (r instanceof Error || r === undefined) p.reject(r ?? new Error('no result'));
    else p.resolve(r);
  }

  /** Refuses new submissions from now on (503 E_SHUTTING_DOWN); queued and running ones go on. */
  close(): void {
    this.closed = true;
  }

  /** Answers everything still queued with `err` (running batches go on). */
  abortQueued(err: Error): void {
    for (const p of this.queue.splice(0)) this.settle(p, err);
  }

  /** Resolves once nothing is queued or running. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /** Resolves once no batch is running (the model is not in use). */
  async idle(): Promise<void> {
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
