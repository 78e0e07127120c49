/**
 * Scoring a model on a dataset split: the one evaluation pipeline, used by
 * `deeppose eval`, training's per-epoch validation (through the callback
 * tools/train.ts hands the trainer) and the benchmarks.
 *
 * A model loaded from files (one with a `spec`) runs on the iterator's
 * worker threads, one per core: each decodes its batch, makes the stage-1
 * crops and runs the whole model on them right there
 * (eval/estimate-in-worker.ts), handing back joints. Any other estimator
 * (training's current weights) gets the batches on this thread: the
 * iterator decodes each image once on its workers and hands the pixels back
 * with the batch, the estimator runs stage 1 on it and its later stages on
 * those same pixels (`PoseEstimator.estimateBatch`). Either way the
 * collector turns predictions and ground truth into every metric at the end.
 */
import os from 'node:os';
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import type { PoseDataset } from '../data/dataset.js';
import type { BoxSource, SkippedSample } from '../data/batch.js';
import { createBatchIterator } from '../data/iterator.js';
import type { BoxXyxy } from '../data/transforms/legacy.js';
import type { PoseEstimator } from '../model/estimator.js';
import { EvalCollector, type EvalImage, type EvalResult } from './collector.js';
import type { EstimatedBatch, EstimateExtra } from './estimate-in-worker.js';

const ESTIMATE_WORKER = new URL('./estimate-worker.js', import.meta.url).href;

/** Worker threads that each load the model, by default (memory grows with each: its sessions). */
const MAX_MODEL_WORKERS = 8;

/**
 * Images in flight per evaluation thread that also runs the model: while
 * it runs a batch through its session or computes a crop, the images after
 * it that sharp decodes do so on libuv's thread pool (shared by the
 * threads). Four measured faster than two when sharp decoded every image —
 * `evaluateModel` of the LSPET test split, stage 1, four alternating
 * rounds: 3.07 s median against 3.20 s (6 and 8: 3.04, 3.05). LSPET's
 * JPEGs are now decoded on the thread itself (data/jpeg), where the images
 * in flight overlap nothing.
 */
const MODEL_THREAD_IN_FLIGHT = 4;

/** `[B, K, 2]` joints of a batch estimated on a worker. */
function jointsOf(batch: EstimatedBatch, k: number): [number, number][][] {
  return Array.from({ length: batch.size }, (_, b) => Array.from({ length: k }, (_, j) => [batch.predPx[(b * k + j) * 2]!, batch.predPx[(b * k + j) * 2 + 1]!] as [number, number]));
}

