/**
 * `npm run bench -- eval`: the evaluation pipeline (eval/evaluate.ts) on the
 * LSPET legacy-test split (../shared), the default model with stage 1 alone
 * and with the whole cascade: seconds, images per second and the scores
 * (which must equal `deeppose eval`'s). Model loading is timed apart.
 */
import path from 'node:path';
import { openDataset } from '../data/dataset.js';
import { evaluateModel } from '../eval/evaluate.js';
import { loadPoseModel } from '../model/pose-model.js';
import { SHARED, hasShared, writeResult } from './common.js';

export async function benchEval(): Promise<Record<string, unknown>> {
  if (!hasShared()) throw new Error(`bench eval needs the LSPET dataset at ${path.join(SHARED, 'datasets', 'lspet')}`);
  const dataset = await openDataset(path.join(SHARED, 'datasets', 'lspet'), 'legacy-test');
  const t0 = performance.now();
  const model = await loadPoseModel({ workers: 1 });
  const loadSeconds = (performance.now() - t0) / 1000;
  const runs: Record<string, unknown>[] = [];
  try {
    for (const stages of [1, model.info.stages]) {
      const r = await evaluateModel(model, dataset, { stages, batchSize: 16 });
      runs.push({
        stages, images: r.images.length, seconds: +r.seconds.toFixed(2), imagesPerSecond: +(r.images.length / r.seconds).toFixed(1),
        strictPcp: r.result.pcp.strict.total, loosePcp: r.result.pcp.loose.total, pdj20: r.result.pdj.curve[20] ?? null,
      });
      process.stderr.write(`bench eval: ${stages} stage(s): ${r.images.length} images in ${r.seconds.toFixed(1)} s, strict PCP ${(100 * r.result.pcp.strict.total).toFixed(2)} %\n`);
    }
  } finally {
    await model.close();
  }
  const result = { split: 'lspet legacy-test', model: 'embedded default', modelLoadSeconds: +loadSeconds.toFixed(2), runs };
  await writeResult('eval', result);
  return result;
}
