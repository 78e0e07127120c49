/**
 * int8 against float32, side by side, paired: the embedded default model's
 * stage 1 and 2-stage cascade at batch 1 (latency) and batch 16
 * (throughput), through the whole pipeline (JPEG bytes → joints on worker
 * threads: one with every core at batch 1, one per core at batch 16) and as bare sessions; each round runs every
 * variant back to back so a busy machine slows all of them alike. Variants:
 * the float32 model as converted (ONNX LRN), the same float32 model with the
 * band-matrix LRN (graph pass, same outputs), and the int8 QDQ model made by
 * `deeppose quantize` (calibrated here on the first 256 legacy-train
 * images, or the vendored fixtures without ../shared). With ../shared it
 * also times `deeppose eval` of the LSPET legacy-test split as a whole
 * process for float32 and int8, stage 1 and cascade.
 * `npm run bench -- quantize`; writes bench/results/quantize.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset } from '../data/dataset.js';
import { DEFAULT_CASCADE, resolveStageModels, type StageModel } from '../model/model-source.js';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { describeMethod, parseMethod } from '../model/quantize/calibrate.js';
import { quantizeCascade } from '../model/quantize/quantize-model.js';
import { OrtModel } from '../model/runtime/ort.js';
import { mapLimit } from '../core/concurrency.js';
import { benchImages, hasShared, median, REPO, SHARED, timeIt, writeResult } from './common.js';

const ROUNDS = Number(process.env.BENCH_QUANTIZE_ROUNDS ?? 3);
const CALIBRATION = 'minmax';

/** The bytes of the first \`n\` LSPET images. */
function images(n: number): Uint8Array[] {
  return benchImages(n).map((i) => i.bytes);
}

/** Writes `cascade.json` + stage files for `stages` (bytes) into `dir`. */
function writeCascade(dir: string, stages: readonly StageModel[], bytes: readonly Uint8Array[]): string {
  mkdirSync(dir, { recursive: true });
  const entries = bytes.map((b, i) => {
    writeFileSync(path.join(dir, `stage${i + 1}.onnx`), b);
    return { file: `stage${i + 1}.onnx`, stage: i + 1, ...(i > 0 ? { sigma: stages[i]!.metadata.cascade.sigma } : {}) };
  });
  writeFileSync(path.join(dir, 'cascade.json'), JSON.stringify({ stages: entries }));
  return dir;
}

interface Sample {
  stage1MsBatch1: number[];
  stage1ImagesPerSecBatch16: number[];
  cascadeMsBatch1: number[];
  cascadeImagesPerSecBatch16: number[];
  /** Batches of 16 back to back, two in flight (as `serve` runs them: one prepared while the other runs). */
  cascadeImagesPerSecStreamBatch16: number[];
  bareStage1MsBatch16: number[];
  bareStage2MsBatch14: number[];
}

