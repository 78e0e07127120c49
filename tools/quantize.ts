/**
 * `deeppose quantize [--model M] -o OUT --dataset DIR --split NAME [--count N]`:
 * a static int8 (QDQ) version of a model or of a whole cascade, calibrated
 * on the first N images of a split. OUT ending in `.onnx` is one model
 * (a one-stage model); anything else is a cascade directory with
 * `cascade.json`, usable as `--model OUT` by every command and `serve`.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import { writeFileAtomic, tempPathFor } from '../core/write-atomic.js';
import { openDataset } from '../data/dataset.js';
import { resolveModels } from '../model/model-source.js';
import { describeMethod, parseMethod } from '../model/quantize/calibrate.js';
import { describeQuantization, quantizationOf } from '../model/quantize/metadata.js';
import { DEFAULT_FLOAT_LAYERS, quantizeCascade } from '../model/quantize/quantize-model.js';
import { action } from './action.js';
import { formatBytes } from './format.js';
import { parseInt10 } from './options.js';
import { checkOutputPath, OutputPathError } from './output-path.js';
import { progressBar } from './progress.js';

/** The range method `deeppose quantize` uses unless told otherwise (chosen by measurement: the smallest joint shift from float32 on held-out images, bench/results/quantize-methods.json). */
export const DEFAULT_CALIBRATION = 'minmax';

interface QuantizeCliOptions {
  model?: string[];
  output: string;
  dataset: string;
  split: string;
  count: number;
  stages?: number;
  calibration: string;
  floatLayers: string;
  batch: number;
  force?: boolean;
}

/** `fc8,conv1` → names; `none` → []. */
export function parseFloatLayers(v: string): string[] {
  if (v === 'none' || v === '') return [];
  const names = v.split(',').map((s) => s.trim());
  if (names.some((n) => !/^[\w/]+$/.test(n))) throw invalidArgument('--float-layers', 'comma-separated layer names such as fc8 (or none)', v);
  return names;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('write a static int8 (QDQ) version of a model or cascade, calibrated on dataset images through the legacy preprocessing')
    .option('--model <path>', 'model: .onnx, legacy checkpoint, cascade.json or directory (repeat for stages; default: embedded model)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('-o, --output <path>', 'OUT.onnx for a one-stage model, else a cascade directory (cascade.json + one .onnx per stage)')
    .requiredOption('--dataset <dir>', 'calibration dataset directory (images/, splits/NAME.csv, joints.mat)')
    .requiredOption('--split <name>', 'calibration split (use training images, never the test split)')
    .option('--count <n>', 'calibrate on the first N images of the split', parseInt10('--count', 1, 100000), 256)
    .option('--stages <n>', 'quantize only the first N stages', parseInt10('--stages', 1, 10))
    .option('--calibration <method>', 'activation ranges: minmax | percentile | percentile:P', DEFAULT_CALIBRATION)
    .option('--float-layers <names>', 'layers kept float32, comma-separated, or none', DEFAULT_FLOAT_LAYERS.join(','))
    .option('--batch <n>', 'calibration batch size', parseInt10('--batch', 1, 256), 16)
    .option('-f, --force', 'replace the output if it exists')
    .action(action(async (opts: QuantizeCliOptions) => {
      const t0 = performance.now();
      const method = parseMethod(opts.calibration);
      const floatLayers = parseFloatLayers(opts.floatLayers);
      const single = opts.output.endsWith('.onnx');
      if (single) checkOutputPath(opts.output, opts.model ?? [], Boolean(opts.force));
      else if (existsSync(opts.output)) {
        if (!statSync(opts.output).isDirectory()) throw new OutputPathError(`${opts.output}: exists and is not a directory (a cascade is written as a directory; name a .onnx file for one stage)`);
        if (!opts.force) throw new OutputPathError(`${opts.output}: already exists (pass --force to replace it)`);
      }
      const log = (l: string) => process.stderr.write(`deeppose quantize: ${l}\n`);
      const resolved = await resolveModels(opts.model, log);
      let stages = resolved.stages;
      if (opts.stages !== undefined) {
        if (opts.stages > stages.length) throw invalidArgument('--stages', `at most ${stages.length} (the model's cascade depth)`, opts.stages);
        stages = stages.slice(0, opts.stages);
      }
      const already = stages.find((s) => quantizationOf(s.metadata));
      if (already) throw new DeepPoseError('E_ALREADY_QUANTIZED', `${already.onnxPath}: is already an int8 model (${describeQuantization(quantizationOf(already.metadata)!)}); quantize the float model`);
      if (single && stages.length > 1) {
        throw new OutputPathError(`${opts.output}: a ${stages.length}-stage cascade is written as a directory (name a directory, or pass --stages 1)`);
      }
      const ds = await openDataset(opts.dataset, opts.split);
      if (ds.skeleton.id !== (stages[0]!.metadata.skeleton ?? 'lsp14')) {
        throw new DeepPoseError('E_SKELETON_MISMATCH', `the model regresses ${stages[0]!.metadata.skeleton} joints but ${opts.dataset} split ${opts.split} is annotated with ${ds.skeleton.id}`);
      }
      if (/test/i.test(opts.split)) log(`warning: calibrating on split "${opts.split}"; calibrate on training images and keep the test split for evaluation`);
      const dataset = { ...ds, samples: ds.samples.slice(0, opts.count) };
      const bar = progressBar(`quantize: calibrating ${stages.length} stage(s) on ${path.basename(path.resolve(opts.dataset))}/${opts.split}`, dataset.samples.length);
      const result = await quantizeCascade({ stages, dataset, methods: [method], floatLayers, batch: opts.batch, onProgress: (n) => bar.tick(n) });
      bar.done();
      const q = result.get(describeMethod(method))!;
      if (single) {
        await writeFileAtomic(opts.output, q[0]!.bytes);
      } else {
        const tmp = tempPathFor(path.resolve(opts.output));
        mkdirSync(tmp, { recursive: true });
        try {
          const entries = q.map((s, i) => {
            const file = `stage${i + 1}.int8.onnx`;
            return { file, stage: i + 1, ...(s.metadata.cascade.sigma !== undefined && i > 0 ? { sigma: s.metadata.cascade.sigma } : {}) };
          });
          for (const [i, s] of q.entries()) await writeFileAtomic(path.join(tmp, entries[i]!.file), s.bytes);
          await writeFileAtomic(path.join(tmp, 'cascade.json'), `${JSON.stringify({
            description: `int8 (QDQ) cascade written by deeppose quantize from ${(opts.model ?? ['the embedded default model']).join(', ')}`,
            skeleton: stages[0]!.metadata.skeleton,
            quantization: { calibration: describeMethod(method), dataset: opts.dataset, split: opts.split, count: dataset.samples.length, floatLayers },
            stages: entries,
            // A person finder the source cascade names is kept as it is (float32), by absolute path.
            ...(resolved.finder ? { finder: { file: path.resolve(resolved.finder.model.source), boxScale: resolved.finder.boxScale, rounds: resolved.finder.rounds, roundFraction: resolved.finder.roundFraction } } : {}),
          }, null, 2)}\n`);
          if (existsSync(opts.output)) rmSync(opts.output, { recursive: true });
          renameSync(tmp, opts.output);
        } catch (err) {
          rmSync(tmp, { recursive: true, force: true });
          throw err;
        }
      }
      for (const [i, s] of q.entries()) {
        process.stdout.write(`stage ${i + 1}: ${describeQuantization(quantizationOf(s.metadata)!)}, ${formatBytes(s.bytes.byteLength)}\n`);
      }
      process.stdout.write(`→ ${opts.output} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }));
}
