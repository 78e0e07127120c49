/**
 * `deeppose eval`: score a model on a dataset split (through the data
 * iterators), score a predictions file against a ground-truth file, or
 * export a split's ground truth in the interchange format.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataset } from '../data/dataset.js';
import type { BoxSource } from '../data/batch.js';
import { InvalidArgumentError, invalidArgument } from '../core/errors.js';
import { writeFileAtomic } from '../core/write-atomic.js';
import { evaluateModel, type ModelEvaluation } from '../eval/evaluate.js';
import { checkNewFile, checkReportDir } from './output-path.js';
import { readPoseFile, serialisePoseFile } from '../eval/predictions-file.js';
import { scorePoseFiles } from '../eval/score-files.js';
import { evaluateMeanPose } from '../eval/baseline.js';
import { writeReport } from '../eval/report/write.js';
import { loadPoseModel } from '../model/pose-model.js';
import { MAX_CASCADE_STAGES } from '../model/cascade.js';
import { action } from './action.js';
import { parseChoice, parseInt10, parseSkeleton } from './options.js';
import type { SkeletonId } from '../data/skeletons.js';
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
  boxFrom: BoxSource | 'found';
  onError: 'fail' | 'skip';
  limit?: number;
  force?: boolean;
  flip?: boolean;
  skeleton?: SkeletonId;
}

function commandLine(): string {
  return ['deeppose', ...process.argv.slice(2)].join(' ');
}

async function exportGroundTruth(opts: EvalOptions): Promise<void> {
  const ds = await openDataset(opts.dataset!, opts.split!);
  const out = opts.exportGroundTruth!;
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
  const score = scorePoseFiles(pred, gt, { predictions: opts.predictions!, ...(opts.images ? { imagesDir: opts.images } : {}) });
  if (score.missing.length > 0) {
    process.stderr.write(`deeppose eval: ${score.missing.length} ground-truth images have no prediction (scored as misses), e.g. ${score.missing.slice(0, 3).join(', ')}\n`);
  }
  if (score.extra.length > 0) process.stderr.write(`deeppose eval: ${score.extra.length} predicted images are not in the ground truth (ignored)\n`);
  const w = await writeReport(opts.out, score.result, score.images, {
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
  // The model's files are found (converted on first use) while the annotations are read. Its
  // sessions open on evaluation's worker threads, which run it (eval/estimate-in-worker.ts);
  // here, none opens unless --threads 0 runs it on this thread.
  const loading = loadPoseModel({
    model: opts.model, flip: Boolean(opts.flip), ...(opts.skeleton ? { skeleton: opts.skeleton } : {}), inThread: true, openStages: 0,
    // --threads 0 runs it here, then with every core.
    threads: opts.threads === 0 ? os.availableParallelism() : 1,
    log: (l) => process.stderr.write(`deeppose eval: ${l}\n`),
  });
  loading.catch(() => undefined); // observed below, after the dataset
  let ds: Awaited<ReturnType<typeof openDataset>>;
  try {
    ds = await openDataset(opts.dataset!, opts.split!);
  } catch (err) {
    await loading.then((m) => m.close(), () => undefined);
    throw err;
  }
  const dataset = opts.limit ? { ...ds, samples: ds.samples.slice(0, opts.limit) } : ds;
  const model = await loading;
  let evaluation: ModelEvaluation;
  const bar = progressBar(`eval ${path.basename(opts.dataset!)}/${opts.split}`, dataset.samples.length);
  let shown = 0;
  try {
    if (opts.stages !== undefined && opts.stages > model.info.stages) {
      throw invalidArgument('--stages', `an integer from 1 to ${model.info.stages} (this model's cascade depth)`, opts.stages);
    }
    evaluation = await evaluateModel(model, dataset, {
      stages: opts.stages, batchSize: opts.batch, threads: opts.threads, boxFrom: opts.boxFrom, onError: opts.onError,
      onProgress: (done) => {
        bar.tick(done - shown);
        shown = done;
      },
    });
  } finally {
    bar.done();
    await model.close();
  }
  if (opts.savePredictions) {
    mkdirSync(path.dirname(path.resolve(opts.savePredictions)), { recursive: true });
    await writeFileAtomic(opts.savePredictions, serialisePoseFile({
      skeleton: dataset.skeleton.id,
      images: evaluation.images.map((e) => ({ image: e.image, joints: e.predPx, visible: [...e.visible] })),
    }));
  }
  const w = await writeReport(opts.out, evaluation.result, evaluation.images, {
    model: { id: model.info.id, sha256: model.info.sha256, source: model.info.source, stages: evaluation.stages, metadata: model.info.metadata },
    dataset: opts.dataset, split: opts.split, annotationSource: dataset.annotationSource, wallSeconds: evaluation.seconds,
    skipped: evaluation.skipped.length, command: commandLine(),
  });
  summary(w.document, opts.out);
  if (evaluation.skipped.length > 0) process.stderr.write(`deeppose eval: ${evaluation.skipped.length} unreadable images skipped (--on-error skip), e.g. ${evaluation.skipped.slice(0, 3).map((s) => s.imagePath).join(', ')}\n`);
}

/** Scores the mean training pose, decoded through each evaluation image's crop. */
async function scoreMeanPose(opts: EvalOptions): Promise<void> {
  const t0 = performance.now();
  const [train, test] = await Promise.all([openDataset(opts.dataset!, opts.meanPoseFrom!), openDataset(opts.dataset!, opts.split!)]);
  const evalSet = opts.limit ? { ...test, samples: test.samples.slice(0, opts.limit) } : test;
  const bar = progressBar(`mean pose of ${opts.meanPoseFrom}`, train.samples.length + evalSet.samples.length);
  let r: Awaited<ReturnType<typeof evaluateMeanPose>>;
  try {
    r = await evaluateMeanPose(train, evalSet, { onProgress: () => bar.tick() });
  } finally {
    bar.done();
  }
  const w = await writeReport(opts.out, r.result, r.images, {
    predictionsFile: `mean normalised pose of ${opts.dataset} split ${opts.meanPoseFrom} (${r.trainImages} images)`,
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
    .option('--skeleton <id>', 'the skeleton the model\'s joints follow, when its metadata names none or names it wrongly (lsp14, mpii16, flic7)', parseSkeleton)
    .option('--flip', 'flip test: every stage also runs on the mirrored crops, left/right swapped back and averaged (2× the work)')
    .option('--box-from <source>', 'person box from the annotated joints (visible), the legacy CSV mask (split), none: the whole image (whole), or the model\'s person finder (found: what a photo without a box gets)', parseChoice('--box-from', ['visible', 'split', 'whole', 'found'] as const), 'visible')
    .option('--on-error <policy>', 'unreadable images: fail (default) or skip and count them', parseChoice('--on-error', ['fail', 'skip'] as const), 'fail')
    .option('--limit <n>', 'evaluate only the first N images of the split', parseInt10('--limit', 1, 10_000_000))
    .option('--out <dir>', 'report directory', 'eval-report')
    .option('--save-predictions <file>', 'also write the predictions in the interchange format')
    .option('--predictions <file>', 'score this predictions file (with --ground-truth) instead of running a model')
    .option('--ground-truth <file>', 'ground truth in the interchange format')
    .option('--images <dir>', 'with --predictions: where the images are, for the overlay grid')
    .option('--mean-pose-from <split>', 'score the mean-pose baseline: the mean normalised pose of this split (e.g. legacy-train), decoded through each crop')
    .option('--export-ground-truth <file>', 'write the split\'s ground truth in the interchange format and exit')
    .option('-f, --force', 'replace an existing report, predictions or export file')
    .action(action(async (opts: EvalOptions) => {
      // Every output path is checked before any work starts.
      if (opts.exportGroundTruth) checkNewFile(opts.exportGroundTruth, Boolean(opts.force), '--export-ground-truth');
      else checkReportDir(opts.out, Boolean(opts.force));
      if (opts.savePredictions) checkNewFile(opts.savePredictions, Boolean(opts.force), '--save-predictions');
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
