/**
 * Training throughput of the default model's architecture (AlexNet-lite,
 * 14 joints, 220 px) at batch 32 on this machine's cores: the ONNX training
 * step alone (forward, loss, backward, Adam) on fixed random batches, and
 * end to end through `deeppose train`'s loop on LSPET with the legacy
 * augmentations when ../shared is present.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OrtModel, type FloatTensor } from '../model/runtime/ort.js';
import { alexnetParamShapes, buildAlexNetTrainStep, newName, slotName } from '../model/train/alexnet-step.js';
import { initParams, liteDims } from '../model/train/params.js';
import { REPO, SHARED, hasShared, median, writeResult } from './common.js';

export async function benchTrain(): Promise<Record<string, unknown>> {
  const B = 32;
  const threads = os.availableParallelism();
  const dims = liteDims(B, 14);
  const step = buildAlexNetTrainStep(dims, { kind: 'adam' });
  const session = await OrtModel.load(step.bytes, 'bench', { threads });
  const params = initParams(alexnetParamShapes(dims), 1);
  const feeds: Record<string, FloatTensor> = {
    x: { data: Float32Array.from({ length: B * 3 * 220 * 220 }, (_, i) => Math.sin(i * 0.37)), dims: [B, 3, 220, 220] },
    t: { data: Float32Array.from({ length: B * 28 }, (_, i) => 0.2 * Math.cos(i)), dims: [B, 28] },
    mask: { data: new Float32Array(B * 28).fill(1), dims: [B, 28] },
    drop6: { data: Float32Array.from({ length: B * 1024 }, (_, i) => (i % 5 < 2 ? 2.5 : 0)), dims: [B, 1024] },
    drop7: { data: Float32Array.from({ length: B * 1024 }, (_, i) => (i % 5 < 2 ? 2.5 : 0)), dims: [B, 1024] },
  };
  for (const [name, shape] of step.params) {
    feeds[name] = { data: params.get(name)!.data, dims: shape };
    for (const s of step.slots) feeds[slotName(name, s)] = { data: new Float32Array(params.get(name)!.data.length), dims: shape };
  }
  const times: number[] = [];
  for (let it = 1; it <= 25; it++) {
    feeds.lr = { data: Float32Array.of(1e-4), dims: [] };
    const t0 = performance.now();
    const out = await session.run(feeds);
    if (it > 5) times.push(performance.now() - t0);
    for (const [name] of step.params) {
      feeds[name] = out[newName(name)]!;
      for (const s of step.slots) feeds[slotName(name, s)] = out[newName(slotName(name, s))]!;
    }
  }
  await session.close();
  const stepMs = median(times);
  let endToEnd: Record<string, unknown> | null = null;
  if (hasShared()) {
    const out = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-train-'));
    try {
      const cli = path.join(REPO, 'dist', 'tools', 'cli.js');
      const args = [cli, 'train', '--dataset', path.join(SHARED, 'datasets', 'lspet'), '--split', 'legacy-train', '--limit', '1088', '--val-count', '64', '--epochs', '2', '--out', out];
      await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
      const log = JSON.parse(readFileSync(path.join(out, 'log.json'), 'utf8')) as { imagesPerSecond: number; trainLoss: number; valLoss: number }[];
      endToEnd = {
        command: `deeppose ${args.slice(1).join(' ').replace(out, 'OUT').replace(SHARED, '../shared')}`,
        imagesPerSecondByEpoch: log.map((e) => +e.imagesPerSecond.toFixed(1)),
        trainLossByEpoch: log.map((e) => +e.trainLoss.toFixed(5)),
        valLossByEpoch: log.map((e) => +e.valLoss.toFixed(5)),
      };
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const result = {
    description: 'AlexNet-lite (the default model architecture), batch 32, 220 px, Adam; one ONNX graph per step (forward, masked loss, backward, update) run by onnxruntime-node',
    threads,
    stepMsMedian: +stepMs.toFixed(1),
    imagesPerSecondStepOnly: +((B * 1000) / stepMs).toFixed(1),
    endToEnd,
    reference: 'PyTorch 1.13 on CPU trains this architecture at batch 32 at roughly 55–110 images/s on this machine (brief); target: at least half of it',
  };
  await writeResult('train', result);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchTrain(), null, 2));
}
