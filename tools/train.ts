/** `deeppose train`: train or fine-tune a DeepPose stage (1, or a cascade stage ≥ 2) on CPU, writing legacy Chainer checkpoints. */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { withPersonBoxTargets } from '../data/person-box-targets.js';
import { openDataset, type PoseDataset } from '../data/dataset.js';
import { loadPoseModel } from '../model/pose-model.js';
import type { ValidationScorer } from '../model/estimator.js';
import { evaluateModel } from '../eval/evaluate.js';
import { displacementStats, type DisplacementStats } from '../model/train/stage-examples.js';
import { InvalidArgumentError, invalidArgument } from '../core/errors.js';
import type { BoxSource } from '../data/batch.js';
import { alexnetParamShapes } from '../model/train/alexnet-step.js';
import { initParams, liteDims, loadParams, readSnapshot, type TrainerState } from '../model/train/params.js';
import { train } from '../model/train/trainer.js';
import { MAX_CASCADE_STAGES } from '../model/cascade.js';
import { action } from './action.js';
import { parseChoice, parseFloatIn, parseInt10 } from './options.js';
import { progressBar, type Progress } from './progress.js';

interface TrainOptions {
  stage: number;
  sigma?: number;
  previous?: string[];
  dataset: string;
  split: string;
  valCount: number;
  init?: string;
  resume?: string;
  optimizer: 'adam' | 'momentum-sgd';
  lr?: number;
  momentum: number;
  weightDecay: number;
  batch: number;
  epochs: number;
  timeBudget?: number;
  seed: number;
  threads?: number;
  dataThreads?: number;
  out: string;
  limit?: number;
  force?: boolean;
  insideCrop?: boolean;
  boxFrom: BoxSource;
  targets: 'joints' | 'person-box';
}

/** The previous stages' predictions (`[N][K]` px) on a dataset, with its ground truth and mask. */
interface PreviousPredictions {
  readonly pred: [number, number][][];
  readonly gt: (readonly (readonly [number, number])[])[];
  readonly vis: (readonly boolean[])[];
  readonly strictPcp: number;
}

/** Runs the previous stages over the training images (to fit their error distribution) and the validation images (the cascade's starting points there). */
async function previousStagePredictions(previous: string[] | undefined, sets: { ds: PoseDataset; label: string }[], dataThreads: number | undefined): Promise<PreviousPredictions[]> {
  // Evaluation's workers run it; nothing opens here.
  const model = await loadPoseModel({ model: previous, inThread: true, openStages: 0, log: (l) => process.stderr.write(`deeppose train: ${l}\n`) });
  try {
    const out: PreviousPredictions[] = [];
    for (const { ds, label } of sets) {
      const bar = progressBar(label, ds.samples.length);
      let shown = 0;
      try {
        const r = await evaluateModel(model, ds, { batchSize: 32, threads: dataThreads, onProgress: (done) => { bar.tick(done - shown); shown = done; } });
        out.push({ pred: r.images.map((e) => e.predPx), gt: r.images.map((e) => e.gtPx), vis: r.images.map((e) => e.visible), strictPcp: r.result.pcp.strict.total });
      } finally {
        bar.done();
      }
    }
    return out;
  } finally {
    await model.close();
  }
}

