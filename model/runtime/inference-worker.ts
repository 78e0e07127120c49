/**
 * Worker-thread entry (piscina): runs one batch through an ONNX model. Each
 * worker keeps its sessions open between tasks (model/runtime/session-set.ts);
 * the input buffer arrives transferred, not copied.
 */
import { workerData } from 'piscina';
import { SessionSet } from './session-set.js';

export interface InferenceTask {
  readonly modelPath: string;
  readonly x: Float32Array;
  readonly dims: readonly number[];
}

const data = (workerData ?? {}) as { threads?: number; lrn?: 'band' | 'onnx'; sessionCacheDir?: string };
const sessions = new SessionSet({ threads: data.threads ?? 1, lrn: data.lrn ?? 'band', ...(data.sessionCacheDir ? { sessionCacheDir: data.sessionCacheDir } : {}) });

export default async function run(task: InferenceTask | { ping: true } | { open: readonly string[] }): Promise<{ y: Float32Array; dims: readonly number[]; ms: number } | null> {
  if ('ping' in task) return null;
  if ('open' in task) {
    await sessions.open(task.open);
    return null;
  }
  const r = await sessions.run(task.modelPath, task.x, task.dims);
  // Outputs are small ([N, 2K]): copying them into a fresh buffer keeps the transfer simple.
  return { y: Float32Array.from(r.y), dims: r.dims, ms: r.ms };
}