export async function benchQuantize(): Promise<Record<string, unknown>> {
  const threads = os.availableParallelism();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-quantize-'));
  try {
    const floatStages = await resolveStageModels([DEFAULT_CASCADE]);
    // int8: calibrated on training images only.
    const calDir = hasShared() ? path.join(SHARED, 'datasets', 'lspet') : path.join(REPO, 'test', 'fixtures', 'lspet');
    const ds = await openDataset(calDir, 'legacy-train');
    const count = Math.min(256, ds.samples.length);
    const t0 = performance.now();
    const method = parseMethod(CALIBRATION);
    const q = (await quantizeCascade({ stages: floatStages, dataset: { ...ds, samples: ds.samples.slice(0, count) }, methods: [method], threads })).get(describeMethod(method))!;
    const quantizeSeconds = (performance.now() - t0) / 1000;
    // float32 as converted (ONNX LRN), float32 as the runtime now runs it (band-matrix LRN at session creation), int8.
    const variants = {
      float32: { model: DEFAULT_CASCADE, lrn: 'onnx' },
      float32BandLrn: { model: DEFAULT_CASCADE, lrn: 'band' },
      int8: { model: writeCascade(path.join(tmp, 'int8'), floatStages, q.map((s) => s.bytes)), lrn: 'band' },
    } as const;
    type V = keyof typeof variants;
    const imgs = images(16);
    const s = floatStages[0]!.metadata.inputSize;
    const x16 = new Float32Array(16 * 3 * s * s).map((_, i) => Math.sin(i));
    const x14 = x16.subarray(0, 14 * 3 * s * s);
    // Batch 1 on one worker with every core as intra-op threads (latency); batch 16 on one
    // worker per core, one intra-op thread each, every image's refinement a task of its own (throughput).
    const models = {} as Record<V, PoseModel>;
    const wide = {} as Record<V, PoseModel>;
    const bare = {} as Record<V, OrtModel[]>;
    for (const v of Object.keys(variants) as V[]) {
      models[v] = await loadPoseModel({ model: variants[v].model, lrn: variants[v].lrn, workers: 1, threads });
      wide[v] = await loadPoseModel({ model: variants[v].model, lrn: variants[v].lrn, workers: threads, threads: 1 });
      const st = await resolveStageModels([variants[v].model]);
      bare[v] = await Promise.all(st.map((m) => OrtModel.load(m.onnxPath, `${v} bare`, { threads, lrn: variants[v].lrn })));
    }
    const samples = Object.fromEntries((Object.keys(variants) as V[]).map((v) => [v, {
      stage1MsBatch1: [], stage1ImagesPerSecBatch16: [], cascadeMsBatch1: [], cascadeImagesPerSecBatch16: [], cascadeImagesPerSecStreamBatch16: [], bareStage1MsBatch16: [], bareStage2MsBatch14: [],
    } as Sample])) as Record<V, Sample>;
    try {
      for (const v of Object.keys(variants) as V[]) { // warm-up
        await models[v].predict(imgs.map((image) => ({ image, box: 'whole' as const })));
        await wide[v].predict(imgs.map((image) => ({ image, box: 'whole' as const })));
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of Object.keys(variants) as V[]) {
          const m = models[v];
          const w = wide[v];
          const o = samples[v];
          let k = 0;
          o.stage1MsBatch1.push(median(await timeIt(16, () => m.predict([{ image: imgs[k++ % 16]!, stages: 1, box: 'whole' }]))));
          o.stage1ImagesPerSecBatch16.push(16000 / median(await timeIt(3, () => w.predict(imgs.map((image) => ({ image, stages: 1, box: 'whole' as const }))))));
          k = 0;
          o.cascadeMsBatch1.push(median(await timeIt(8, () => m.predict([{ image: imgs[k++ % 16]!, box: 'whole' }]))));
          o.cascadeImagesPerSecBatch16.push(16000 / median(await timeIt(3, () => w.predict(imgs.map((image) => ({ image, box: 'whole' as const }))))));
          const s0 = performance.now();
          await mapLimit([0, 1, 2, 3, 4, 5], 2, () => w.predict(imgs.map((image) => ({ image, box: 'whole' as const }))));
          o.cascadeImagesPerSecStreamBatch16.push((6 * 16000) / (performance.now() - s0));
          const [b1, b2] = bare[v];
          o.bareStage1MsBatch16.push(median(await timeIt(5, () => b1!.run({ x: { data: x16, dims: [16, 3, s, s] } }))));
          o.bareStage2MsBatch14.push(median(await timeIt(5, () => b2!.run({ x: { data: x14, dims: [14, 3, s, s] } }))));
        }
      }
    } finally {
      for (const v of Object.keys(variants) as V[]) {
        await models[v].close();
        await wide[v].close();
        for (const b of bare[v]) await b.close();
      }
    }
    const summary = Object.fromEntries((Object.keys(variants) as V[]).map((v) => [v, Object.fromEntries(Object.entries(samples[v]).map(([k, xs]) => [k, +median(xs).toFixed(k.includes('PerSec') ? 1 : 2)]))]));
    const ratio = (k: keyof Sample, v: V, higherIsBetter: boolean) => {
      const a = median(samples[v][k]);
      const f = median(samples.float32[k]);
      return +(higherIsBetter ? a / f : f / a).toFixed(2);
    };
    const speedupOverFloat32 = Object.fromEntries((['float32BandLrn', 'int8'] as V[]).map((v) => [v, {
      stage1Batch1: ratio('stage1MsBatch1', v, false),
      stage1Batch16: ratio('stage1ImagesPerSecBatch16', v, true),
      cascadeBatch1: ratio('cascadeMsBatch1', v, false),
      cascadeBatch16: ratio('cascadeImagesPerSecBatch16', v, true),
      cascadeStreamBatch16: ratio('cascadeImagesPerSecStreamBatch16', v, true),
      bareStage1Batch16: ratio('bareStage1MsBatch16', v, false),
      bareStage2Batch14: ratio('bareStage2MsBatch14', v, false),
    }]));

    // Whole-process `deeppose eval` of the test split (shared data only), float32 and int8, paired.
    let evalWallSeconds: Record<string, number> | string = 'skipped: ../shared not present';
    const evalScores: Record<string, Record<string, number>> = {};
    if (hasShared()) {
      const int8Dir = path.join(tmp, 'int8-cli');
      const qrun = spawnSync(process.execPath, [path.join(REPO, 'dist', 'tools', 'cli.js'), 'quantize', '-o', int8Dir, '--dataset', calDir, '--split', 'legacy-train', '--count', String(count), '--calibration', CALIBRATION], { encoding: 'utf8' });
      if (qrun.status !== 0) throw new Error(`deeppose quantize failed: ${qrun.stderr}`);
      const evalRun = (model: string | undefined, stages: number): number => {
        const out = path.join(tmp, `eval-${stages}-${model ? 'int8' : 'float'}`);
        const args = [path.join(REPO, 'dist', 'tools', 'cli.js'), 'eval', ...(model ? ['--model', model] : []), '--stages', String(stages),
          '--dataset', path.join(SHARED, 'datasets', 'lspet'), '--split', 'legacy-test', '--out', out];
        const e0 = performance.now();
        const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`deeppose eval failed: ${r.stderr}`);
        const seconds = +((performance.now() - e0) / 1000).toFixed(2);
        const h = (JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { headline: Record<string, number> }).headline;
        evalScores[`${model ? 'int8' : 'float32'}${stages === 1 ? 'Stage1' : 'Cascade'}`] = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, +(100 * v).toFixed(3)]));
        return seconds;
      };
      evalWallSeconds = {
        float32Stage1: evalRun(undefined, 1),
        int8Stage1: evalRun(int8Dir, 1),
        float32Cascade: evalRun(undefined, 2),
        int8Cascade: evalRun(int8Dir, 2),
      };
    }
    const result = {
      description: `embedded default model (AlexNet-lite, 14 joints): float32 as converted (ONNX LRN), float32 with the band-matrix LRN (what the runtime now runs), int8 QDQ (deeppose quantize); eval = deeppose eval as shipped (float32 with the band-matrix LRN); pipeline = JPEG bytes → joints through worker threads (batch 1: one worker, ${threads} intra-op threads; batch 16: ${threads} workers, one thread each, each image's refinement crops built on a worker; one batch at a time, and a stream of 6 batches with two in flight as serve runs them); bare = onnxruntime session alone`,
      threads,
      rounds: ROUNDS,
      images: `16 LSPET images (${hasShared() ? 'shared dataset' : 'vendored fixtures'})`,
      calibration: { method: CALIBRATION, images: `first ${count} of ${path.basename(calDir)}/legacy-train`, inProcessSeconds: +quantizeSeconds.toFixed(1) },
      medians: summary,
      speedupOverFloat32,
      evalWallSeconds,
      evalScoresPercent: evalScores,
      note: 'paired rounds (every variant back to back in each round) on a 2-core machine shared with other developers: compare within this file, not across files',
      target: { int8CascadeBatch16OverFloat32: 2, int8CascadeEvalSeconds: 20 },
    };
    await writeResult('quantize', result);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchQuantize(), null, 2));
}

