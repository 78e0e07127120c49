/**
 * Speed of `deeppose predict`'s pipeline on the embedded default model:
 * single-image latency and batch-16 throughput of stage 1 and of a 2-stage
 * cascade on this machine's cores, next to the bare onnxruntime session time
 * for the same model (same thread count, same inputs). Target: at batch 1,
 * our preprocessing and decoding add at most 25 % to the session time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPoseModel } from '../model/pose-model.js';
import { decodeImage } from '../data/image.js';
import { centreBoxFromXywh, legacyCropBox, preprocessCrop } from '../data/transforms/legacy.js';
import { resolveStageModels, DEFAULT_CASCADE } from '../model/model-source.js';
import { OrtModel } from '../model/runtime/ort.js';
import { benchImages as images, hasShared, median, timeIt, writeResult } from './common.js';

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
  await one.predict([{ image: imgs[0]!.bytes, stages: 1, box: 'whole' }]);
  let k = 0;
  const lat = await timeIt(reps, () => one.predict([{ image: imgs[k++ % imgs.length]!.bytes, stages: 1, box: 'whole' }]));
  const parts: Record<'probeAndDecode' | 'cropResampleGcn' | 'stage1IncludingWorkerHandoff' | 'session', number[]> = { probeAndDecode: [], cropResampleGcn: [], stage1IncludingWorkerHandoff: [], session: [] };
  for (let i = 0; i < reps; i++) {
    const t = (await one.predict([{ image: imgs[i % imgs.length]!.bytes, stages: 1, box: 'whole' }]))[0]!.timingsMs;
    parts.probeAndDecode.push(t.decode!);
    parts.cropResampleGcn.push(t.preprocess!);
    parts.stage1IncludingWorkerHandoff.push(t.stage1!);
    parts.session.push(t.stage1Session!);
  }
  const batch = median(await timeIt(10, () => one.predict(imgs.map((im) => ({ image: im.bytes, stages: 1, box: 'whole' as const })))));
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

  // Deeper pipelines: the 2- and 3-stage cascades and the no-box path (the person finder on the
  // whole image, then the cascade). Where the default model lacks a part, a stand-in of the same
  // size times it: the default's last stage again as the next stage, the stage-1 network as the
  // finder (timing only; the result says which).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-cascade-'));
  const cascades: Record<string, Record<string, unknown>> = {};
  try {
    const defaultDoc = JSON.parse(readFileSync(DEFAULT_CASCADE, 'utf8')) as { stages: { file: string; stage?: number; sigma?: number }[]; finder?: { file: string; boxScale?: number } };
    const stages = defaultDoc.stages.map((st) => ({ ...st, file: path.resolve(path.dirname(DEFAULT_CASCADE), st.file) }));
    const last = stages[stages.length - 1]!;
    while (stages.length < 3) stages.push({ file: last.file, stage: stages.length + 1, sigma: last.sigma ?? 2 });
    const finder = defaultDoc.finder
      ? { ...defaultDoc.finder, file: path.resolve(path.dirname(DEFAULT_CASCADE), defaultDoc.finder.file) }
      : { file: stages[0]!.file, boxScale: 1.3 };
    const cascadeJson = path.join(dir, 'cascade.json');
    writeFileSync(cascadeJson, JSON.stringify({ stages, finder }));
    const standIns = [
      ...(defaultStages < 2 ? ['stage 2 = the stage-1 network'] : []),
      ...(defaultStages < 3 ? [`stage 3 = the default's stage ${defaultStages} network`] : []),
      ...(defaultDoc.finder ? [] : ['finder = the stage-1 network on the whole image']),
    ];
    const deep = await loadPoseModel({ model: cascadeJson, workers: 1, threads });
    const variants: [string, (img: Uint8Array) => { image: Uint8Array; stages: number; box?: 'auto' | 'whole'; bboxPx?: [number, number, number, number] }][] = [
      ['cascade2Stages', (image) => ({ image, stages: 2, box: 'whole' })],
      ['cascade3Stages', (image) => ({ image, stages: 3, box: 'whole' })],
      ['noBoxFinderThen2Stages', (image) => ({ image, stages: 2, box: 'auto' })],
      ['noBoxFinderThen3Stages', (image) => ({ image, stages: 3, box: 'auto' })],
    ];
    for (const [name, request] of variants) {
      await deep.predict([request(imgs[0]!.bytes)]);
      k = 0;
      const latN = await timeIt(20, () => deep.predict([request(imgs[k++ % imgs.length]!.bytes)]));
      const batchN = median(await timeIt(5, () => deep.predict(imgs.map((im) => request(im.bytes)))));
      cascades[name] = { latencyMsBatch1: +median(latN).toFixed(2), imagesPerSecondBatch16: +(16000 / batchN).toFixed(1) };
    }
    await deep.close();
    // The default 2-stage cascade on one worker per core, one intra-op thread each
    // (`--workers N --threads 1`): throughput rather than latency.
    const wide = await loadPoseModel({ model: cascadeJson, workers: threads, threads: 1 });
    try {
      const request = (image: Uint8Array) => ({ image, stages: 2, box: 'whole' as const });
      await wide.predict(imgs.map((im) => request(im.bytes)));
      k = 0;
      const latW = await timeIt(20, () => wide.predict([request(imgs[k++ % imgs.length]!.bytes)]));
      const batchW = median(await timeIt(5, () => wide.predict(imgs.map((im) => request(im.bytes)))));
      cascades.cascade2StagesOneWorkerPerCore = { workers: threads, threadsPerWorker: 1, latencyMsBatch1: +median(latW).toFixed(2), imagesPerSecondBatch16: +(16000 / batchW).toFixed(1) };
    } finally {
      await wide.close();
    }
    cascades.standIns = { timingOnly: standIns };
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
    ...cascades,
    target: { overheadOverBareSessionBatch1: 0.25 },
  };
  await writeResult('inference', result);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchInference(), null, 2));
}
