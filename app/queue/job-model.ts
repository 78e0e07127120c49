/**
 * The model a job names, and the check a worker makes before running it:
 * the content hash (sha256 of the source file) of every cascade stage must
 * equal the job's, so a worker whose files differ refuses the task instead
 * of mixing models into one result set.
 */
import path from 'node:path';
import type { SkeletonId } from '../../data/skeletons.js';
import type { StageModel } from '../../model/model-source.js';
import type { JobModel } from './types.js';

/** Describes resolved stage models for a job; `specs` as given (made absolute), undefined for the embedded default. */
export function describeJobModel(stages: readonly StageModel[], specs: readonly string[] | undefined): JobModel {
  const m = stages[0]!.metadata;
  return {
    specs: specs && specs.length > 0 ? specs.map((s) => path.resolve(s)) : null,
    id: `${m.source.name}@${m.source.sha256.slice(0, 12)}${stages.length > 1 ? `+${stages.length - 1}` : ''}`,
    skeleton: (m.skeleton ?? 'lsp14') as SkeletonId,
    stageSha256: stages.map((s) => s.metadata.source.sha256),
  };
}

/** Why the worker's model is not the job's, or undefined when they are the same. */
export function modelMismatch(job: JobModel, workerStages: readonly StageModel[]): string | undefined {
  const mine = workerStages.map((s) => s.metadata.source.sha256);
  const where = job.specs ? job.specs.join(' + ') : 'the embedded default model';
  if (mine.length !== job.stageSha256.length) {
    return `${where}: the job was enqueued with ${job.stageSha256.length} stage(s), this worker's files have ${mine.length}`;
  }
  for (let i = 0; i < mine.length; i++) {
    if (mine[i] !== job.stageSha256[i]) {
      return `${where}: stage ${i + 1} has sha256 ${mine[i]!.slice(0, 12)}… on this worker, the job expects ${job.stageSha256[i]!.slice(0, 12)}… (model files changed since the job was enqueued, or differ between machines)`;
    }
  }
  return undefined;
}
