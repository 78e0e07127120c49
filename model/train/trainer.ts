/**
 * The training loop: batches from the data iterators (legacy augmentations),
 * one ONNX training step per batch, per-epoch validation loss and strict PCP
 * on held-out training images, legacy checkpoints and resumable snapshots,
 * a time budget.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PoseDataset } from '../../data/dataset.js';
import { createBatchIterator } from '../../data/iterator.js';
import type { BoxSource } from '../../data/batch.js';
import { createRng } from '../../core/random.js';
import { decodeJoints, normaliseJoints } from '../../data/transforms/legacy.js';
import { refineStage, type StageRunner } from '../cascade.js';
import type { PoseEstimator, ValidationScorer } from '../estimator.js';
import { writeFileAtomic } from '../../core/write-atomic.js';
import { alexnet } from '../arch/alexnet.js';
import { GraphBuilder } from '../onnx/builder.js';
import { OrtModel, type FloatTensor } from '../runtime/ort.js';
import { buildAlexNetTrainStep, newName, slotName, type AlexNetDims, type OptimizerSpec } from './alexnet-step.js';
import { writeLegacyModel, writeSnapshot, type ParamMap, type TrainerState } from './params.js';
import { StageExampleSource, type DisplacementStats, type StageBatch } from './stage-examples.js';

/** Where training batches come from. */
interface BatchSource {
  readonly itersPerEpoch: number;
  next(): Promise<StageBatch | undefined>;
  close(): Promise<void>;
}

/** Stage 1: person crops with the legacy augmentations, from the piscina iterators. */
function personCropSource(ds: PoseDataset, cfg: TrainConfig): BatchSource {
  const { dims } = cfg;
  const B = dims.batch;
  const k2 = dims.widths.fc8;
  const it = createBatchIterator(ds, { batchSize: B, mode: 'train', repeat: true, shuffle: true, seed: cfg.seed, threads: cfg.dataThreads, size: dims.inputSize, ...(cfg.boxFrom ? { boxFrom: cfg.boxFrom } : {}) });
  return {
    itersPerEpoch: Math.max(1, Math.floor(ds.samples.length / B)),
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done) return undefined;
        const b = r.value;
        if (b.size !== B) continue; // a batch shortened by skipped images
        const mask = new Float32Array(B * k2);
        const t = new Float32Array(B * k2);
        for (let j = 0; j < B * k2; j++) {
          const on = b.visible[j >> 1] === 1;
          mask[j] = on ? 1 : 0;
          t[j] = on ? b.jointsNorm[j]! : 0;
        }
        return { x: b.x, t, mask };
      }
    },
    close: () => it.close(),
  };
}

/** Stage ≥ 2: joint-centred crops around simulated previous-stage estimates. */
function jointCropSource(ds: PoseDataset, cfg: TrainConfig, seed: number): BatchSource & { images: number } {
  const c = cfg.cascade!;
  const src = new StageExampleSource(ds.samples, ds.skeleton, c.stats, { sigma: c.sigma, size: cfg.dims.inputSize, channels: 'bgr', seed, batch: cfg.dims.batch, insideCrop: c.insideCrop ?? false });
  const joints = ds.samples.reduce((a, s) => a + s.visible.filter(Boolean).length, 0);
  return {
    images: src.imageCount,
    itersPerEpoch: Math.max(1, Math.floor(joints / cfg.dims.batch)),
    next: () => src.next(),
    close: async () => undefined,
  };
}

/** Chainer's dropout ratio in the legacy AlexNet. */
export const DROPOUT_RATIO = 0.6;

export interface TrainConfig {
  readonly dims: AlexNetDims;
  readonly optimizer: OptimizerSpec;
  /** Adam's alpha or SGD's learning rate. */
  readonly lr: number;
  readonly epochs: number;
  /** Stop (after saving) once this many minutes have passed. */
  readonly timeBudgetMinutes?: number;
  readonly seed: number;
  /** Iterator threads for the augmentations. */
  readonly dataThreads?: number;
  /** Stage 1: where the person box comes from (default the annotated joints; `whole`: the whole image, for a person-finding stage). */
  readonly boxFrom?: BoxSource;
  /** onnxruntime intra-op threads for the training step. */
  readonly computeThreads: number;
  readonly outDir: string;
  /** Train a cascade stage ≥ 2 on joint-centred examples instead of stage 1 on person crops. */
  readonly cascade?: {
    readonly stage: number;
    readonly sigma: number;
    readonly stats: DisplacementStats;
    readonly insideCrop?: boolean;
    /** The previous stages' predictions on the validation images (`[N][K]` px): with them, validation also scores the cascade's strict PCP. */
    readonly valStart?: readonly (readonly [number, number][])[];
  };
}

export interface EpochLog {
  readonly epoch: number;
  readonly iteration: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly valStrictPcp: number | null;
  readonly imagesPerSecond: number;
  readonly minutes: number;
  readonly lr: number;
}

