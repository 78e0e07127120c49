/**
 * Speed of `deeppose predict`'s pipeline on the embedded default model:
 * single-image latency and batch-16 throughput of stage 1 and of a 2-stage
 * cascade on this machine's cores, next to the bare onnxruntime session time
 * for the same model (same thread count, same inputs). Target: at batch 1,
 * our preprocessing and decoding add at most 25 % to the session time.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPoseModel } from '../model/pose-model.js';
import { decodeImage } from '../data/image.js';
import { centreBoxFromXywh, legacyCropBox, preprocessCrop } from '../data/transforms/legacy.js';
import { resolveStageModels, DEFAULT_CASCADE } from '../model/model-source.js';
import { OrtModel } from '../model/runtime/ort.js';
import { median, REPO, SHARED, hasShared, writeResult } from './common.js';

function images(n: number): { name: string; bytes: Uint8Array }[] {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  const files = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, n);
  return files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(path.join(dir, f))) }));
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

export async function benchInference(): Promise<Record<string, unknown>> {
  const threads = os.availableParallelism();
  const imgs = images(16);
  const reps = 40;
  const [stage1] = await resolveStageModels([DEFAULT_CASCADE]);
  const s = stage1!.metadata.inputSize;

  // Bare session on this thread, same thread count.
  const bare = await OrtModel.load(stage1!.onnxPath, 'bare', { threads });
  const x1 = new Float32Array(3 * s * s).map((_, i) => Math.sin(i));
  const x16 = new Float32Array(16 * 3 * s * s).map((_, i) => Math.sin(i));
  await bare.run({ x: { data: x1, dims: [1, 3, s, s] } });
  const bare1 = median(await timeIt(reps, () => bare.run({ x: { data: x1, dims: [1, 3, s, s] } })));
  const bare16 = median(await timeIt(10, () => bare.run({ x: { data: x16, dims: [16, 3, s, s] } })));
  await bare.close();

  // Our pipeline: encoded JPEG in, joints in image pixels out (stage 1 only).
  const one = await loadPoseModel({ workers: 1, threads });
  const defaultStages = one.info.stages;
  await one.predict([{ image: imgs[0]!.bytes, stages: 1 }]);
  let k = 0;
  const lat = await timeIt(reps, () => one.predict([{ image: imgs[k++ % imgs.length]!.bytes, stages: 1 }]));
  const parts: Record<'probeAndDecode' | 'cropResampleGcn' | 'stage1IncludingWorkerHandoff' | 'session', number[]> = { probeAndDecode: [], cropResampleGcn: [], stage1IncludingWorkerHandoff: [], session: [] };
  for (let i = 0; i < reps; i++) {
    const t = (await one.predict([{ image: imgs[i % imgs.length]!.bytes, stages: 1 }]))[0]!.timingsMs;
    parts.probeAndDecode.push(t.decode!);
    parts.cropResampleGcn.push(t.preprocess!);
    parts.stage1IncludingWorkerHandoff.push(t.stage1!);
    parts.session.push(t.stage1Session!);
  }
  const batch = median(await timeIt(10, () => one.predict(imgs.map((im) => ({ image: im.bytes, stages: 1 })))));
  await one.close();

  // Where the preprocessing time goes: the JPEG decode alone, and crop + resample + GCN from decoded pixels.
  const decoded = await Promise.all(imgs.map((im) => decodeImage(im.bytes)));
  k = 0;
  const decodeOnly = median(await timeIt(reps, () => decodeImage(imgs[k++ % imgs.length]!.bytes)));
  k = 0;
  const fromPixels = median(await timeIt(reps, () => {
    const d = decoded[k++ % decoded.length]!;
    return preprocessCrop(d, legacyCropBox(centreBoxFromXywh([0, 0, d.width, d.height]), d.width, d.height), { size: s, channels: 'bgr' });
  }));

  // A 2-stage cascade for timing: stage 2 is the stage-1 network run on joint crops (σ = 1).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-cascade-'));
  let cascade: Record<string, number> = {};
  try {
    const ckpt = path.join(path.dirname(DEFAULT_CASCADE), 'deeppose-lsp14-lite', 'epoch-48.model');
    const cascadeJson = path.join(dir, 'cascade.json');
    writeFileSync(cascadeJson, JSON.stringify({ stages: [{ file: ckpt, stage: 1 }, { file: ckpt, stage: 2, sigma: 1 }] }));
    // The default cascade when it has a stage 2; otherwise the stage-1 network stands in for one.
    const two = await loadPoseModel({ model: defaultStages >= 2 ? DEFAULT_CASCADE : cascadeJson, workers: 1, threads });
    await two.predict([{ image: imgs[0]!.bytes }]);
    k = 0;
    const lat2 = await timeIt(reps, () => two.predict([{ image: imgs[k++ % imgs.length]!.bytes, stages: 2 }]));
    const batch2 = median(await timeIt(5, () => two.predict(imgs.map((im) => ({ image: im.bytes, stages: 2 })))));
    await two.close();
    cascade = { latencyMsBatch1: +median(lat2).toFixed(2), imagesPerSecondBatch16: +(16000 / batch2).toFixed(1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const latency = median(lat);
  const result = {
    description: 'embedded default model (AlexNet-lite, 14 joints); pipeline = decode JPEG + legacy crop + GCN + worker-thread session + decode joints',
    threads,
    images: `${imgs.length} LSPET images (${hasShared() ? 'shared dataset' : 'vendored fixtures'})`,
    bareSession: { msBatch1: +bare1.toFixed(2), msBatch16: +bare16.toFixed(2), imagesPerSecondBatch16: +(16000 / bare16).toFixed(1) },
    stage1: {
      latencyMsBatch1: +latency.toFixed(2),
      sessionMsInsidePipelineBatch1: +median(parts.session).toFixed(2),
      imagesPerSecondBatch16: +(16000 / batch).toFixed(1),
      overheadOverBareSessionBatch1: +((latency - bare1) / bare1).toFixed(3),
      medianMsBatch1: Object.fromEntries(Object.entries(parts).map(([n, v]) => [n, +median(v).toFixed(2)])),
    },
    preprocessing: {
      jpegDecodeOnlyMs: +decodeOnly.toFixed(2),
      cropResampleGcnFromDecodedPixelsMs: +fromPixels.toFixed(2),
      jpegDecodeOverBareSessionBatch1: +(decodeOnly / bare1).toFixed(3),
    },
    cascade2Stages: { ...cascade, note: defaultStages >= 2 ? 'the embedded default cascade (stage 1 + stage 2)' : 'stage 2 here is the stage-1 network run on σ=1 joint crops: timing only' },
    target: { overheadOverBareSessionBatch1: 0.25 },
  };
  await writeResult('inference', result);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchInference(), null, 2));
}
