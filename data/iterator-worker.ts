/** Piscina worker for data/iterator.ts: builds one batch and transfers its buffers back (no copy). */
import { batchBuffers, buildBatch, type BatchTask } from './batch.js';
import { sharpForBusyThreads } from './sharp-module.js';
import { requireCommonJs } from '../core/require-commonjs.js';

/** piscina (CommonJS, required: see core/require-commonjs.ts). */
const piscina = requireCommonJs<typeof import('piscina')>('piscina');

sharpForBusyThreads();

export default async function run(task: BatchTask): Promise<unknown> {
  const result = await buildBatch(task);
  if ('failure' in result) return result;
  return piscina.move({ [piscina.transferableSymbol]: batchBuffers(result), [piscina.valueSymbol]: result } as never);
}
