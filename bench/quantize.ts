/**
 * int8 against float32, side by side, paired: the embedded default model's
 * stage 1 and 2-stage cascade at batch 1 (latency) and batch 16
 * (throughput), through the whole pipeline (JPEG bytes → joints, worker
 * thread, this machine's cores) and as bare sessions; each round runs every
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
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataset } from '../data/dataset.js';
import { DEFAULT_CASCADE, resolveStageModels, type StageModel } from '../model/model-source.js';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { describeMethod, parseMethod } from '../model/quantize/calibrate.js';
import { decodeModel, encodeModel } from '../model/quantize/graph.js';
import { rewriteLrnAsBand } from '../model/quantize/lrn-band.js';
import { quantizeCascade } from '../model/quantize/quantize-model.js';
import { OrtModel } from '../model/runtime/ort.js';
import { hasShared, median, REPO, SHARED, writeResult } from './common.js';

const ROUNDS = Number(process.env.BENCH_QUANTIZE_ROUNDS ?? 3);
const CALIBRATION = 'percentile:99.99';

function images(n: number): Uint8Array[] {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  return readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, n).map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
}

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
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
    const band = await Promise.all(floatStages.map(async (s) => {
      const m = decodeModel(readFileSync(s.onnxPath));
      rewriteLrnAsBand(m);
      return encodeModel(m);
    }));
    const variants = {
      float32: DEFAULT_CASCADE,
      float32BandLrn: writeCascade(path.join(tmp, 'band'), floatStages, band),
      int8: writeCascade(path.join(tmp, 'int8'), floatStages, q.map((s) => s.bytes)),
    } as const;
    type V = keyof typeof variants;
    const imgs = images(16);
    const s = floatStages[0]!.metadata.inputSize;
    const x16 = new Float32Array(16 * 3 * s * s).map((_, i) => Math.sin(i));
    const x14 = x16.subarray(0, 14 * 3 * s * s);
    const models = {} as Record<V, PoseModel>;
    const bare = {} as Record<V, OrtModel[]>;
    for (const v of Object.keys(variants) as V[]) {
      models[v] = await loadPoseModel({ model: variants[v], workers: 1, threads });
      const st = await resolveStageModels([variants[v]]);
      bare[v] = await Promise.all(st.map((m) => OrtModel.load(m.onnxPath, `${v} bare`, { threads })));
    }
    const samples = Object.fromEntries((Object.keys(variants) as V[]).map((v) => [v, {
      stage1MsBatch1: [], stage1ImagesPerSecBatch16: [], cascadeMsBatch1: [], cascadeImagesPerSecBatch16: [], bareStage1MsBatch16: [], bareStage2MsBatch14: [],
    } as Sample])) as Record<V, Sample>;
    try {
      for (const v of Object.keys(variants) as V[]) await models[v].predict(imgs.map((image) => ({ image }))); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of Object.keys(variants) as V[]) {
          const m = models[v];
          const o = samples[v];
          let k = 0;
          o.stage1MsBatch1.push(median(await timeIt(16, () => m.predict([{ image: imgs[k++ % 16]!, stages: 1 }]))));
          o.stage1ImagesPerSecBatch16.push(16000 / median(await timeIt(3, () => m.predict(imgs.map((image) => ({ image, stages: 1 }))))));
          k = 0;
          o.cascadeMsBatch1.push(median(await timeIt(8, () => m.predict([{ image: imgs[k++ % 16]! }]))));
          o.cascadeImagesPerSecBatch16.push(16000 / median(await timeIt(2, () => m.predict(imgs.map((image) => ({ image }))))));
          const [b1, b2] = bare[v];
          o.bareStage1MsBatch16.push(median(await timeIt(5, () => b1!.run({ x: { data: x16, dims: [16, 3, s, s] } }))));
          o.bareStage2MsBatch14.push(median(await timeIt(5, () => b2!.run({ x: { data: x14, dims: [14, 3, s, s] } }))));
        }
      }
    } finally {
      for (const v of Object.keys(variants) as V[]) {
        await models[v].close();
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
      bareStage1Batch16: ratio('bareStage1MsBatch16', v, false),
      bareStage2Batch14: ratio('bareStage2MsBatch14', v, false),
    }]));

    // Whole-process `deeppose eval` of the test split (shared data only), float32 and int8, paired.
    let evalWallSeconds: Record<string, number> | string = 'skipped: ../shared not present';
    if (hasShared()) {
      const int8Dir = path.join(tmp, 'int8-cli');
      const qrun = spawnSync(process.execPath, [path.join(REPO, 'dist', 'tools', 'cli.js'), 'quantize', '-o', int8Dir, '--dataset', calDir, '--split', 'legacy-train', '--count', String(count), '--calibration', CALIBRATION], { encoding: 'utf8' });
      if (qrun.status !== 0) throw new Error(`deeppose quantize failed: ${qrun.stderr}`);
      const evalRun = (model: string | undefined, stages: number): number => {
        const args = [path.join(REPO, 'dist', 'tools', 'cli.js'), 'eval', ...(model ? ['--model', model] : []), '--stages', String(stages),
          '--dataset', path.join(SHARED, 'datasets', 'lspet'), '--split', 'legacy-test', '--out', path.join(tmp, `eval-${stages}-${model ? 'int8' : 'float'}`)];
        const e0 = performance.now();
        const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`deeppose eval failed: ${r.stderr}`);
        return +((performance.now() - e0) / 1000).toFixed(2);
      };
      evalWallSeconds = {
        float32Stage1: evalRun(undefined, 1),
        int8Stage1: evalRun(int8Dir, 1),
        float32Cascade: evalRun(undefined, 2),
        int8Cascade: evalRun(int8Dir, 2),
      };
    }
    const result = {
      description: 'embedded default model (AlexNet-lite, 14 joints): float32 as converted, float32 with the band-matrix LRN, int8 QDQ (deeppose quantize); pipeline = JPEG bytes → joints through a worker thread; bare = onnxruntime session alone',
      threads,
      rounds: ROUNDS,
      images: `16 LSPET images (${hasShared() ? 'shared dataset' : 'vendored fixtures'})`,
      calibration: { method: CALIBRATION, images: `first ${count} of ${path.basename(calDir)}/legacy-train`, inProcessSeconds: +quantizeSeconds.toFixed(1) },
      medians: summary,
      speedupOverFloat32,
      evalWallSeconds,
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
