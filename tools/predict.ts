/** `deeppose predict [--model M] [--bbox x,y,w,h] [--stages N] [--out DIR] [--json] <image|dir>...` */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import { drawOverlay } from '../data/overlay.js';
import { contactSheet } from '../data/contact-sheet.js';
import { writeFileAtomic } from '../core/write-atomic.js';
import { loadPoseModel, type BoxMode, type PosePrediction } from '../model/pose-model.js';
import { InferenceError } from '../model/runtime/inference-error.js';
import { poseJson, poseTable } from '../model/pose-json.js';
import { MAX_CASCADE_STAGES } from '../model/cascade.js';
import { action, reportError } from './action.js';
import { parseBbox, parseChoice, parseInt10, parseSkeleton } from './options.js';
import type { SkeletonId } from '../data/skeletons.js';
import { progressBar } from './progress.js';
import { checkNewFile, OutputPathError } from './output-path.js';

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/** Files named on the command line, directories expanded to their images (sorted). */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      out.push(...readdirSync(p).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => path.join(p, f)));
    } else out.push(p);
  }
  return out;
}

/** Where `--out` puts an image's JSON and overlay. */
function outputFiles(file: string, outDir: string, format: string): { json: string; overlay: string } {
  const base = path.join(outDir, path.basename(file).replace(IMAGE_EXT, ''));
  return { json: `${base}.json`, overlay: `${base}.overlay.${format === 'jpeg' ? 'jpg' : format}` };
}

/** Refuses outputs that exist (without --force) and inputs whose outputs would collide. */
function checkPredictOutputs(files: readonly string[], outDir: string, format: string, force: boolean): void {
  const seen = new Map<string, string>();
  for (const f of files) {
    const o = outputFiles(f, outDir, format);
    const other = seen.get(o.json);
    if (other) throw new OutputPathError(`${f} and ${other}: both would write ${o.json}; predict them into different --out directories`);
    seen.set(o.json, f);
    if (!force) for (const p of [o.json, o.overlay]) if (existsSync(p)) throw new OutputPathError(`${p}: already exists (pass --force to replace it)`);
  }
}

