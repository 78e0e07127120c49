/**
 * `deeppose eval`: score a model on a dataset split (through the data
 * iterators), score a predictions file against a ground-truth file, or
 * export a split's ground truth in the interchange format.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openDataset } from '../data/dataset.js';
import { DeepPoseError, InvalidArgumentError } from '../core/errors.js';
import { decodeImage } from '../data/image.js';
import { createBatchIterator } from '../data/iterator.js';
import { SKELETONS } from '../data/skeletons.js';
import type { BoxXyxy } from '../data/transforms/legacy.js';
import { writeFileAtomic } from '../core/write-atomic.js';
import { EvalCollector } from '../eval/collector.js';
import { readPoseFile, serialisePoseFile, PoseFileError } from '../eval/predictions-file.js';
import { writeReport } from '../eval/report/write.js';
import { loadPoseModel } from '../model/pose-model.js';
import { meanNormalisedPose } from '../eval/baseline.js';
import { probeImage } from '../data/image.js';
import { decodeJoints, jointsBox, legacyCropBox, normaliseJoints } from '../data/transforms/legacy.js';
import type { PoseSample } from '../data/dataset.js';
import { readFile } from 'node:fs/promises';
import { MAX_CASCADE_STAGES } from '../model/cascade.js';
import { action } from './action.js';
import { parseChoice, parseInt10 } from './options.js';
import { progressBar } from './progress.js';

interface EvalOptions {
  meanPoseFrom?: string;
  model?: string[];
  dataset?: string;
  split?: string;
  stages?: number;
  threads?: number;
  batch: number;
  out: string;
  predictions?: string;
  groundTruth?: string;
  images?: string;
  exportGroundTruth?: string;
  savePredictions?: string;
  boxFrom: 'visible' | 'split';
  onError: 'fail' | 'skip';
  limit?: number;
  force?: boolean;
}

function commandLine(): string {
  return ['deeppose', ...process.argv.slice(2)].join(' ');
}

async function exportGroundTruth(opts: EvalOptions): Promise<void> {
  const ds = await openDataset(opts.dataset!, opts.split!);
  const out = opts.exportGroundTruth!;
  if (existsSync(out) && !opts.force) throw new InvalidArgumentError(`${out}: already exists (pass --force to replace it)`);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  await writeFileAtomic(out, serialisePoseFile({
    skeleton: ds.skeleton.id,
    images: ds.samples.map((s) => ({ image: s.image, joints: s.jointsPx.map((p) => [p[0], p[1]] as [number, number]), visible: s.visible, headBox: s.headBoxXyxy })),
  }));
  process.stdout.write(`${opts.dataset} split ${opts.split}: ${ds.samples.length} images (${ds.skeleton.id}) → ${out}\n`);
}

async function scoreFiles(opts: EvalOptions): Promise<void> {
  const t0 = performance.now();
  const [pred, gt] = await Promise.all([readPoseFile(opts.predictions!), readPoseFile(opts.groundTruth!)]);
  if (pred.skeleton !== gt.skeleton) throw new PoseFileError(`${opts.predictions}: skeleton ${pred.skeleton} does not match the ground truth's ${gt.skeleton}`);
  const byName = new Map(pred.images.map((p) => [p.image, p]));
  const missing = gt.images.filter((g) => !byName.has(g.image)).map((g) => g.image);
  if (missing.length > 0) {
    process.stderr.write(`deeppose eval: ${missing.length} ground-truth images have no prediction (scored as misses), e.g. ${missing.slice(0, 3).join(', ')}\n`);
  }
  const extra = pred.images.filter((p) => !gt.images.some((g) => g.image === p.image)).length;
  if (extra > 0) process.stderr.write(`deeppose eval: ${extra} predicted images are not in the ground truth (ignored)\n`);
  const skeleton = SKELETONS[gt.skeleton];
  const c = new EvalCollector(skeleton);
  for (const g of gt.images) {
    const p = byName.get(g.image);
    c.add({
      image: g.image,
      predPx: p ? p.joints : g.joints.map(() => null),
      gtPx: g.joints.map((q) => q ?? [Number.NaN, Number.NaN]),
      visible: g.visible.map((v, i) => v && g.joints[i] !== null),
      headBoxXyxy: g.headBox,
      imagePath: opts.images ? path.join(opts.images, g.image) : undefined,
    });
  }
  const result = c.result();
  const w = await writeReport(opts.out, result, c.entries, {
    predictionsFile: opts.predictions, groundTruthFile: opts.groundTruth, wallSeconds: (performance.now() - t0) / 1000, command: commandLine(),
  });
  summary(w.document, opts.out);
}

function summary(doc: Record<string, unknown>, out: string): void {
  const h = doc.headline as Record<string, number | null>;
  const p = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);
  process.stdout.write(
    `strict PCP ${p(h.strictPcp)} (limb mean ${p(h.strictPcpLimbMean)}), loose PCP ${p(h.loosePcp)}, PDJ@0.1 ${p(h.pdj10)}, PDJ@0.2 ${p(h.pdj20)}` +
      `${doc.pckh ? `, PCKh@0.5 ${p((doc.pckh as { total: number | null }).total)}` : ''}\n` +
      `report: ${path.join(out, 'report.html')} (also report.json, report.md)\n`,
  );
}

async function scoreModel(opts: EvalOptions): Promise<void> {
  const t0 = performance.now();
  const ds = await openDataset(opts.dataset!, opts.split!);
  const dataset = opts.limit ? { ...ds, samples: ds.samples.slice(0, opts.limit) } : ds;
  const model = await loadPoseModel({ model: opts.model, workers: 1, log: (l) => process.stderr.write(`deeppose eval: ${l}\n`) });
  if (model.skeleton.id !== dataset.skeleton.id) {
    await model.close();
    throw new DeepPoseError('E_SKELETON_MISMATCH', `the model regresses ${model.skeleton.id} joints but ${opts.dataset} split ${opts.split} is annotated with ${dataset.skeleton.id}`);
  }
  const stages = opts.stages ?? model.info.stages;
  if (stages > model.info.stages) {
    await model.close();
    throw new InvalidArgumentError(`--stages ${stages}: the model has ${model.info.stages} stage(s)`);
  }
  const it = createBatchIterator(dataset, {
    batchSize: opts.batch, mode: 'eval', threads: opts.threads, size: model.info.inputSize, channels: model.info.channels, boxFrom: opts.boxFrom, onError: opts.onError,
  });
  const c = new EvalCollector(dataset.skeleton);
  const bar = progressBar(`eval ${path.basename(opts.dataset!)}/${opts.split}`, dataset.samples.length);
  const predictions: { image: string; joints: ([number, number] | null)[]; visible: boolean[] }[] = [];
  const k = dataset.skeleton.joints.length;
  try {
    for await (const batch of it) {
      const boxes: BoxXyxy[] = [];
      for (let b = 0; b < batch.size; b++) boxes.push(Array.from(batch.cropBoxes.subarray(b * 4, b * 4 + 4)) as BoxXyxy);
      const { jointsPx } = await model.predictFromCrops(batch.x, boxes);
      for (let b = 0; b < batch.size; b++) {
        const sample = dataset.samples[batch.indices[b]!]!;
        let pred = jointsPx[b]!;
        if (stages > 1) {
          const img = await decodeImage(new Uint8Array(await (await import('node:fs/promises')).readFile(sample.imagePath)));
          pred = (await model.refine(img, pred, boxes[b]!, stages)).jointsPx;
        }
        const gt: [number, number][] = [];
        const vis: boolean[] = [];
        for (let j = 0; j < k; j++) {
          gt.push([batch.jointsPx[(b * k + j) * 2]!, batch.jointsPx[(b * k + j) * 2 + 1]!]);
          vis.push(batch.visible[b * k + j] === 1);
        }
        c.add({ image: sample.image, predPx: pred, gtPx: gt, visible: vis, headBoxXyxy: sample.headBoxXyxy, imagePath: sample.imagePath });
        predictions.push({ image: sample.image, joints: pred, visible: vis });
      }
      bar.tick(batch.size);
    }
  } finally {
    bar.done();
    await it.close();
    await model.close();
  }
  if (opts.savePredictions) mkdirSync(path.dirname(path.resolve(opts.savePredictions)), { recursive: true });
  if (opts.savePredictions) await writeFileAtomic(opts.savePredictions, serialisePoseFile({ skeleton: dataset.skeleton.id, images: predictions }));
  const result = c.result();
  const w = await writeReport(opts.out, result, c.entries, {
    model: { id: model.info.id, sha256: model.info.sha256, source: model.info.source, stages, metadata: model.info.metadata },
    dataset: opts.dataset, split: opts.split, annotationSource: dataset.annotationSource, wallSeconds: (performance.now() - t0) / 1000,
    skipped: it.skippedCount, command: commandLine(),
  });
  summary(w.document, opts.out);
  if (it.skippedCount > 0) process.stderr.write(`deeppose eval: ${it.skippedCount} unreadable images skipped (--on-error skip), e.g. ${it.skipped.slice(0, 3).map((s) => s.imagePath).join(', ')}\n`);
}

/** The legacy crop box of a sample from its annotated joints (image size from the file header). */
async function sampleCropBox(s: PoseSample): Promise<BoxXyxy | undefined> {
  const box = jointsBox(s.jointsPx, s.visible);
  if (!box) return undefined;
  const size = await probeImage(new Uint8Array(await readFile(s.imagePath)), { name: s.imagePath });
  return legacyCropBox(box, size.width, size.height);
}

