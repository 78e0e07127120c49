/** Piscina worker for data/iterator.ts: builds one batch and transfers its buffers back (no copy). */
import { Piscina } from 'piscina';
import { batchBuffers, buildBatch, type BatchTask } from './batch.js';
import { loadSharp } from './sharp-module.js';

// One libvips thread per decode: the iterator already runs one worker per
// core, and small images decode in less CPU time without vips's own threads
// contending for the same cores (measured in bench/results/eval.json).
// Nor its operation cache: every image is new.
const sharp = await loadSharp();
sharp.concurrency(1);
sharp.cache(false);

export default async function run(task: BatchTask): Promise<unknown> {
  const result = await buildBatch(task);
  if ('failure' in result) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: batchBuffers(result), [Piscina.valueSymbol]: result } as never);
}