interface PredictOptions { queue?: string; job?: string; contactSheet?: string; model?: string[]; bbox?: [number, number, number, number]; stages?: number; out?: string; json?: boolean; batch: number; format: 'png' | 'jpeg' | 'webp'; labels?: boolean; force?: boolean; flip?: boolean; box: BoxMode; skeleton?: SkeletonId }

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('estimate poses on images: JSON joints per image and skeleton overlay files')
    .argument('<inputs...>', 'image files (JPEG, PNG, WebP) or directories of them')
    .option('--model <path>', 'model: .onnx, legacy checkpoint, cascade.json or directory (repeat for stages; default: embedded model)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--bbox <x,y,w,h>', 'person box in pixels (default: found by the model\'s person finder, else the whole image)', parseBbox)
    .option('--box <mode>', 'without --bbox: auto (the person finder, when the model has one) or whole (the whole image)', parseChoice('--box', ['auto', 'whole'] as const), 'auto')
    .option('--stages <n>', 'cascade stages to run (default: all)', parseInt10('--stages', 1, MAX_CASCADE_STAGES))
    .option('--skeleton <id>', 'the skeleton the model\'s joints follow, when its metadata names none or names it wrongly (lsp14, mpii16, flic7)', parseSkeleton)
    .option('--flip', 'flip test: every stage also runs on the mirrored crops, left/right swapped back and averaged (2× the work)')
    .option('--out <dir>', 'write <name>.json and <name>.overlay.<format> per image here')
    .option('--format <fmt>', 'overlay format: png | jpeg | webp', parseChoice('--format', ['png', 'jpeg', 'webp'] as const), 'png')
    .option('--labels', 'label joints on overlays')
    .option('--json', 'print one JSON document per image on stdout (JSON lines) instead of the joint tables')
    .option('--contact-sheet <file>', 'also write every overlay on one contact sheet (PNG/JPEG/WebP by extension)')
    .option('--batch <n>', 'images per inference batch', parseInt10('--batch', 1, 256), 8)
    .option('-f, --force', 'replace existing output files')
    .option('--queue <url>', 'enqueue for deeppose worker processes on this Redis (redis://HOST:PORT[/DB]) and return; needs --job (tasks of --batch images)')
    .option('--job <name>', 'job name on the queue (read the results with deeppose results --job NAME)')
    .action(action(async (inputs: string[], opts: PredictOptions, cmd: Command) => {
      const files = expandInputs(inputs);
      if (files.length === 0) throw new DeepPoseError('E_NO_INPUT', `no images found in ${inputs.join(', ')} (expected .jpg, .jpeg, .png or .webp files)`);
      // The queue client (bullmq, ioredis) loads only for --queue.
      if (opts.queue || opts.job) return (await import('./predict-queue.js')).enqueuePredict(files, opts);
      // Every output path is checked before the model loads: nothing is overwritten without --force.
      if (opts.out) checkPredictOutputs(files, opts.out, opts.format, Boolean(opts.force));
      if (opts.contactSheet) checkNewFile(opts.contactSheet, Boolean(opts.force), '--contact-sheet');
      if (opts.out) mkdirSync(opts.out, { recursive: true });
      const sheet: { image: Uint8Array; caption: string }[] = [];
      // A batch command, not an event loop: the sessions run on this thread (no worker to start),
      // opened while the first images decode; the finder's only when a box is to be found.
      const model = await loadPoseModel({ model: opts.model, flip: Boolean(opts.flip), ...(opts.skeleton ? { skeleton: opts.skeleton } : {}), ...(opts.stages !== undefined || opts.bbox || opts.box === 'whole' ? { openStages: opts.stages ?? MAX_CASCADE_STAGES } : {}), openInBackground: true, inThread: true, prepackWeights: false, threads: os.availableParallelism(), log: (l) => process.stderr.write(`deeppose predict: ${l}\n`) });
      if (opts.stages !== undefined && opts.stages > model.info.stages) {
        await model.close();
        throw invalidArgument('--stages', `an integer from 1 to ${model.info.stages} (this model's cascade depth)`, opts.stages);
      }
      let failures = 0;
      const bar = files.length > 8 ? progressBar('predict', files.length) : undefined;
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      try {
        for (let i = 0; i < files.length; i += opts.batch) {
          const chunk = files.slice(i, i + opts.batch);
          type Loaded = { file: string; bytes: Uint8Array } | { file: string; error: unknown };
          const loaded: Loaded[] = await Promise.all(chunk.map(async (f): Promise<Loaded> => {
            try {
              return { file: f, bytes: new Uint8Array(await readFile(f)) };
            } catch (err) {
              return { file: f, error: err };
            }
          }));
          // One batch for the readable images; an image that fails alone is retried alone to name it.
          const ok = loaded.filter((l): l is { file: string; bytes: Uint8Array } => 'bytes' in l);
          let results: (PosePrediction | Error)[];
          try {
            results = await model.predict(ok.map((l) => ({ image: l.bytes, bboxPx: opts.bbox, box: opts.box, stages: opts.stages })));
          } catch (err) {
            // The model itself failing (a session that will not open) is not an image's fault: once.
            if (err instanceof InferenceError) throw err;
            results = [];
            for (const l of ok) {
              try {
                results.push((await model.predict([{ image: l.bytes, bboxPx: opts.bbox, box: opts.box, stages: opts.stages }]))[0]!);
              } catch (err) {
                results.push(err as Error);
              }
            }
          }
          for (const l of loaded) {
            if ('error' in l) {
              failures++;
              // A file-system error names the path itself.
              reportError((l.error as NodeJS.ErrnoException)?.path ? 'deeppose predict' : `deeppose predict: ${l.file}`, l.error, verbose);
              continue;
            }
            const r = results[ok.indexOf(l)]!;
            if (r instanceof Error) {
              failures++;
              reportError(`deeppose predict: ${l.file}`, r, verbose);
              continue;
            }
            const doc = poseJson(r, model.info.id, l.file);
            if (opts.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
            if (opts.out || opts.contactSheet) {
              const overlay = await drawOverlay(l.bytes, r.jointsPx, model.skeleton, { box: r.boxPx, labels: Boolean(opts.labels), format: opts.format });
              if (opts.contactSheet) sheet.push({ image: overlay, caption: path.basename(l.file) });
              if (opts.out) {
                const out = outputFiles(l.file, opts.out, opts.format);
                await writeFileAtomic(out.json, [Buffer.from(`${JSON.stringify(doc, null, 2)}\n`)]);
                await writeFileAtomic(out.overlay, [overlay]);
              }
            }
            if (!opts.json) {
              process.stdout.write(`${l.file}: ${r.imageSize.width}×${r.imageSize.height}, box ${r.boxPx.map((v) => Math.round(v)).join(',')} (${r.boxSource}), ${r.stagesRun} stage${r.stagesRun > 1 ? 's' : ''}, ${r.timingsMs.total} ms${opts.out ? ` → ${opts.out}` : ''}\n${poseTable(doc)}\n`);
            }
          }
          bar?.tick(chunk.length);
        }
      } finally {
        bar?.done();
        await model.close();
      }
      if (opts.contactSheet && sheet.length > 0) {
        const ext = path.extname(opts.contactSheet).toLowerCase();
        const format = ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : ext === '.webp' ? 'webp' : 'png';
        await writeFileAtomic(opts.contactSheet, [await contactSheet(sheet, { format })]);
        process.stderr.write(`deeppose predict: contact sheet of ${sheet.length} overlays → ${opts.contactSheet}\n`);
      }
      if (failures > 0) {
        process.stderr.write(`deeppose predict: ${failures} of ${files.length} images failed\n`);
        process.exitCode = 1;
      }
    }));
}
