/**
 * Evaluation's worker threads: each builds its batch (read, decode, the
 * legacy crop; data/batch.ts) and runs the whole model on it right there —
 * stage 1, the refinement stages on the pixels it just decoded, the person
 * finder — with its own sessions on this thread (one intra-op thread each).
 * Nothing crosses threads but the samples going in and the joints coming
 * out, and the cores are shared by as many such threads as there are cores
 * instead of data threads, an inference thread pool and the main thread's
 * joint crops contending for them.
 */
import { batchBuffers, buildBatch, type BatchData, type BatchFailure, type BatchTask } from '../data/batch.js';
import type { BoxXyxy } from '../data/transforms/legacy.js';
import type { EstimatorSpec } from '../model/estimator.js';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { DeepPoseError } from '../core/errors.js';
import { Float32BufferPool } from '../core/buffer-pool.js';

/** What evaluate.ts sends with every task. */
export interface EstimateExtra {
  readonly spec: EstimatorSpec;
  readonly stages: number;
  readonly find: boolean;
}

/** A batch as it comes back: the annotations and crops, no pixels, and the joints. */
export interface EstimatedBatch extends BatchData {
  /** `[B, K, 2]` predicted joints, original-image pixels. */
  readonly predPx: Float64Array;
}

let model: Promise<PoseModel> | undefined;

/** This thread's batch input tensors: a batch's pixels never leave the thread, so its buffer serves the next batch. */
const inputs = new Float32BufferPool(2);

function modelFor(extra: EstimateExtra): Promise<PoseModel> {
  const { spec, stages } = extra;
  model ??= loadPoseModel({
    ...(spec.model ? { model: spec.model } : {}), flip: spec.flip, ...(spec.skeleton ? { skeleton: spec.skeleton } : {}), ...(spec.lrn ? { lrn: spec.lrn } : {}),
    inThread: true, threads: 1, openStages: stages, preloadSharp: false,
  });
  return model;
}

/** One task: the batch, then the model on it; the buffers of the result are to be transferred. */
export async function estimateInWorker(task: BatchTask & { readonly extra: EstimateExtra }): Promise<EstimatedBatch | BatchFailure> {
  const { extra } = task;
  // The model loads (first task) while the batch is built; its failure is reported below.
  const loading = modelFor(extra);
  loading.catch(() => undefined);
  const S = task.config.size;
  const x = inputs.acquire(task.samples.length * 3 * S * S);
  const batch = await buildBatch(task, x);
  if ('failure' in batch) {
    inputs.release(x);
    return batch;
  }
  let pred: [number, number][][] = [];
  try {
    const m = await loading;
    const cropBoxes: BoxXyxy[] = [];
    for (let b = 0; b < batch.size; b++) cropBoxes.push(Array.from(batch.cropBoxes.subarray(b * 4, b * 4 + 4)) as BoxXyxy);
    if (batch.size > 0) pred = await m.estimateBatch({ x: batch.x, cropBoxes, indices: Array.from(batch.indices), ...(batch.images ? { images: batch.images } : {}) }, extra.stages, { find: extra.find });
  } catch (err) {
    // The model's error by its code (an error's class does not survive the trip between threads).
    const e = err as Error;
    return { failure: { imagePath: '', message: e.message, code: err instanceof DeepPoseError ? err.code : 'E_INFERENCE' } };
  } finally {
    inputs.release(x);
  }
  const k = pred[0]?.length ?? 0;
  const predPx = new Float64Array(batch.size * k * 2);
  pred.forEach((joints, b) => joints.forEach(([x, y], j) => {
    predPx[(b * k + j) * 2] = x;
    predPx[(b * k + j) * 2 + 1] = y;
  }));
  // The pixels stay here; everything else goes back.
  const { images: _images, ...rest } = batch;
  return { ...rest, x: new Float32Array(0), predPx };
}

/** The transfer list of an estimated batch. */
export function estimatedBuffers(b: EstimatedBatch): ArrayBuffer[] {
  return [...batchBuffers(b), b.predPx.buffer as ArrayBuffer];
}
