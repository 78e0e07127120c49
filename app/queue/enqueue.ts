/**
 * The enqueue side: one job NAME becomes tasks of a few images each on the
 * shared BullMQ queue, each task carrying the model (paths and per-stage
 * content hash) and the box and stage options, so any worker can check and
 * run it alone.
 */
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { DeepPoseError, invalidArgument } from '../../core/errors.js';
import { resolveStageModels } from '../../model/model-source.js';
import { describeJobModel } from './job-model.js';
import { checkJobName, PREFIX, QUEUE_NAME, taskId } from './keys.js';
import { imageNames } from './names.js';
import { createJobMeta, readJobMeta } from './store.js';
import type { JobMeta, TaskData } from './types.js';
import type { QueueUrl } from './url.js';

/** Retries of a task that failed for a reason other than its images (model refused, Redis lost). */
export const TASK_ATTEMPTS = 3;
/** First retry delay; doubles each time. */
export const TASK_BACKOFF_MS = 1000;

export interface EnqueueOptions {
  readonly redis: Redis;
  readonly url: QueueUrl;
  readonly job: string;
  /** Image files (any path; made absolute). */
  readonly files: readonly string[];
  readonly model?: readonly string[];
  readonly bboxPx?: readonly [number, number, number, number];
  readonly stages?: number;
  readonly imagesPerTask: number;
  readonly commandLine: string;
  readonly log?: (line: string) => void;
}

export interface Enqueued {
  readonly meta: JobMeta;
}

export async function enqueueJob(o: EnqueueOptions): Promise<Enqueued> {
  checkJobName(o.job);
  if (o.files.length === 0) throw new DeepPoseError('E_NO_INPUT', 'no images to enqueue');
  if (!Number.isInteger(o.imagesPerTask) || o.imagesPerTask < 1) throw invalidArgument('--images-per-task', 'a positive integer', o.imagesPerTask);
  // Refuse a taken name before the (possibly slow) model resolution; createJobMeta checks again atomically.
  if (await readJobMeta(o.redis, o.job)) await createJobMeta(o.redis, { name: o.job } as JobMeta, o.url);
  const stages = await resolveStageModels(o.model && o.model.length > 0 ? o.model : undefined, o.log);
  if (o.stages !== undefined && o.stages > stages.length) {
    throw invalidArgument('--stages', `an integer from 1 to ${stages.length} (this model's cascade depth)`, o.stages);
  }
  const model = describeJobModel(stages, o.model);
  const files = o.files.map((f) => path.resolve(f));
  const names = imageNames(files);
  const tasks: TaskData[] = [];
  for (let i = 0; i < files.length; i += o.imagesPerTask) {
    tasks.push({
      job: o.job,
      images: files.slice(i, i + o.imagesPerTask).map((p, j) => ({ name: names[i + j]!, path: p })),
      model,
      ...(o.bboxPx ? { bboxPx: o.bboxPx } : {}),
      ...(o.stages !== undefined ? { stages: o.stages } : {}),
    });
  }
  const meta: JobMeta = {
    name: o.job,
    createdAt: new Date().toISOString(),
    createdBy: `${os.hostname()}: ${o.commandLine}`,
    images: files.length,
    tasks: tasks.length,
    imagesPerTask: o.imagesPerTask,
    model,
    ...(o.bboxPx ? { bboxPx: o.bboxPx } : {}),
    ...(o.stages !== undefined ? { stages: o.stages } : {}),
  };
  await createJobMeta(o.redis, meta, o.url);
  const queue = new Queue<TaskData>(QUEUE_NAME, { connection: o.redis, prefix: PREFIX });
  try {
    for (let i = 0; i < tasks.length; i += 500) {
      await queue.addBulk(tasks.slice(i, i + 500).map((data, j) => ({
        name: o.job,
        data,
        opts: {
          jobId: taskId(o.job, i + j),
          attempts: TASK_ATTEMPTS,
          backoff: { type: 'exponential', delay: TASK_BACKOFF_MS },
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })));
    }
  } finally {
    await queue.close();
  }
  return { meta };
}
