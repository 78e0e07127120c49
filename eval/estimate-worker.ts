/** Piscina worker entry for evaluation (eval/estimate-in-worker.ts): the batch and the model on it, the result's buffers transferred. */
import { Piscina } from 'piscina';
import type { BatchTask } from '../data/batch.js';
import { sharpForBusyThreads } from '../data/sharp-module.js';
import { estimatedBuffers, estimateInWorker, type EstimateExtra } from './estimate-in-worker.js';

await sharpForBusyThreads();

export default async function run(task: BatchTask & { readonly extra: EstimateExtra }): Promise<unknown> {
  const result = await estimateInWorker(task);
  if ('failure' in result) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: estimatedBuffers(result), [Piscina.valueSymbol]: result } as never);
}
