/**
 * Names on the queue. BullMQ keeps its tasks under `deeppose:predict:*`; the
 * project keeps, per job NAME, its description and its results keyed by
 * image under `deeppose:job:NAME:*`, so a task that runs twice (a worker
 * killed mid-task, a lost lock) still leaves one result per image.
 */
import { invalidArgument } from '../../core/errors.js';

/** BullMQ key prefix and queue name: every task of every job is on this one queue. */
export const PREFIX = 'deeppose';
export const QUEUE_NAME = 'predict';

/** Job names: letters, digits, `.`, `_`, `-`; 1 to 100 characters. */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkJobName(name: string, option = '--job'): string {
  if (typeof name !== 'string' || !JOB_NAME.test(name)) {
    throw invalidArgument(option, 'a job name of letters, digits, ".", "_" and "-" (1 to 100 characters, starting with a letter or digit)', name);
  }
  return name;
}

export const keys = {
  /** Set of every job name. */
  jobs: `${PREFIX}:jobs`,
  /** Hash: worker id → JSON heartbeat. */
  workers: `${PREFIX}:workers`,
  /** String: the job's JSON description (JobMeta). */
  meta: (job: string) => `${PREFIX}:job:${job}:meta`,
  /** Hash: image name → JSON result (first writer wins). */
  results: (job: string) => `${PREFIX}:job:${job}:results`,
  /** Hash: image name → JSON failure. */
  failed: (job: string) => `${PREFIX}:job:${job}:failed`,
  /** Hash: `<worker>|n`, `<worker>|first`, `<worker>|last` per worker. */
  stats: (job: string) => `${PREFIX}:job:${job}:stats`,
};

/** BullMQ id of task `index` of `job` (custom ids may not contain ":" nor be bare integers). */
export function taskId(job: string, index: number): string {
  return `${job}#${index}`;
}
