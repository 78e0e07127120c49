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
const sessions = new Map<string, Promise<OrtModel>>();

export default async function run(task: InferenceTask | { ping: true }): Promise<{ y: Float32Array; dims: readonly number[]; ms: number } | null> {
  if ('ping' in task) return null;
  let m = sessions.get(task.modelPath);
  if (!m) {
    m = OrtModel.load(task.modelPath, task.modelPath, { threads, lrn });
    sessions.set(task.modelPath, m);
    m.catch(() => sessions.delete(task.modelPath));
  }
  const model = await m;
  const t0 = performance.now();
  const out = await model.run({ x: { data: task.x, dims: task.dims } });
  const y = out.y!;
  // Outputs are small ([N, 2K]): copying them into a fresh buffer keeps the transfer simple.
  return { y: Float32Array.from(y.data), dims: y.dims, ms: performance.now() - t0 };
}
