/**
 * Where a model's stages run: a pool of inference worker threads
 * (model/runtime/pool.ts, the default: never on the caller's event loop), or
 * the calling thread itself (model/runtime/in-thread.ts: for code that is
 * already on a worker thread of its own, such as evaluation's workers).
 */
import type { RefineTask } from '../cascade.js';
export interface RunResult {
  /** Raw output `[N, 2K]`. */
  readonly y: Float32Array;
  readonly dims: readonly number[];
  /** Time inside `session.run`. */
  readonly sessionMs: number;
  /**
   * The input buffer, handed back by a worker it was transferred to: the
   * caller's alone again, to reuse (a fresh one costs page faults).
   */
  readonly input?: Float32Array;
}

export interface InferenceBackend {
  /** Batches that can run at once. */
  readonly workers: number;
  /** Whether tasks run on other threads, their data copied there (a worker pool), or here. */
  readonly copiesToWorker: boolean;
  /** onnxruntime intra-op threads per session. */
  readonly threads: number;
  /** Tasks waiting. */
  readonly queueSize: number;
  /** Runs `x` (`[N, 3, S, S]`; it may be transferred: do not use it afterwards) through the model at `modelPath`. */
  run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<RunResult>;
  /**
   * Cascade stages 2 … of one image, the joint crops built where the
   * sessions run (a worker: off the calling thread; model/cascade.ts).
   */
  refine(task: RefineTask): Promise<{ jointsPx: [number, number][]; sessionMs: number }>;
  /** Opens the sessions of `modelPaths` now. */
  open(modelPaths: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
