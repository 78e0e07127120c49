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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { REPO, SHARED, hasShared, median, writeResult } from './common.js';

const PROCESS_ROUNDS = Number(process.env.BENCH_EVAL_ROUNDS ?? 5);

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
  // The whole process as a user runs it: `deeppose eval --stages 1` on the same split, spawn to exit.
  const processSeconds: number[] = [];
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-eval-'));
  try {
    for (let r = 0; r < PROCESS_ROUNDS; r++) {
      const t = performance.now();
      const p = spawnSync(process.execPath, [path.join(REPO, 'dist', 'tools', 'cli.js'), 'eval', '--stages', '1', '--dataset', path.join(SHARED, 'datasets', 'lspet'), '--split', 'legacy-test', '--out', out, '--force'], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`deeppose eval failed (${p.status}): ${p.stderr}`);
      processSeconds.push(+((performance.now() - t) / 1000).toFixed(2));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.stderr.write(`bench eval: deeppose eval --stages 1 as a whole process: ${processSeconds.join(', ')} s\n`);
  const result = {
    split: 'lspet legacy-test', model: 'embedded default', modelLoadSeconds: +loadSeconds.toFixed(2), runs,
    evalStage1Process: { command: 'deeppose eval --stages 1 --dataset ../shared/datasets/lspet --split legacy-test --out DIR --force', seconds: processSeconds, medianSeconds: median(processSeconds) },
  };
  await writeResult('eval', result);
  return result;
}
