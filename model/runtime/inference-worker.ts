/**
 * Worker-thread entry (piscina): runs one batch through an ONNX model. Each
 * worker keeps its sessions open between tasks; the input buffer arrives
 * transferred, not copied.
 */
import { workerData } from 'piscina';
import { OrtModel } from './ort.js';

export interface InferenceTask {
  readonly modelPath: string;
  readonly x: Float32Array;
  readonly dims: readonly number[];
}

const threads = (workerData as { threads?: number } | undefined)?.threads ?? 1;
const lrn = (workerData as { lrn?: 'band' | 'onnx' } | undefined)?.lrn ?? 'band';
const sessionCacheDir = (workerData as { sessionCacheDir?: string } | undefined)?.sessionCacheDir;
const sessions = new Map<string, Promise<OrtModel>>();

function session(modelPath: string): Promise<OrtModel> {
  let m = sessions.get(modelPath);
  if (!m) {
    m = OrtModel.load(modelPath, modelPath, { threads, lrn, ...(sessionCacheDir ? { sessionCacheDir } : {}) });
    sessions.set(modelPath, m);
    m.catch(() => sessions.delete(modelPath));
  }
  return m;
}

export default async function run(task: InferenceTask | { ping: true } | { open: readonly string[] }): Promise<{ y: Float32Array; dims: readonly number[]; ms: number } | null> {
  if ('ping' in task) return null;
  if ('open' in task) {
    await Promise.all(task.open.map(session));
    return null;
  }
  const model = await session(task.modelPath);
  const t0 = performance.now();
  const out = await model.run({ x: { data: task.x, dims: task.dims } });
  const y = out.y!;
  // Outputs are small ([N, 2K]): copying them into a fresh buffer keeps the transfer simple.
  return { y: Float32Array.from(y.data), dims: y.dims, ms: performance.now() - t0 };
}