/** Training's validation callback: the evaluation pipeline on the held-out images. */
function validationScorer(val: PoseDataset | undefined, dataThreads: number | undefined, boxFrom: BoxSource): ValidationScorer | undefined {
  if (!val) return undefined;
  return async (estimator, stages) => {
    const r = await evaluateModel(estimator, val, { stages, batchSize: 32, threads: dataThreads, boxFrom });
    return { strictPcp: r.result.pcp.strict.total, images: r.images.map((e) => ({ jointsPx: e.predPx, gtPx: e.gtPx, visible: e.visible, cropBoxXyxy: e.cropBoxXyxy })) };
  };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train or fine-tune a DeepPose stage (1: person crops; ≥ 2: cascade refinement on joint crops) on CPU (an ONNX graph computes loss, gradients and the update); writes legacy Chainer checkpoints')
    .requiredOption('--dataset <dir>', 'dataset directory (images/, joints.mat or annotations, splits/)')
    .option('--split <name>', 'training split', 'legacy-train')
    .option('--val-count <n>', 'hold out the last N images of the split for validation', parseInt10('--val-count', 0, 1_000_000), 500)
    .option('--init <checkpoint>', 'start from a legacy checkpoint (fine-tuning) instead of random weights')
    .option('--resume <snapshot>', 'continue from a snapshot_epoch_N.npz written by an earlier run')
    .option('--optimizer <name>', 'adam | momentum-sgd', parseChoice('--optimizer', ['adam', 'momentum-sgd'] as const), 'adam')
    .option('--lr <rate>', "learning rate (Adam's alpha; default 1e-4 for Adam, 1e-3 for momentum SGD)", parseFloatIn('--lr', 1e-9, 10))
    .option('--momentum <m>', 'momentum of momentum SGD', parseFloatIn('--momentum', 0, 0.9999), 0.9)
    .option('--weight-decay <rate>', 'L2 weight decay rate (Chainer WeightDecay hook)', parseFloatIn('--weight-decay', 0, 1), 0)
    .option('--batch <n>', 'batch size', parseInt10('--batch', 1, 1024), 32)
    .option('--epochs <n>', 'train until this epoch', parseInt10('--epochs', 1, 100000), 10)
    .option('--time-budget <minutes>', 'stop (after saving) when this many minutes have passed', parseFloatIn('--time-budget', 0.0001, 1e6))
    .option('--seed <n>', 'seed for initialisation, shuffling, augmentation and dropout', parseInt10('--seed', 0, 2 ** 31 - 1), 1701)
    .option('--threads <n>', 'onnxruntime threads for the training step (default: cores)', parseInt10('--threads', 1, 256))
    .option('--data-threads <n>', 'data iterator threads (default: cores)', parseInt10('--data-threads', 0, 256))
    .option('--limit <n>', 'use only the first N images of the split (quick runs)', parseInt10('--limit', 1, 100_000_000))
    .option('--stage <n>', 'cascade stage to train: 1 (person crops) or ≥ 2 (joint-centred crops)', parseInt10('--stage', 1, MAX_CASCADE_STAGES), 1)
    .option('--sigma <s>', 'stage ≥ 2: crop side as a multiple of the torso diameter', parseFloatIn('--sigma', 0.01, 10))
    .option('--previous <model>', 'stage ≥ 2: the model of stages 1 … s−1 (repeatable; default: the embedded model), run on the training images to fit its error distribution', (v: string, prev: string[] = []) => [...prev, v])
    .option('--box-from <source>', 'stage 1: person box from the annotated joints (visible), the legacy CSV mask (split), or the whole image (whole: a person-finding stage)', parseChoice('--box-from', ['visible', 'split', 'whole'] as const), 'visible')
    .option('--targets <kind>', 'what stage 1 regresses: the joints, or the person box\'s corners laid out on the joints (person-box: a person finder, with --box-from whole; data/person-box-targets.ts)', parseChoice('--targets', ['joints', 'person-box'] as const), 'joints')
    .option('--inside-crop', 'stage ≥ 2: draw displacements conditioned on the true joint lying inside the crop (what a refinement stage can correct)')
    .option('--out <dir>', 'where epoch-N.model, snapshot_epoch_N.npz and log.json go', 'train-out')
    .option('-f, --force', 'write into an output directory that already holds checkpoints')
    .action(action(async (opts: TrainOptions) => {
      if (opts.insideCrop && opts.stage === 1) throw new InvalidArgumentError('--inside-crop: only for cascade stages (--stage 2 or more)');
      if (opts.stage > 1 && opts.boxFrom !== 'visible') throw invalidArgument('--box-from', 'visible for a cascade stage ≥ 2 (its crops centre on the joints)', opts.boxFrom);
      if (opts.targets === 'person-box' && (opts.stage > 1 || opts.boxFrom !== 'whole')) throw invalidArgument('--targets', 'joints, or person-box with --stage 1 and --box-from whole (a person finder sees whole frames)', `person-box with --stage ${opts.stage} --box-from ${opts.boxFrom}`);
      if (opts.init && opts.resume) throw new InvalidArgumentError('--init and --resume exclude each other (a snapshot already holds the weights)');
      if (existsSync(opts.out) && readdirSync(opts.out).some((f) => f.endsWith('.model')) && !opts.force && !opts.resume) {
        throw new InvalidArgumentError(`${opts.out}: already holds checkpoints (pass --force to add to it, or choose another --out)`);
      }
      const opened = await openDataset(opts.dataset, opts.split);
      const ds = opts.targets === 'person-box' ? withPersonBoxTargets(opened) : opened;
      const all = opts.limit ? ds.samples.slice(0, opts.limit) : ds.samples;
      const nVal = Math.min(opts.valCount, Math.floor(all.length / 2));
      const trainSet = { ...ds, samples: all.slice(0, all.length - nVal).map((s, i) => ({ ...s, index: i })) };
      const valSet = nVal > 0 ? { ...ds, samples: all.slice(all.length - nVal).map((s, i) => ({ ...s, index: i })) } : undefined;
      if (trainSet.samples.length < opts.batch) throw new InvalidArgumentError(`--batch ${opts.batch}: the training part has only ${trainSet.samples.length} images`);
      const k = ds.skeleton.joints.length;
      let dims = liteDims(opts.batch, k);
      let state: TrainerState;
      const slots = opts.optimizer === 'adam' ? ['m', 'v'] : ['m'];
      if (opts.resume) {
        state = await readSnapshot(opts.resume, slots);
        const fc8 = state.params.get('fc8/W')?.shape[0];
        if (fc8 !== 2 * k) throw new InvalidArgumentError(`${opts.resume}: regresses ${fc8 ? fc8 / 2 : '?'} joints, the dataset has ${k}`);
        const w = (n: string) => state.params.get(`${n}/W`)!.shape;
        dims = { batch: opts.batch, inputSize: 220, widths: { conv1: w('conv1')[0]!, conv2: w('conv2')[0]!, conv3: w('conv3')[0]!, conv4: w('conv4')[0]!, conv5: w('conv5')[0]!, fc6: w('fc6')[0]!, fc7: w('fc7')[0]!, fc8: w('fc8')[0]! }, kernels: { conv1: w('conv1')[2]!, conv2: w('conv2')[2]!, conv3: w('conv3')[2]!, conv4: w('conv4')[2]!, conv5: w('conv5')[2]! } };
      } else if (opts.init) {
        const loaded = await loadParams(opts.init, opts.batch, 220);
        if (loaded.dims.widths.fc8 !== 2 * k) throw new InvalidArgumentError(`${opts.init}: regresses ${loaded.dims.widths.fc8 / 2} joints, the dataset has ${k}`);
        dims = loaded.dims;
        state = { params: loaded.params, slots: new Map(), iteration: 0, epoch: 0, optimizer: opts.optimizer };
      } else {
        state = { params: initParams(alexnetParamShapes(dims), opts.seed), slots: new Map(), iteration: 0, epoch: 0, optimizer: opts.optimizer };
      }
      const lr = opts.lr ?? (opts.optimizer === 'adam' ? 1e-4 : 1e-3);
      let cascade: { stage: number; sigma: number; stats: DisplacementStats; insideCrop: boolean; valStart?: [number, number][][] } | undefined;
      let valStart: [number, number][][] | undefined;
      if (opts.stage > 1) {
        if (opts.sigma === undefined) throw new InvalidArgumentError(`--sigma: required to train stage ${opts.stage} (crop side = sigma × torso diameter)`);
        const sets = [{ ds: trainSet, label: 'previous-stage errors' }, ...(valSet ? [{ ds: valSet, label: 'previous stages, validation' }] : [])];
        const [onTrain, onVal] = await previousStagePredictions(opts.previous, sets, opts.dataThreads);
        const stats = displacementStats(onTrain!.pred, onTrain!.gt, onTrain!.vis, ds.skeleton);
        if (onVal) {
          valStart = onVal.pred;
          process.stderr.write(`deeppose train: previous stages alone on the validation images: strict PCP ${(100 * onVal.strictPcp).toFixed(2)} %\n`);
        }
        process.stderr.write(`deeppose train: previous-stage error per joint (torso diameters, mean ± sd): ${ds.skeleton.joints.map((j, i) => `${j} ${Math.hypot(...stats.mean[i]!).toFixed(2)}±${Math.sqrt(stats.cov[i]![0] + stats.cov[i]![2]).toFixed(2)}`).join(', ')}\n`);
        const ratios = [...stats.scaleRatios].sort((x, y) => x - y);
        if (ratios.length > 0) process.stderr.write(`deeppose train: previous-stage torso diameter ÷ true one: median ${ratios[ratios.length >> 1]!.toFixed(2)}, 10–90 % ${ratios[Math.floor(ratios.length * 0.1)]!.toFixed(2)}–${ratios[Math.floor(ratios.length * 0.9)]!.toFixed(2)} (crop sides are drawn from it)\n`);
        cascade = { stage: opts.stage, sigma: opts.sigma, stats, insideCrop: opts.insideCrop ?? false, ...(valStart ? { valStart } : {}) };
      }
      process.stderr.write(
        `deeppose train: ${trainSet.samples.length} training and ${nVal} validation images of ${opts.dataset} ${opts.split}; ` +
          `${cascade ? `stage ${cascade.stage}, σ ${cascade.sigma}${cascade.insideCrop ? ', displacements inside the crop' : ''}; ` : ''}${opts.optimizer} lr ${lr}, batch ${opts.batch}, epochs ${state.epoch + 1}…${opts.epochs}${opts.timeBudget ? `, budget ${opts.timeBudget} min` : ''} → ${opts.out}\n`,
      );
      const score = validationScorer(valSet, opts.dataThreads, opts.boxFrom);
      let bar: Progress | undefined;
      let barEpoch = -1;
      const { log, stoppedByBudget } = await train(state, trainSet, valSet, {
        dims, optimizer: { kind: opts.optimizer, momentum: opts.momentum, weightDecay: opts.weightDecay }, lr, epochs: opts.epochs,
        timeBudgetMinutes: opts.timeBudget, seed: opts.seed, cascade, boxFrom: opts.boxFrom, computeThreads: opts.threads ?? os.availableParallelism(), dataThreads: opts.dataThreads, outDir: opts.out,
      }, {
        onIteration: (i, n) => {
          if (i === 1 || !bar) {
            if (barEpoch !== -2) bar?.done();
            bar = progressBar('train', n);
            barEpoch = 0;
          }
          bar.tick();
        },
        onEpoch: (e) => {
          bar?.done();
          bar = undefined;
          const f = (v: number | null, d = 5) => (v === null ? 'n/a' : v.toFixed(d));
          process.stderr.write(`epoch ${e.epoch} (iteration ${e.iteration}): train loss ${f(e.trainLoss)}, val loss ${f(e.valLoss)}, val strict PCP ${e.valStrictPcp === null ? 'n/a' : `${(100 * e.valStrictPcp).toFixed(1)}%`}, ${e.imagesPerSecond.toFixed(1)} images/s, ${e.minutes.toFixed(1)} min\n`);
        },
        ...(score ? { score } : {}),
      });
      const last = log.at(-1);
      process.stdout.write(`${stoppedByBudget ? 'stopped by the time budget' : 'finished'} at epoch ${last?.epoch ?? state.epoch}, iteration ${last?.iteration ?? state.iteration}; checkpoints in ${opts.out}\n`);
      if (cascade) process.stdout.write(`use it as stage ${cascade.stage}: deeppose convert ${opts.out}/epoch-N.model -o stage${cascade.stage}.onnx --stage ${cascade.stage} --sigma ${cascade.sigma}\n`);
    }));
}
