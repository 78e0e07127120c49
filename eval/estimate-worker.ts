/** Piscina worker entry for evaluation (eval/estimate-in-worker.ts): the batch and the model on it, the result's buffers transferred. */
import type { BatchTask } from '../data/batch.js';
import { sharpForBusyThreads } from '../data/sharp-module.js';
import { estimatedBuffers, estimateInWorker, type EstimateExtra } from './estimate-in-worker.js';
import { requireCommonJs } from '../core/require-commonjs.js';

/** piscina (CommonJS, required: see core/require-commonjs.ts). */
const piscina = requireCommonJs<typeof import('piscina')>('piscina');

sharpForBusyThreads();

export default async function run(task: BatchTask & { readonly extra: EstimateExtra }): Promise<unknown> {
  const result = await estimateInWorker(task);
  if ('failure' in result) return result;
  return piscina.move({ [piscina.transferableSymbol]: estimatedBuffers(result), [piscina.valueSymbol]: result } as never);
}
