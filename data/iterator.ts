/**
 * Batches from a dataset on piscina worker threads.
 *
 * - **Order**: the sample stream is a sequence of epochs; each epoch is a
 *   permutation of the split (seeded by `seed` and the epoch number when
 *   `shuffle`, else in split order). Batch i holds stream positions
 *   `[i·B, (i+1)·B)`; with `repeat` the stream never ends and a batch may
 *   span two epochs (as Chainer's `SerialIterator`), otherwise it stops
 *   after one epoch with a last, smaller batch.
 * - **Determinism**: each sample's augmentation draws come from its own
 *   stream `(seed, epoch, sample index)`, and batches are delivered in
 *   order, so for a seed the batches are identical whatever the thread count.
 * - **Transfer**: workers return their typed arrays in the transfer list
 *   (moved, not copied).
 * - **Memory**: at most `prefetch` batches exist at a time (being built or
 *   waiting to be taken), so memory is bounded by `prefetch × batch bytes`.
 * - **Errors**: an unreadable image rejects `next()` with a
 *   `SampleLoadError` naming its path (`onError: 'fail'`), or is left out,
 *   counted in `skippedCount` and listed in the batch (`'skip'`).
 * - `threads: 0` builds batches in the calling thread (no pool).
 */
import os from 'node:os';
import type { Piscina } from 'piscina';
import { buildBatch, DEFAULT_BATCH_CONFIG, type BoxSource, type BatchConfig, type BatchData, type BatchFailure, type BatchTask, type SampleRef, type SkippedSample, type TransformMode } from './batch.js';
import type { PoseDataset, PoseSample } from './dataset.js';
import { SampleLoadError } from './dataset-errors.js';
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import { createRng, permutation } from '../core/random.js';
import type { AugmentOptions } from './transforms/augment.js';
import { requireCommonJs } from '../core/require-commonjs.js';

/** piscina (CommonJS, required: see core/require-commonjs.ts). */
const piscina = requireCommonJs<typeof import('piscina')>('piscina');

export interface IteratorOptions {
  /** Samples per batch B. */
  readonly batchSize: number;
  /** `eval`: the legacy crop; `train`: the legacy augmentations. */
  readonly mode: TransformMode;
  /** Worker threads (default: the number of cores); 0 = in the calling thread. */
  readonly threads?: number;
  /** Shuffle each epoch (default: `repeat`). */
  readonly shuffle?: boolean;
  /** Seed for shuffling and augmentation (default 0). */
  readonly seed?: number;
  /** Endless epochs (training) or one pass (evaluation, the default). */
  readonly repeat?: boolean;
  /** Batches built ahead, at most (default: 2 × threads, at least 2). */
  readonly prefetch?: number;
  readonly size?: number;
  readonly channels?: 'bgr' | 'rgb';
  readonly augment?: AugmentOptions;
  readonly maxPixels?: number;
  readonly boxFrom?: BoxSource;
  /** `fail` (default) or `skip` unreadable images. */
  readonly onError?: 'fail' | 'skip';
  /** Images each thread has in flight at once (default 2: one decodes while the other is cropped). */
  readonly inFlight?: number;
  /** Evaluation: hand back each decoded image with the batch (`images`), for the later cascade stages. */
  readonly keepPixels?: boolean;
  /**
   * A worker module of the caller's own, run instead of this module's
   * (./iterator-worker.ts): its default export gets each `BatchTask` with
   * `extra` and returns a batch (`BatchData`, possibly with fields of its
   * own, passed through) or a `BatchFailure`. Evaluation runs the model
   * there (eval/estimate-in-worker.ts). Needs `threads` ≥ 1. A task that
   * has started runs to its end when the iterator closes.
   */
  readonly worker?: { readonly url: string; readonly extra: unknown };
}

/** One batch: `BatchData` plus its place in the stream. */
export interface PoseBatch extends BatchData {
  /** 0-based batch number. */
  readonly batchIndex: number;
  /** Epoch of the batch's first sample. */
  readonly epoch: number;
}