/**
 * Calibration methods compared by measurement: one calibration pass over
 * the first 256 legacy-train images, a QDQ cascade per method (minmax and
 * percentiles), and the same with fc8 quantized too; each scored on the
 * last 500 legacy-train images (held out: neither calibration nor either
 * stage's training used them), stage 1 and cascade, beside float32, with
 * the int8 joints' distance from the float32 joints (fidelity).
 * `npm run bench -- quantize-methods` (needs ../shared); writes
 * bench/results/quantize-methods.json.
 */
export async function benchQuantizeMethods(): Promise<Record<string, unknown>> {
  if (!hasShared()) return { skipped: '../shared not present' };
  const { evaluateModel } = await import('../eval/evaluate.js');
  const threads = os.availableParallelism();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-qmethods-'));
  try {
    const lspet = path.join(SHARED, 'datasets', 'lspet');
    const train = await openDataset(lspet, 'legacy-train');
    const calibration = { ...train, samples: train.samples.slice(0, 256) };
    const heldOut = { ...train, samples: train.samples.slice(-500) };
    const floatStages = await resolveStageModels([DEFAULT_CASCADE]);
    const methods = ['minmax', 'percentile:99.9', 'percentile:99.99', 'percentile:99.999'].map(parseMethod);
    const variants: Record<string, string> = { float32: DEFAULT_CASCADE };
    const t0 = performance.now();
    const q = await quantizeCascade({ stages: floatStages, dataset: calibration, methods, threads });
    for (const [name, stages] of q) variants[`int8 ${name}`] = writeCascade(path.join(tmp, name.replace(/\W+/g, '-')), floatStages, stages.map((s) => s.bytes));
    const allInt8 = (await quantizeCascade({ stages: floatStages, dataset: calibration, methods: [parseMethod(CALIBRATION)], floatLayers: [], threads })).get(describeMethod(parseMethod(CALIBRATION)))!;
    variants[`int8 ${describeMethod(parseMethod(CALIBRATION))}, fc8 int8 too`] = writeCascade(path.join(tmp, 'all-int8'), floatStages, allInt8.map((s) => s.bytes));
    const quantizeSeconds = (performance.now() - t0) / 1000;
    const rows: Record<string, unknown>[] = [];
    const floatJoints: Record<number, [number, number][][]> = {};
    for (const [name, spec] of Object.entries(variants)) {
      const model = await loadPoseModel({ model: spec, workers: 1, threads });
      try {
        for (const stages of [1, 2]) {
          const e = await evaluateModel(model, heldOut, { stages });
          const joints = e.images.map((im) => im.predPx);
          if (name === 'float32') floatJoints[stages] = joints;
          const d: number[] = [];
          joints.forEach((js, i) => js.forEach((p, k) => d.push(Math.hypot(p[0] - floatJoints[stages]![i]![k]![0], p[1] - floatJoints[stages]![i]![k]![1]))));
          d.sort((a, b) => a - b);
          const h = e.result;
          rows.push({
            variant: name, stages,
            strictPcp: +(100 * (h.pcp.strict.total ?? Number.NaN)).toFixed(2),
            loosePcp: +(100 * (h.pcp.loose.total ?? Number.NaN)).toFixed(2),
            pdj20: +(100 * (h.pdj.curve[h.pdj.thresholds.findIndex((t) => Math.abs(t - 0.2) < 1e-9)] ?? Number.NaN)).toFixed(2),
            jointShiftFromFloat32Px: { mean: +(d.reduce((a, b) => a + b, 0) / d.length).toFixed(3), median: +d[d.length >> 1]!.toFixed(3), p95: +d[Math.floor(0.95 * (d.length - 1))]!.toFixed(3) },
            seconds: +e.seconds.toFixed(1),
          });
          process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
        }
      } finally {
        await model.close();
      }
    }
    const result = {
      description: 'calibration methods compared: calibrated on the first 256 legacy-train images, scored on the last 500 (held out); joint shift = distance of each int8 joint from the float32 joint, pixels',
      calibrationSeconds: +quantizeSeconds.toFixed(1),
      rows,
    };
    await writeResult('quantize-methods', result);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * CPU time per batch of the bare sessions (process.cpuUsage around the
 * runs, all threads of this process), which a busy machine inflates far
 * less than wall time: stage 1 at batch 16 and stage 2 at batch 14,
 * float32 with the ONNX LRN, float32 with the band-matrix LRN, int8;
 * 1 and 2 intra-op threads, 9 alternating rounds of 3 runs. The int8
 * cascade is the one named by $BENCH_QUANTIZE_INT8, else calibrated here
 * (minmax, first 256 legacy-train images). `npm run bench -- quantize-cpu`;
 * writes bench/results/quantize-cpu.json.
 */
export async function benchQuantizeCpu(): Promise<Record<string, unknown>> {
  const floatStages = await resolveStageModels([DEFAULT_CASCADE]);
  let int8Paths: string[];
  let tmp: string | undefined;
  if (process.env.BENCH_QUANTIZE_INT8) {
    int8Paths = (await resolveStageModels([process.env.BENCH_QUANTIZE_INT8])).map((s) => s.onnxPath);
  } else {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-qcpu-'));
    const calDir = hasShared() ? path.join(SHARED, 'datasets', 'lspet') : path.join(REPO, 'test', 'fixtures', 'lspet');
    const ds = await openDataset(calDir, 'legacy-train');
    const method = parseMethod(CALIBRATION);
    const q = (await quantizeCascade({ stages: floatStages, dataset: { ...ds, samples: ds.samples.slice(0, 256) }, methods: [method] })).get(describeMethod(method))!;
    const dir = writeCascade(path.join(tmp, 'int8'), floatStages, q.map((s) => s.bytes));
    int8Paths = (await resolveStageModels([dir])).map((s) => s.onnxPath);
  }
  try {
    const s = floatStages[0]!.metadata.inputSize;
    const x16 = new Float32Array(16 * 3 * s * s).map((_, i) => Math.sin(i));
    const x14 = x16.subarray(0, 14 * 3 * s * s);
    const out: Record<string, Record<string, { cpuMs: number; wallMs: number }>> = {};
    for (const threads of [2, 1]) {
      const variants: [string, string, 'onnx' | 'band', number][] = [];
      for (const [i, st] of floatStages.entries()) {
        variants.push([`stage${i + 1} float32 (ONNX LRN)`, st.onnxPath, 'onnx', i]);
        variants.push([`stage${i + 1} float32 (band-matrix LRN)`, st.onnxPath, 'band', i]);
        variants.push([`stage${i + 1} int8`, int8Paths[i]!, 'band', i]);
      }
      const sessions = await Promise.all(variants.map(([name, file, lrn]) => OrtModel.load(file, name, { threads, lrn })));
      const samples = variants.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
      try {
        const feed = (i: number) => (variants[i]![3] === 0 ? { data: x16, dims: [16, 3, s, s] } : { data: x14, dims: [14, 3, s, s] });
        for (const [i, m] of sessions.entries()) await m.run({ x: feed(i) });
        for (let r = 0; r < 9; r++) {
          for (const [i, m] of sessions.entries()) {
            const c0 = process.cpuUsage();
            const t0 = performance.now();
            for (let k = 0; k < 3; k++) await m.run({ x: feed(i) });
            const c = process.cpuUsage(c0);
            samples[i]!.cpu.push((c.user + c.system) / 3000);
            samples[i]!.wall.push((performance.now() - t0) / 3);
          }
        }
      } finally {
        for (const m of sessions) await m.close();
      }
      out[`${threads} intra-op threads`] = Object.fromEntries(variants.map(([name], i) => [`${name}, batch ${variants[i]![3] === 0 ? 16 : 14}`, {
        cpuMs: +median(samples[i]!.cpu).toFixed(1), wallMs: +median(samples[i]!.wall).toFixed(1),
      }]));
    }
    const result = {
      description: 'CPU time (process.cpuUsage, all threads) and wall time per batch of bare onnxruntime sessions, medians of 9 alternating rounds of 3 runs; the embedded default cascade, float32 (ONNX LRN), float32 (band-matrix LRN) and int8',
      int8: process.env.BENCH_QUANTIZE_INT8 ?? `calibrated here: ${CALIBRATION}, first 256 legacy-train images`,
      sessions: out,
      note: 'CPU time is what a busy, shared machine inflates least; wall times here are not from a quiet machine',
    };
    await writeResult('quantize-cpu', result);
    return result;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
