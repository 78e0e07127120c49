/**
 * Inference on the calling thread: `session.run` blocks it, so this is for
 * threads that exist to do this work (evaluation's workers), never an HTTP
 * event loop. One session per model, `threads` intra-op threads each.
 */
import { invalidArgument } from '../../core/errors.js';
import type { InferenceBackend, RunResult } from './backend.js';
import { SessionSet } from './session-set.js';

export class InThreadRunner implements InferenceBackend {
  readonly workers = 1;
  readonly threads: number;
  private readonly sessions: SessionSet;
  private closed = false;

  constructor(options: { threads?: number; lrn?: 'band' | 'onnx'; sessionCacheDir?: string } = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw invalidArgument('threads', 'a positive integer', threads);
    this.threads = threads;
    this.sessions = new SessionSet({ threads, lrn: options.lrn ?? 'band', ...(options.sessionCacheDir ? { sessionCacheDir: options.sessionCacheDir } : {}) });
  }

  get queueSize(): number {
    return 0;
  }

  async run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<RunResult> {
    if (this.closed) throw new Error('in-thread runner is closed');
    const r = await this.sessions.run(modelPath, x, dims);
    return { y: r.y, dims: r.dims, sessionMs: r.ms };
  }

  async open(modelPaths: readonly string[]): Promise<void> {
    await this.sessions.open(modelPaths);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sessions.close();
  }
}