export interface TrainHooks {
  /** Per-iteration progress within an epoch. */
  readonly onIteration?: (iterInEpoch: number, itersPerEpoch: number, loss: number) => void;
  readonly onEpoch?: (log: EpochLog) => void;
  /**
   * Runs an estimator over the validation images through the evaluation
   * pipeline (tools/train.ts builds it on eval's `evaluateModel`); without
   * it, validation is skipped.
   */
  readonly score?: ValidationScorer;
}

/** The current parameters as an inference model (for validation). */
function inferenceModel(params: ParamMap, dims: AlexNetDims): Uint8Array {
  const g = new GraphBuilder('validation');
  const x = g.input('x', 'float32', ['N', 3, dims.inputSize, dims.inputSize]);
  const y = alexnet.build(g, params, { arch: 'alexnet', title: '', widths: dims.widths, joints: dims.widths.fc8 / 2, parameterCount: 0, params: [...params.keys()] }, x);
  g.node('Identity', [y], {}, ['y']);
  g.output('y', 'float32', ['N', dims.widths.fc8]);
  return g.encode({ opset: 13 });
}

async function validate(params: ParamMap, dims: AlexNetDims, val: PoseDataset | undefined, cfg: TrainConfig, hooks: TrainHooks): Promise<{ loss: number | null; pcp: number | null }> {
  if (!val || val.samples.length === 0 || !hooks.score) return { loss: null, pcp: null };
  const model = await OrtModel.load(inferenceModel(params, dims), 'validation', { threads: cfg.computeThreads });
  const S = dims.inputSize;
  const k = val.skeleton.joints.length;
  const run: StageRunner = async (x, d) => (await model.run({ x: { data: x, dims: d } })).y!.data;
  try {
    if (cfg.cascade) return await validateJointCrops(dims, val, cfg, hooks.score, run);
    // Stage 1: the evaluation pipeline (hooks.score) runs these weights on the person crops;
    // the loss is the masked squared error of the normalised joints, as in training.
    const estimator: PoseEstimator = {
      skeleton: val.skeleton,
      info: { inputSize: S, channels: 'bgr', stages: 1 },
      async estimateBatch(batch) {
        const b = batch.cropBoxes.length;
        const y = await run(batch.x, [b, 3, S, S]);
        return batch.cropBoxes.map((box, i) => decodeJoints(y.subarray(i * 2 * k, (i + 1) * 2 * k), box, S));
      },
    };
    const scored = await hooks.score(estimator, 1);
    let sum = 0;
    let count = 0;
    for (const im of scored.images) {
      const p = normaliseJoints(im.jointsPx, im.cropBoxXyxy, S);
      const t = normaliseJoints(im.gtPx, im.cropBoxXyxy, S);
      for (let j = 0; j < k; j++) {
        if (!im.visible[j]) continue;
        sum += (p[j]![0] - t[j]![0]) ** 2 + (p[j]![1] - t[j]![1]) ** 2;
        count += 2;
      }
    }
    return { loss: count > 0 ? sum / count : null, pcp: scored.strictPcp };
  } finally {
    await model.close();
  }
}

/**
 * Stage ≥ 2 validation: the masked loss on a fixed set of joint-centred
 * examples of the held-out images, and — given the previous stages'
 * predictions there — the cascade's strict PCP through the evaluation
 * pipeline, this stage refining each previous estimate as inference does.
 */
async function validateJointCrops(dims: AlexNetDims, val: PoseDataset, cfg: TrainConfig, score: ValidationScorer, run: StageRunner): Promise<{ loss: number | null; pcp: number | null }> {
  const src = jointCropSource(val, { ...cfg, dims: { ...dims, batch: 32 } }, cfg.seed + 1);
  let sum = 0;
  let count = 0;
  const batches = Math.min(8, src.itersPerEpoch);
  for (let i = 0; i < batches; i++) {
    const b = (await src.next())!;
    const y = await run(b.x, [32, 3, dims.inputSize, dims.inputSize]);
    for (let j = 0; j < y.length; j++) {
      if (!b.mask[j]) continue;
      sum += (y[j]! - b.t[j]!) ** 2;
      count++;
    }
  }
  const start = cfg.cascade!.valStart;
  if (!start) return { loss: count ? sum / count : null, pcp: null };
  const position = new Map(val.samples.map((smp, n) => [smp.index, n]));
  const stage = { sigma: cfg.cascade!.sigma, inputSize: dims.inputSize, channels: 'bgr' as const };
  const estimator: PoseEstimator = {
    skeleton: val.skeleton,
    info: { inputSize: dims.inputSize, channels: 'bgr', stages: 2 },
    async estimateBatch(batch) {
      const out: [number, number][][] = [];
      for (let i = 0; i < batch.cropBoxes.length; i++) {
        const previous = start[position.get(batch.indices[i]!)!]!;
        out.push(await refineStage(batch.images![i]!, previous, batch.cropBoxes[i]!, val.skeleton, stage, run));
      }
      return out;
    },
  };
  const scored = await score(estimator, 2);
  return { loss: count ? sum / count : null, pcp: scored.strictPcp };
}

/**
 * Trains from `state` on `train`, validating on `val` each epoch. Returns
 * the final state; writes `epoch-N.model`, `snapshot_epoch_N.npz` and
 * `log.json` into `cfg.outDir`.
 */
