/**
 * The reading side: a job's progress in words, its results as the
 * interchange predictions file that `deeppose eval --predictions` scores,
 * and cancelling a job.
 */
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { PoseFile } from '../../eval/predictions-file.js';
import { PREFIX, QUEUE_NAME, taskId } from './keys.js';
import { markCancelled, type JobProgress } from './store.js';
import type { ImageResult, JobMeta } from './types.js';

/** Predictions in the interchange format, images sorted by name (`visible` is all true: it matters in ground truth only). */
export function predictionsFile(meta: JobMeta, results: readonly ImageResult[]): PoseFile {
  return {
    skeleton: meta.model.skeleton,
    images: [...results].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0)).map((r) => ({
      image: r.image,
      joints: r.jointsPx.map((p) => [p[0], p[1]] as [number, number]),
      visible: r.jointsPx.map(() => true),
    })),
  };
}

/** `job NAME: 120 images: 80 done, 2 failed, 38 waiting` and one line per worker with its rate. */
export function progressLines(p: JobProgress): string[] {
  const m = p.meta;
  const lines = [
    `job ${m.name}: ${m.images} images: ${p.done} done, ${p.failed} failed, ${p.waiting} waiting${m.cancelledAt ? ` (cancelled ${m.cancelledAt})` : ''}; model ${m.model.id}`,
  ];
  for (const w of p.workers) {
    lines.push(`  worker ${w.worker}: ${w.images} images${w.imagesPerSecond === null ? '' : `, ${w.imagesPerSecond.toFixed(2)} images/s`}`);
  }
  return lines;
}

/** Finished: every image done or failed, or cancelled. */
export function isSettled(p: JobProgress): boolean {
  return p.waiting === 0 || Boolean(p.meta.cancelledAt);
}

/** Marks the job cancelled (workers skip its tasks) and removes its queued tasks; returns how many were removed. */
export async function cancelJob(redis: Redis, meta: JobMeta): Promise<number> {
  await markCancelled(redis, meta);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: PREFIX });
  let removed = 0;
  try {
    for (let i = 0; i < meta.tasks; i += 200) {
      const ids = Array.from({ length: Math.min(200, meta.tasks - i) }, (_, j) => taskId(meta.name, i + j));
      // remove() refuses a task a worker holds (1 = removed, 0 = locked or gone); running ones just finish.
      const r = await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
      removed += r.filter((x) => x === 1).length;
    }
  } finally {
    await queue.close();
  }
  return removed;
}
