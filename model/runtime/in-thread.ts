/**
 * Inference on the calling thread: `session.run` blocks it, so this is for
 * threads that exist to do this work (evaluation's workers), never an HTTP
 * event loop. One session per model, `threads` intra-op threads each;
 * onnxruntime loads on the first session (a model only described here —
 * `deeppose eval`'s, whose workers run it — never loads it).
 */
import { DeepPoseError, invalidArgument } from '../../core/errors.js';
import type { InferenceBackend, RunResult } from './backend.js';
import type { SessionSet, SessionSetOptions } from './session-set.js';
import { Float32BufferPool } from '../../core/buffer-pool.js';
import { runRefineTask, type RefineTask } from '../cascade.js';

export class InThreadRunner implements InferenceBackend {
  readonly workers = 1;
  readonly copiesToWorker = false;
  readonly threads: number;
  private sessions: Promise<SessionSet> | undefined;
  private readonly options: SessionSetOptions;
  private closed = false;
  /** Joint-crop tensors reused from one image to the next (core/buffer-pool.ts). */
  private readonly cropBuffers = new Float32BufferPool();

  constructor(options: { threads?: number; lrn?: 'band' | 'onnx'; sessionCacheDir?: string; prepackWeights?: boolean } = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw invalidArgument('threads', 'a positive integer', threads);
    this.threads = threads;
    this.options = { threads, lrn: options.lrn ?? 'band', ...(options.sessionCacheDir ? { sessionCacheDir: options.sessionCacheDir } : {}), ...(options.prepackWeights === false ? { prepackWeights: false } : {}) };
  }

  private sessionSet(): Promise<SessionSet> {
    return (this.sessions ??= import('./session-set.js').then((m) => new m.SessionSet(this.options)));
  }

  get queueSize(): number {
    return 0;
  }

  async run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<RunResult> {
    if (this.closed) throw new DeepPoseError('E_CLOSED', 'the model is closed');
    const r = await (await this.sessionSet()).run(modelPath, x, dims);
    return { y: r.y, dims: r.dims, sessionMs: r.ms };
  }

  refine(task: RefineTask): Promise<{ jointsPx: [number, number][]; sessionMs: number }> {
    return runRefineTask(task, (p, x, dims) => this.run(p, x, dims), this.cropBuffers);
  }

  async open(modelPaths: readonly string[]): Promise<void> {
    if (modelPaths.length === 0) return;
    await (await this.sessionSet()).open(modelPaths);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sessions) await (await this.sessions).close();
  }
}
