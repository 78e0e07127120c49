/**
 * Data pipeline throughput: samples/s of the LSPET legacy test split with the
 * evaluation transforms and of the train split with the legacy
 * augmentations, through the worker-thread iterator with 1, 2 and 4 threads
 * and through a plain single-thread loop (one sample after another in the
 * main thread, no pool). `npm run bench -- data` or `node dist/bench/data.js`;
 * writes bench/results/data.json. Reads ../shared/datasets/lspet when
 * present, else the vendored 32-image subset (repeated).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBatch, DEFAULT_BATCH_CONFIG, type BatchConfig } from '../data/batch.js';
import { openDataset, type PoseDataset } from '../data/dataset.js';
import { createBatchIterator } from '../data/iterator.js';
import { hasShared, REPO, SHARED, writeResult } from './common.js';

const BATCH = 32;
const ROUNDS = Number(process.env.BENCH_DATA_ROUNDS ?? 3);

interface Run {
  readonly samples: number;
  /** Samples/s from the start (pool start-up included). */
  readonly samplesPerSec: number;
  /** Samples/s after the first batch arrived (start-up excluded). */
  readonly steadySamplesPerSec: number;
}

async function plainLoop(d: PoseDataset, mode: 'eval' | 'train', count: number): Promise<Run> {
  const config: BatchConfig = { ...DEFAULT_BATCH_CONFIG, mode, skeleton: d.skeleton.id, seed: 1 };
  const refs = d.samples.slice(0, count).map((s) => ({ index: s.index, image: s.image, imagePath: s.imagePath, jointsPx: s.jointsPx.flat(), visible: s.visible.map(Number) }));
  const t0 = performance.now();
  let t1 = 0;
  let n = 0;
  for (let i = 0; i < refs.length; i++) {
    const r = await buildBatch({ config, samples: [refs[i]!], epochs: [0] });
    if ('failure' in r) throw new Error(r.failure.message);
    n += r.size;
    if (i === BATCH - 1) t1 = performance.now();
  }
  const t2 = performance.now();
  return { samples: n, samplesPerSec: (n / (t2 - t0)) * 1000, steadySamplesPerSec: ((n - BATCH) / (t2 - t1)) * 1000 };
}

async function iterate(d: PoseDataset, mode: 'eval' | 'train', threads: number, count: number, inFlight = 1): Promise<Run> {
  const it = createBatchIterator(d, { batchSize: BATCH, mode, threads, repeat: mode === 'train', seed: 1, inFlight });
  const t0 = performance.now();
  let t1 = 0;
  let n = 0;
  let first = 0;
  for await (const b of it) {
    n += b.size;
    if (!t1) {
      t1 = performance.now();
      first = b.size;
    }
    if (n >= count) break;
  }
  const t2 = performance.now();
  await it.close();
  return { samples: n, samplesPerSec: (n / (t2 - t0)) * 1000, steadySamplesPerSec: ((n - first) / (t2 - t1)) * 1000 };
}

export async function benchData(): Promise<object> {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet') : path.join(REPO, 'test', 'fixtures', 'lspet');
  const count = Number(process.env.BENCH_DATA_SAMPLES ?? (hasShared() ? 480 : 96));
  const results: Record<string, unknown> = {};
  for (const [mode, split] of [['eval', 'legacy-test'], ['train', 'legacy-train']] as const) {
    const d = await openDataset(dir, split);
    const ds = d.samples.length >= count ? { ...d, samples: d.samples.slice(0, count) } : d;
    // Configurations interleaved, ROUNDS times; the median round is reported
    // (the machine is shared, so single runs are noisy).
    const configs: Record<string, () => Promise<Run>> = {
      plainLoop: () => plainLoop(ds, mode, count),
      threads1: () => iterate(ds, mode, 1, count),
      threads2: () => iterate(ds, mode, 2, count),
      threads4: () => iterate(ds, mode, 4, count),
      // Two images in flight per thread: sharp's work overlaps the thread's JS.
      threads1InFlight2: () => iterate(ds, mode, 1, count, 2),
      threads2InFlight2: () => iterate(ds, mode, 2, count, 2),
    };
    const rounds: Record<string, Run[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) for (const [k, run] of Object.entries(configs)) rounds[k]!.push(await run());
    const runs: Record<string, Run & { rounds: number[] }> = {};
    for (const [k, rs] of Object.entries(rounds)) {
      const sorted = [...rs].sort((a, b) => a.steadySamplesPerSec - b.steadySamplesPerSec);
      runs[k] = { ...sorted[sorted.length >> 1]!, rounds: rs.map((x) => +x.steadySamplesPerSec.toFixed(1)) };
    }
    const r = (k: string) => runs[k]!.steadySamplesPerSec;
    results[mode] = {
      split, samples: count, batchSize: BATCH, runs,
      speedup2vs1: +(r('threads2') / r('threads1')).toFixed(2),
      speedup2vsPlain: +(r('threads2') / r('plainLoop')).toFixed(2),
    };
    process.stderr.write(`data ${mode}: ${Object.entries(runs).map(([k, v]) => `${k} ${v.steadySamplesPerSec.toFixed(1)}/s`).join(', ')}\n`);
  }
  const doc = { dataset: dir, ...results, note: 'steadySamplesPerSec excludes the first batch (worker start-up); speedups use it' };
  await writeResult('data', doc);
  return doc;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchData();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
