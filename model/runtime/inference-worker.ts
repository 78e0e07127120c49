/**
 * Worker-thread entry (piscina): runs one batch through an ONNX model, or an
 * image's cascade refinement (its joint crops built here, off the caller's
 * thread; model/cascade.ts). Each
 * worker keeps its sessions open between tasks (model/runtime/session-set.ts);
 * the input buffer arrives transferred, not copied.
 */
import { SessionSet } from './session-set.js';
import { Float32BufferPool } from '../../core/buffer-pool.js';
import { runRefineTask, type RefineTask } from '../cascade.js';
import { requireCommonJs } from '../../core/require-commonjs.js';

/** piscina (CommonJS, required: see core/require-commonjs.ts). */
const { move, transferableSymbol, valueSymbol, workerData } = requireCommonJs<typeof import('piscina')>('piscina');

export interface InferenceTask {
  readonly modelPath: string;
  readonly x: Float32Array;
  readonly dims: readonly number[];
}

const data = (workerData ?? {}) as { threads?: number; lrn?: 'band' | 'onnx'; sessionCacheDir?: string };
/** This thread's joint-crop tensors, reused from one image to the next (core/buffer-pool.ts). */
const cropBuffers = new Float32BufferPool();
const sessions = new SessionSet({ threads: data.threads ?? 1, lrn: data.lrn ?? 'band', ...(data.sessionCacheDir ? { sessionCacheDir: data.sessionCacheDir } : {}) });

type Task = InferenceTask | { ping: true } | { open: readonly string[] } | { refine: RefineTask };
type Reply = { y: Float32Array; dims: readonly number[]; ms: number; x: Float32Array } | { jointsPx: [number, number][]; sessionMs: number } | null;

export default async function run(task: Task): Promise<Reply> {
  if ('ping' in task) return null;
  if ('refine' in task) {
    return runRefineTask(task.refine, async (modelPath, x, dims) => {
      const r = await sessions.run(modelPath, x, dims);
      return { y: r.y, sessionMs: r.ms };
    }, cropBuffers);
  }
  if ('open' in task) {
    await sessions.open(task.open);
    return null;
  }
  const r = await sessions.run(task.modelPath, task.x, task.dims);
  // Outputs are small ([N, 2K]): copied into a buffer of their own. The input goes back
  // to the caller, transferred, for its next batch.
  const reply = { y: Float32Array.from(r.y), dims: r.dims, ms: r.ms, x: task.x };
  return move({ [transferableSymbol]: [reply.y.buffer, task.x.buffer], [valueSymbol]: reply } as never) as unknown as Reply;
}