export async function train(state: TrainerState, train: PoseDataset, val: PoseDataset | undefined, cfg: TrainConfig, hooks: TrainHooks = {}): Promise<{ state: TrainerState; log: EpochLog[]; stoppedByBudget: boolean }> {
  mkdirSync(cfg.outDir, { recursive: true });
  const { dims } = cfg;
  const B = dims.batch;
  const step = buildAlexNetTrainStep(dims, cfg.optimizer);
  const session = await OrtModel.load(step.bytes, 'training step', { threads: cfg.computeThreads });
  const feeds: Record<string, FloatTensor> = {};
  for (const [name, shape] of step.params) {
    const p = state.params.get(name);
    if (!p || p.data.length !== shape.reduce((a, b) => a * b, 1)) throw new RangeError(`parameter ${name}: expected shape ${shape.join('×')}`);
    feeds[name] = { data: p.data, dims: shape };
    for (const s of step.slots) feeds[slotName(name, s)] = { data: state.slots.get(s)?.get(name)?.data ?? new Float32Array(p.data.length), dims: shape };
  }
  const k2 = dims.widths.fc8;
  const source = cfg.cascade ? jointCropSource(train, cfg, cfg.seed + 1000 * state.epoch) : personCropSource(train, cfg);
  const itersPerEpoch = source.itersPerEpoch;
  const started = Date.now();
  const log: EpochLog[] = [];
  let iteration = state.iteration;
  let epoch = state.epoch;
  let stoppedByBudget = false;
  const keep = 1 - DROPOUT_RATIO;
  const snapshotState = (): TrainerState => {
    const params: ParamMap = new Map(step.params.map(([n, s]) => [n, { data: feeds[n]!.data, shape: s }]));
    const slots = new Map(step.slots.map((sl) => [sl, new Map(step.params.map(([n, s]) => [n, { data: feeds[slotName(n, sl)]!.data, shape: s }]))] as const));
    return { params, slots, iteration, epoch, optimizer: cfg.optimizer.kind };
  };
  try {
    while (epoch < cfg.epochs && !stoppedByBudget) {
      const epochStart = Date.now();
      let lossSum = 0;
      let steps = 0;
      for (let i = 0; i < itersPerEpoch; i++) {
        const b = await source.next();
        if (!b) break;
        const rng = createRng(cfg.seed, 104729, iteration);
        const drop = (n: number) => Float32Array.from({ length: n }, () => (rng.next() < keep ? 1 / keep : 0));
        iteration++;
        const lr = cfg.optimizer.kind === 'adam'
          ? cfg.lr * Math.sqrt(1 - (cfg.optimizer.beta2 ?? 0.999) ** iteration) / (1 - (cfg.optimizer.beta1 ?? 0.9) ** iteration)
          : cfg.lr;
        Object.assign(feeds, {
          x: { data: b.x, dims: [B, 3, dims.inputSize, dims.inputSize] },
          t: { data: b.t, dims: [B, k2] },
          mask: { data: b.mask, dims: [B, k2] },
          drop6: { data: drop(B * dims.widths.fc6), dims: [B, dims.widths.fc6] },
          drop7: { data: drop(B * dims.widths.fc7), dims: [B, dims.widths.fc7] },
          lr: { data: Float32Array.of(lr), dims: [] },
        });
        const out = await session.run(feeds);
        const loss = out.loss!.data[0]!;
        if (!Number.isFinite(loss)) throw new RangeError(`the loss became ${loss} at iteration ${iteration}: lower the learning rate`);
        for (const [name] of step.params) {
          feeds[name] = out[newName(name)]!;
          for (const s of step.slots) feeds[slotName(name, s)] = out[newName(slotName(name, s))]!;
        }
        lossSum += loss;
        steps++;
        hooks.onIteration?.(i + 1, itersPerEpoch, loss);
        if (cfg.timeBudgetMinutes !== undefined && (Date.now() - started) / 60000 >= cfg.timeBudgetMinutes) {
          stoppedByBudget = true;
          break;
        }
      }
      if (!stoppedByBudget) epoch++;
      const current = snapshotState();
      const v = await validate(current.params, dims, val, cfg, hooks);
      const entry: EpochLog = {
        epoch, iteration, trainLoss: steps ? lossSum / steps : Number.NaN, valLoss: v.loss, valStrictPcp: v.pcp,
        imagesPerSecond: (steps * B) / ((Date.now() - epochStart) / 1000), minutes: (Date.now() - started) / 60000, lr: cfg.lr,
      };
      log.push(entry);
      hooks.onEpoch?.(entry);
      const tag = stoppedByBudget ? `iter-${iteration}` : String(epoch);
      await writeLegacyModel(path.join(cfg.outDir, `epoch-${tag}.model`), current.params);
      await writeSnapshot(path.join(cfg.outDir, `snapshot_epoch_${tag}.npz`), current);
      await writeFileAtomic(path.join(cfg.outDir, 'log.json'), `${JSON.stringify(log, null, 1)}\n`);
    }
  } finally {
    await source.close();
    await session.close();
  }
  return { state: snapshotState(), log, stoppedByBudget };
}