export interface EvaluateOptions {
  /** Cascade stages to run (default: all the model has). */
  readonly stages?: number;
  /** Images per batch (default 16). */
  readonly batchSize?: number;
  /** Data iterator threads (default: cores; 0 = the calling thread). */
  readonly threads?: number;
  /**
   * Images each data thread has in flight (default: `MODEL_THREAD_IN_FLIGHT`
   * where the threads also run the model, else the iterator's default).
   */
  readonly inFlight?: number;
  /**
   * Run the model on the data threads (default, for a model with a `spec`
   * and `threads` ≥ 1) or on this thread's estimator (`false`).
   */
  readonly modelInWorkers?: boolean;
  /**
   * Person box from the annotated joints (`visible`, default), the legacy
   * CSV's mask (`split`), none (`whole`: the whole image), or the model's
   * person finder (`found`: what a photo without a box gets).
   */
  readonly boxFrom?: BoxSource | 'found';
  /** Unreadable images: `fail` (default) or `skip` and count them. */
  readonly onError?: 'fail' | 'skip';
  /** Called after each batch with images done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One evaluated image. */
export interface ImageEvaluation extends EvalImage {
  /** `[K, 2]` predicted joints, pixels. */
  readonly predPx: [number, number][];
  /** Stage-1 crop, pixels. */
  readonly cropBoxXyxy: BoxXyxy;
}

export interface ModelEvaluation {
  /** Every metric (PCP strict/loose, PDJ, PCKh where head boxes exist). */
  readonly result: EvalResult;
  /** Per image, in split order (skipped images left out). */
  readonly images: readonly ImageEvaluation[];
  /** Images left out under `onError: 'skip'`. */
  readonly skipped: readonly SkippedSample[];
  /** Cascade stages run. */
  readonly stages: number;
  readonly seconds: number;
}

/** Runs `model` over `dataset` and scores it against the dataset's annotations. */
export async function evaluateModel(model: PoseEstimator, dataset: PoseDataset, options: EvaluateOptions = {}): Promise<ModelEvaluation> {
  const t0 = performance.now();
  if (model.skeleton.id !== dataset.skeleton.id) {
    throw new DeepPoseError('E_SKELETON_MISMATCH', `the model regresses ${model.skeleton.id} joints but ${dataset.dir} split ${dataset.split} is annotated with ${dataset.skeleton.id}`);
  }
  const stages = options.stages ?? model.info.stages;
  if (!Number.isInteger(stages) || stages < 1 || stages > model.info.stages) {
    throw invalidArgument('stages', `an integer from 1 to ${model.info.stages} (this model's cascade depth)`, stages);
  }
  const find = options.boxFrom === 'found';
  if (find && !model.info.personFinder) throw invalidArgument('boxFrom', 'visible, split or whole: this model has no person finder', 'found');
  const inWorkers = model.spec !== undefined && options.modelInWorkers !== false && (options.threads === undefined || options.threads > 0);
  const extra: EstimateExtra | undefined = inWorkers ? { spec: model.spec!, stages, find } : undefined;
  const it = createBatchIterator(dataset, {
    ...(extra ? { worker: { url: ESTIMATE_WORKER, extra } } : {}),
    // Each worker holding the model holds its sessions: at most MAX_MODEL_WORKERS by default.
    ...(extra && options.threads === undefined ? { threads: Math.min(os.availableParallelism(), MAX_MODEL_WORKERS) } : {}),
    batchSize: options.batchSize ?? 16,
    mode: 'eval',
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.inFlight !== undefined ? { inFlight: options.inFlight } : extra ? { inFlight: MODEL_THREAD_IN_FLIGHT } : {}),
    size: model.info.inputSize,
    channels: model.info.channels,
    boxFrom: find ? 'whole' : options.boxFrom ?? 'visible',
    onError: options.onError ?? 'fail',
    keepPixels: stages > 1 || find,
  });
  const k = dataset.skeleton.joints.length;
  const byIndex = new Map(dataset.samples.map((smp) => [smp.index, smp]));
  const collector = new EvalCollector(dataset.skeleton);
  const images: ImageEvaluation[] = [];
  let done = 0;
  try {
    for await (const batch of it) {
      const cropBoxes: BoxXyxy[] = [];
      for (let b = 0; b < batch.size; b++) cropBoxes.push(Array.from(batch.cropBoxes.subarray(b * 4, b * 4 + 4)) as BoxXyxy);
      const indices = Array.from(batch.indices);
      const pred = extra ? jointsOf(batch as unknown as EstimatedBatch, k) : await model.estimateBatch({ x: batch.x, cropBoxes, indices, ...(batch.images ? { images: batch.images } : {}) }, stages, { find });
      for (let b = 0; b < batch.size; b++) {
        const sample = byIndex.get(indices[b]!)!;
        const gtPx: [number, number][] = [];
        const visible: boolean[] = [];
        for (let j = 0; j < k; j++) {
          gtPx.push([batch.jointsPx[(b * k + j) * 2]!, batch.jointsPx[(b * k + j) * 2 + 1]!]);
          visible.push(batch.visible[b * k + j] === 1);
        }
        const entry: ImageEvaluation = {
          image: sample.image, imagePath: sample.imagePath, predPx: pred[b]!, gtPx, visible, cropBoxXyxy: cropBoxes[b]!,
          ...(sample.headBoxXyxy ? { headBoxXyxy: sample.headBoxXyxy } : {}),
        };
        collector.add(entry);
        images.push(entry);
      }
      done += batch.size;
      options.onProgress?.(done + it.skippedCount, dataset.samples.length);
    }
  } finally {
    await it.close();
  }
  return { result: collector.result(), images, skipped: [...it.skipped], stages, seconds: (performance.now() - t0) / 1000 };
}