const WORKER = new URL('./iterator-worker.js', import.meta.url).href;

export class PoseBatchIterator implements AsyncIterableIterator<PoseBatch> {
  readonly batchSize: number;
  readonly threads: number;
  readonly prefetch: number;
  readonly inFlight: number;
  /** Samples left out so far (`onError: 'skip'`). */
  skippedCount = 0;
  readonly skipped: SkippedSample[] = [];
  private readonly config: BatchConfig;
  private readonly samples: readonly SampleRef[];
  private readonly shuffle: boolean;
  private readonly repeat: boolean;
  private readonly pool: Piscina | undefined;
  private readonly abort = new AbortController();
  private readonly extra: unknown;
  private readonly ownWorker: boolean;
  /** Shared with a worker of the caller's own: set on close, so its tasks not yet started finish at once. */
  private readonly cancel = new Int32Array(new SharedArrayBuffer(4));
  private readonly queue: { batchIndex: number; epoch: number; promise: Promise<BatchData | BatchFailure> }[] = [];
  private readonly perms = new Map<number, Uint32Array>();
  private nextBatch = 0;
  private closed = false;
  private failed = false;
  /** Total batches of a single pass (Infinity with repeat). */
  readonly length: number;

  constructor(dataset: PoseDataset, options: IteratorOptions) {
    const n = dataset.samples.length;
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', options.batchSize);
    if (options.mode !== 'eval' && options.mode !== 'train') throw invalidArgument('mode', '"eval" or "train"', options.mode);
    const threads = options.threads ?? os.availableParallelism();
    if (!Number.isInteger(threads) || threads < 0) throw invalidArgument('threads', 'a non-negative integer', options.threads);
    const prefetch = options.prefetch ?? Math.max(2, 2 * threads);
    if (!Number.isInteger(prefetch) || prefetch < 1) throw invalidArgument('prefetch', 'a positive integer', options.prefetch);
    if (options.onError !== undefined && options.onError !== 'fail' && options.onError !== 'skip') throw invalidArgument('onError', '"fail" or "skip"', options.onError);
    if (options.repeat && n === 0) throw invalidArgument('dataset', 'at least one sample to repeat', `${n} samples`);
    if (options.worker && threads < 1) throw invalidArgument('threads', 'at least 1 with a worker module of your own', threads);
    this.batchSize = options.batchSize;
    this.threads = threads;
    this.prefetch = prefetch;
    this.inFlight = options.inFlight ?? 2;
    if (!Number.isInteger(this.inFlight) || this.inFlight < 1) throw invalidArgument('inFlight', 'a positive integer', options.inFlight);
    this.repeat = options.repeat ?? false;
    this.shuffle = options.shuffle ?? this.repeat;
    this.length = this.repeat ? Infinity : Math.ceil(n / this.batchSize);
    this.config = {
      ...DEFAULT_BATCH_CONFIG,
      mode: options.mode,
      skeleton: dataset.skeleton.id,
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.channels !== undefined ? { channels: options.channels } : {}),
      ...(options.augment !== undefined ? { augment: options.augment } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      ...(options.boxFrom !== undefined ? { boxFrom: options.boxFrom } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
      ...(options.keepPixels ? { keepPixels: true } : {}),
    };
    createRng(this.config.seed); // validates the seed
    this.samples = dataset.samples.map(toRef);
    this.extra = options.worker?.extra;
    this.ownWorker = options.worker !== undefined;
    this.pool = threads > 0 ? new piscina.Piscina({ filename: options.worker?.url ?? WORKER, minThreads: threads, maxThreads: threads, idleTimeout: 1000, concurrentTasksPerWorker: 1 }) : undefined;
  }

  private order(epoch: number): Uint32Array {
    let p = this.perms.get(epoch);
    if (!p) {
      const n = this.samples.length;
      p = this.shuffle ? permutation(n, createRng(this.config.seed, 1, epoch)) : Uint32Array.from({ length: n }, (_, i) => i);
      this.perms.set(epoch, p);
      for (const e of this.perms.keys()) if (e < epoch - 1) this.perms.delete(e);
    }
    return p;
  }

  private schedule(): void {
    while (!this.closed && this.queue.length < this.prefetch && this.nextBatch < this.length) {
      const batchIndex = this.nextBatch++;
      const n = this.samples.length;
      const start = batchIndex * this.batchSize;
      const end = this.repeat ? start + this.batchSize : Math.min(n, start + this.batchSize);
      const refs: SampleRef[] = [];
      const epochs: number[] = [];
      for (let pos = start; pos < end; pos++) {
        const epoch = Math.floor(pos / n);
        refs.push(this.samples[this.order(epoch)[pos % n]!]!);
        epochs.push(epoch);
      }
      // A worker of the caller's own is never aborted (close() lets its tasks end, those not started
      // at once through the cancel flag); this module's workers are aborted (a flag could race the abort).
      const task: BatchTask = { config: this.config, samples: refs, epochs, inFlight: this.inFlight, ...(this.ownWorker ? { cancel: this.cancel, extra: this.extra } : {}) };
      // A worker of the caller's own is not aborted mid-task (it may hold native resources): close() lets it finish.
      const promise = this.pool ? (this.pool.run(task, this.ownWorker ? {} : { signal: this.abort.signal }) as Promise<BatchData | BatchFailure>) : buildBatch(task);
      promise.catch(() => undefined); // observed in next()
      this.queue.push({ batchIndex, epoch: epochs[0] ?? 0, promise });
    }
  }

  /** Batches being built or waiting to be taken (never more than `prefetch`). */
  get pendingBatches(): number {
    return this.queue.length;
  }

  async next(): Promise<IteratorResult<PoseBatch>> {
    if (this.closed || this.failed) return { done: true, value: undefined };
    this.schedule();
    const head = this.queue.shift();
    if (!head) {
      await this.close();
      return { done: true, value: undefined };
    }
    let data: BatchData | BatchFailure;
    try {
      data = await head.promise;
    } catch (err) {
      this.failed = true;
      await this.close();
      throw err;
    }
    if ('failure' in data) {
      this.failed = true;
      await this.close();
      throw data.failure.code ? new DeepPoseError(data.failure.code, data.failure.message) : new SampleLoadError(data.failure.imagePath, data.failure.message);
    }
    this.skippedCount += data.skipped.length;
    this.skipped.push(...data.skipped);
    // Every image of this batch was skipped: go on to the next one.
    if (data.size === 0) return this.next();
    this.schedule();
    return { done: false, value: { ...data, batchIndex: head.batchIndex, epoch: head.epoch } };
  }

  /** Stops the workers; pending batches are dropped. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.cancel, 0, 1);
    this.abort.abort();
    const pending = this.queue.map((q) => q.promise);
    this.queue.length = 0;
    if (this.ownWorker) await Promise.allSettled(pending);
    if (this.pool) await this.pool.destroy();
  }

  async return(): Promise<IteratorResult<PoseBatch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function toRef(s: PoseSample): SampleRef {
  return {
    index: s.index,
    image: s.image,
    imagePath: s.imagePath,
    jointsPx: s.jointsPx.flat(),
    visible: s.visible.map((v) => (v ? 1 : 0)),
    ...(s.splitVisible ? { splitVisible: s.splitVisible.map((v) => (v ? 1 : 0)) } : {}),
    ...(s.personBoxXywh ? { personBoxXywh: [...s.personBoxXywh] } : {}),
  };
}

/** Creates a batch iterator over `dataset`; call `close()` when done early. */
export function createBatchIterator(dataset: PoseDataset, options: IteratorOptions): PoseBatchIterator {
  return new PoseBatchIterator(dataset, options);
}
