/** Piscina worker for data/iterator.ts: builds one batch and transfers its buffers back (no copy). */
import { Piscina } from 'piscina';
import { batchBuffers, buildBatch, type BatchTask } from './batch.js';
import { sharpForBusyThreads } from './sharp-module.js';

await sharpForBusyThreads();

export default async function run(task: BatchTask): Promise<unknown> {
  const result = await buildBatch(task);
  if ('failure' in result) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: batchBuffers(result), [Piscina.valueSymbol]: result } as never);
}
