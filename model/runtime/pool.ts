/**
 * Inference off the calling thread: a piscina pool of worker threads, each
 * with its own onnxruntime sessions. `workers × threadsPerWorker` is capped
 * at the number of cores, since onnxruntime's `run` blocks the thread it
 * runs on and its intra-op threads compete for the same cores.
 */
import os from 'node:os';
import type { Piscina } from 'piscina';
import { DeepPoseError, invalidArgument } from '../../core/errors.js';
import type { InferenceTask } from './inference-worker.js';
import type { InferenceBackend, RunResult } from './backend.js';
import type { RefineTask } from '../cascade.js';
import { requireCommonJs } from '../../core/require-commonjs.js';

/** piscina (CommonJS, required: see core/require-commonjs.ts). */
const piscina = requireCommonJs<typeof import('piscina')>('piscina');

export interface PoolOptions {
  /** Worker threads (default 1). */
  readonly workers?: number;
  /** Intra-op threads per worker (default: cores / workers). */
  readonly threads?: number;
  /** LRN as a band-matrix convolution (default) or the ONNX LRN op (model/runtime/ort.ts). */
  readonly lrn?: 'band' | 'onnx';
  /** Keep each model's optimised graph here and open later sessions from it (model/runtime/session-cache.ts). */
  readonly sessionCacheDir?: string;
}

export type { RunResult } from './backend.js';

/** Resolves `workers` and `threads` so that their product does not exceed the cores. */
export function planThreads(options: PoolOptions, cores = os.availableParallelism()): { workers: number; threads: number } {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw invalidArgument('workers', 'a positive integer', workers);
  if (workers > cores) throw invalidArgument('workers', `at most ${cores} (the number of cores)`, workers);
  const threads = options.threads ?? Math.max(1, Math.floor(cores / workers));
  if (!Number.isInteger(threads) || threads < 1) throw invalidArgument('threads', 'a positive integer', threads);
  if (workers * threads > cores) {
    throw invalidArgument('threads', `at most ${Math.floor(cores / workers)} per worker (workers × threads ≤ ${cores} cores)`, threads);
  }
  return { workers, threads };
}

export class InferencePool implements InferenceBackend {
  private readonly pool: Piscina;
  readonly workers: number;
  readonly threads: number;
  readonly copiesToWorker = true;
  private closed = false;

  constructor(options: PoolOptions = {}) {
    const plan = planThreads(options);
    this.workers = plan.workers;
    this.threads = plan.threads;
    this.pool = new piscina.Piscina({
      filename: new URL('./inference-worker.js', import.meta.url).href,
      minThreads: plan.workers,
      maxThreads: plan.workers,
      idleTimeout: Infinity,
      workerData: { threads: plan.threads, lrn: options.lrn ?? 'band', ...(options.sessionCacheDir ? { sessionCacheDir: options.sessionCacheDir } : {}) },
    });
  }

  /** Every call on a closed pool: `E_CLOSED`. */
  private assertOpen(): void {
    if (this.closed) throw new DeepPoseError('E_CLOSED', 'the inference pool is closed');
  }

  /** Runs `x` (`[N, 3, S, S]`, transferred: do not use it afterwards) through the model at `modelPath`. */
  async run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<RunResult> {
    this.assertOpen();
    const task: InferenceTask = { modelPath, x, dims };
    const transfer = x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && !(x.buffer instanceof SharedArrayBuffer);
    const r = (await this.pool.run(task, transfer ? { transferList: [x.buffer as ArrayBuffer] } : {})) as { y: Float32Array; dims: number[]; ms: number; x: Float32Array };
    return { y: r.y, dims: r.dims, sessionMs: r.ms, ...(transfer ? { input: r.x } : {}) };
  }

  /** An image's cascade refinement on a worker: its pixels are copied there, its crops built there. */
  async refine(task: RefineTask): Promise<{ jointsPx: [number, number][]; sessionMs: number }> {
    this.assertOpen();
    return (await this.pool.run({ refine: task })) as { jointsPx: [number, number][]; sessionMs: number };
  }

  /** Opens the sessions of `modelPaths` in every worker, all at once (they are created in parallel). */
  async open(modelPaths: readonly string[]): Promise<void> {
    this.assertOpen();
    await Promise.all(Array.from({ length: this.workers }, () => this.pool.run({ open: modelPaths })));
  }

  /** Resolves once every worker has started (onnxruntime loaded), without opening a session. */
  async ping(): Promise<void> {
    this.assertOpen();
    await Promise.all(Array.from({ length: this.workers }, () => this.pool.run({ ping: true })));
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