/** Scores the mean training pose, decoded through each evaluation image's crop. */
async function scoreMeanPose(opts: EvalOptions): Promise<void> {
  const t0 = performance.now();
  const [train, test] = await Promise.all([openDataset(opts.dataset!, opts.meanPoseFrom!), openDataset(opts.dataset!, opts.split!)]);
  const evalSet = opts.limit ? test.samples.slice(0, opts.limit) : test.samples;
  const bar = progressBar(`mean pose of ${opts.meanPoseFrom}`, train.samples.length + evalSet.length);
  const norms: [number, number][][] = [];
  const vis: boolean[][] = [];
  for (const s of train.samples) {
    const box = await sampleCropBox(s);
    bar.tick();
    if (!box) continue;
    norms.push(normaliseJoints(s.jointsPx, box, 220));
    vis.push([...s.visible]);
  }
  const mean = meanNormalisedPose(norms, vis);
  const c = new EvalCollector(test.skeleton);
  for (const s of evalSet) {
    const box = await sampleCropBox(s);
    bar.tick();
    const pred = box ? decodeJoints(mean.flat(), box, 220) : s.jointsPx.map(() => null);
    c.add({ image: s.image, predPx: pred, gtPx: s.jointsPx, visible: s.visible, headBoxXyxy: s.headBoxXyxy, imagePath: s.imagePath });
  }
  bar.done();
  const result = c.result();
  const w = await writeReport(opts.out, result, c.entries, {
    predictionsFile: `mean normalised pose of ${opts.dataset} split ${opts.meanPoseFrom} (${norms.length} images)`,
    dataset: opts.dataset, split: opts.split, annotationSource: test.annotationSource, wallSeconds: (performance.now() - t0) / 1000, command: commandLine(),
  });
  summary(w.document, opts.out);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate: PCP, PDJ and PCKh of a model on a dataset split, or of a predictions file; writes report.json, report.md, report.html')
    .option('--model <path>', 'model: .onnx, legacy checkpoint, cascade.json or directory (repeat for stages; default: embedded model)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dataset <dir>', 'dataset directory (images/, joints.mat or annotations, splits/NAME.csv)')
    .option('--split <name>', 'split name: splits/NAME.csv (or .json)')
    .option('--stages <n>', 'cascade stages to run (default: all)', parseInt10('--stages', 1, MAX_CASCADE_STAGES))
    .option('--threads <n>', 'data iterator threads (default: cores)', parseInt10('--threads', 0, 64))
    .option('--batch <n>', 'images per batch', parseInt10('--batch', 1, 256), 16)
    .option('--box-from <mask>', 'person box from the annotated joints (visible) or the legacy CSV mask (split)', 'visible')
    .option('--on-error <policy>', 'unreadable images: fail (default) or skip and count them', parseChoice('--on-error', ['fail', 'skip'] as const), 'fail')
    .option('--limit <n>', 'evaluate only the first N images of the split', parseInt10('--limit', 1, 10_000_000))
    .option('--out <dir>', 'report directory', 'eval-report')
    .option('--save-predictions <file>', 'also write the predictions in the interchange format')
    .option('--predictions <file>', 'score this predictions file (with --ground-truth) instead of running a model')
    .option('--ground-truth <file>', 'ground truth in the interchange format')
    .option('--images <dir>', 'with --predictions: where the images are, for the overlay grid')
    .option('--mean-pose-from <split>', 'score the mean-pose baseline: the mean normalised pose of this split (e.g. legacy-train), decoded through each crop')
    .option('--export-ground-truth <file>', 'write the split\'s ground truth in the interchange format and exit')
    .option('-f, --force', 'replace an existing export file')
    .action(action(async (opts: EvalOptions) => {
      if (opts.boxFrom !== 'visible' && opts.boxFrom !== 'split') throw new InvalidArgumentError(`--box-from: expected visible or split, found ${JSON.stringify(opts.boxFrom)}`);
      if (opts.exportGroundTruth) {
        if (!opts.dataset || !opts.split) throw new InvalidArgumentError('--export-ground-truth needs --dataset DIR and --split NAME');
        return exportGroundTruth(opts);
      }
      if (opts.predictions || opts.groundTruth) {
        if (!opts.predictions || !opts.groundTruth) throw new InvalidArgumentError('--predictions and --ground-truth go together');
        if (opts.dataset || opts.model) throw new InvalidArgumentError('--predictions scores a file: it takes no --model or --dataset');
        return scoreFiles(opts);
      }
      if (!opts.dataset || !opts.split) throw new InvalidArgumentError('give --dataset DIR --split NAME (or --predictions P.json --ground-truth G.json)');
      if (opts.meanPoseFrom) return scoreMeanPose(opts);
      return scoreModel(opts);
    }));
}
