/**
 * The worker loop: pulls tasks from the shared queue (BullMQ), checks the
 * model against the task's content hash, reads each image from shared
 * storage, runs PoseModel.predict and stores one result per image (first
 * writer wins). A worker killed mid-task loses its lock; after `lockMs`
 * another worker's stalled-task check (every `stalledMs`) puts the task
 * back and it runs again, skipping images that already have a result.
 * `close()` (SIGTERM) finishes the running tasks first.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { DeepPoseError } from '../../core/errors.js';
import type { PosePrediction } from '../../model/pose-model.js';
import type { PoolOptions } from '../../model/runtime/pool.js';
import { ModelMismatchError } from './errors.js';
import { modelMismatch } from './job-model.js';
import { PREFIX, QUEUE_NAME } from './keys.js';
import { ModelCache } from './model-cache.js';
import { beat, finishedImages, forgetWorker, readJobMeta, recordFailure, recordResult, recordWorkerStart } from './store.js';
import type { ImageFailure, JobMeta, TaskData, TaskImage } from './types.js';

/**
 * Production defaults. A task is a few images (≈ 0.1–1 s each on a small
 * CPU); the lock is renewed every lockMs / 2 while the task runs, so these
 * only decide how soon a killed worker's tasks run elsewhere.
 */
export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_STALLED_MS = 15_000;
/** A task whose worker died this many times is failed (its images listed with the reason), not retried forever. */
export const DEFAULT_MAX_STALLED = 2;
/** Heartbeat period in `deeppose:workers`. */
export const BEAT_MS = 5000;

export interface QueueWorkerOptions extends PoolOptions {
  /** A connection made with `reconnect: true` (maxRetriesPerRequest null, as BullMQ needs). */
  readonly redis: Redis;
  /** Tasks run at once (default 2: one decodes while the other infers). */
  readonly concurrency?: number;
  readonly lockMs?: number;
  readonly stalledMs?: number;
  readonly maxStalled?: number;
  readonly log: (line: string) => void;
}

export interface TaskSummary {
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled?: boolean;
}

export class QueueWorker {
  readonly id = `${os.hostname()}:${process.pid}`;
  private readonly worker: Worker<TaskData, TaskSummary>;
  private readonly models: ModelCache;
  private readonly metaCache = new Map<string, { at: number; meta: Promise<JobMeta | undefined> }>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly beatTimer: NodeJS.Timeout;
  private readonly startedAt = Date.now();
  private closing: Promise<void> | undefined;
  readonly totals = { done: 0, failed: 0 };

  constructor(private readonly o: QueueWorkerOptions) {
    this.models = new ModelCache({ workers: o.workers, threads: o.threads }, (l) => o.log(l));
    this.worker = new Worker<TaskData, TaskSummary>(QUEUE_NAME, (job) => this.process(job), {
      connection: o.redis,
      prefix: PREFIX,
      name: this.id,
      concurrency: o.concurrency ?? 2,
      lockDuration: o.lockMs ?? DEFAULT_LOCK_MS,
      stalledInterval: o.stalledMs ?? DEFAULT_STALLED_MS,
      maxStalledCount: o.maxStalled ?? DEFAULT_MAX_STALLED,
      autorun: false,
    });
    this.worker.on('failed', (job, err) => {
      if (job) this.track(this.onFailed(job, err));
    });
    // While Redis is away every connection reports the same error: one line per distinct message and minute.
    let lastError = { message: '', at: 0 };
    this.worker.on('error', (err) => {
      if (err.message === lastError.message && Date.now() - lastError.at < 60_000) return;
      lastError = { message: err.message, at: Date.now() };
      o.log(`queue error: ${err.message}`);
    });
    this.beatTimer = setInterval(() => this.track(this.beat()), BEAT_MS);
    this.beatTimer.unref();
  }

  /** Starts pulling tasks; resolves once the worker has stopped (after close()). */
  async run(): Promise<void> {
    await this.beat();
    await this.worker.run();
  }

  get concurrency(): number {
    return this.worker.concurrency;
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((err: Error) => this.o.log(`bookkeeping failed: ${err.message}`)).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private async beat(): Promise<void> {
    await beat(this.o.redis, { id: this.id, host: os.hostname(), pid: process.pid, concurrency: this.concurrency, startedAt: this.startedAt, seenAt: Date.now() });
  }

  private meta(job: string): Promise<JobMeta | undefined> {
    const c = this.metaCache.get(job);
    if (c && Date.now() - c.at < 1000) return c.meta;
    const meta = readJobMeta(this.o.redis, job);
    this.metaCache.set(job, { at: Date.now(), meta });
    return meta;
  }

  private failure(img: TaskImage, err: unknown): ImageFailure {
    const e = err as NodeJS.ErrnoException;
    let reason: string;
    let code: string;
    if (err instanceof DeepPoseError) {
      reason = err.message.startsWith(img.path) ? err.message : `${img.path}: ${err.message}`;
      code = err.code;
    } else if (typeof e?.code === 'string' && typeof e.path === 'string') {
      reason = `${img.path}: cannot read it on worker ${this.id} (${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'$/, '')}); images are read by path: is the shared storage mounted at the same path on every worker?`;
      code = e.code;
    } else {
      reason = (err as Error)?.message ?? String(err);
      code = 'E_INTERNAL';
    }
    return { image: img.name, path: img.path, reason, code, worker: this.id, at: Date.now() };
  }

  private async fail(job: string, f: ImageFailure): Promise<void> {
    if (await recordFailure(this.o.redis, job, f)) {
      this.totals.failed++;
      this.o.log(`${job}: ${f.image} failed: ${f.reason} [${f.code}]`);
    }
  }

  /** One task: images already finished are skipped, so a rerun after a crash adds nothing twice. */
  private async process(task: Job<TaskData, TaskSummary>): Promise<TaskSummary> {
    const d = task.data;
    const meta = await this.meta(d.job);
    // A job deleted from Redis, or cancelled: nothing to do (and nothing recorded under its name).
    if (!meta || meta.cancelledAt) return { done: 0, failed: 0, skipped: d.images.length, cancelled: true };
    const finished = await finishedImages(this.o.redis, d.job, d.images.map((i) => i.name));
    const todo = d.images.filter((_, i) => !finished[i]);
    if (todo.length === 0) return { done: 0, failed: 0, skipped: d.images.length };

    let model;
    try {
      model = await this.models.acquire(d.model);
    } catch (err) {
      return this.refuse(task, todo, `cannot load the job's model here: ${(err as Error).message}`);
    }
    try {
      const mismatch = modelMismatch(d.model, model.stageModels);
      if (mismatch) return await this.refuse(task, todo, mismatch);
      await recordWorkerStart(this.o.redis, d.job, this.id, Date.now());

      let failed = 0;
      const readable: { img: TaskImage; bytes: Uint8Array }[] = [];
      for (const img of todo) {
        try {
          readable.push({ img, bytes: new Uint8Array(await readFile(img.path)) });
        } catch (err) {
          failed++;
          await this.fail(d.job, this.failure(img, err));
        }
      }
      const request = (bytes: Uint8Array) => ({ image: bytes, bboxPx: d.bboxPx, stages: d.stages });
      let results: (PosePrediction | Error)[];
      try {
        results = await model.predict(readable.map((r) => request(r.bytes)));
      } catch {
        // Retry one by one to name the image at fault; errors other than the image's own end the attempt.
        results = [];
        for (const r of readable) {
          try {
            results.push((await model.predict([request(r.bytes)]))[0]!);
          } catch (err) {
            if (!(err instanceof DeepPoseError)) throw err;
            results.push(err);
          }
        }
      }
      let done = 0;
      for (const [i, r] of readable.entries()) {
        const p = results[i]!;
        if (p instanceof Error) {
          failed++;
          await this.fail(d.job, this.failure(r.img, p));
          continue;
        }
        const stored = await recordResult(this.o.redis, d.job, {
          image: r.img.name,
          path: r.img.path,
          jointsPx: p.jointsPx,
          boxPx: p.boxPx,
          cropBoxXyxy: p.cropBoxXyxy,
          imageSize: p.imageSize,
          stages: p.stagesRun,
          model: model.info.id,
          worker: this.id,
          finishedAt: Date.now(),
        });
        if (stored) done++;
      }
      this.totals.done += done;
      await task.updateProgress({ done, failed });
      // Every image of the task failed for its own reasons: the task fails too, with no retry.
      if (failed === todo.length) throw new UnrecoverableError(`all ${failed} image(s) of the task failed (reasons in the job's failure list)`);
      return { done, failed, skipped: d.images.length - todo.length };
    } finally {
      this.models.release(d.model);
    }
  }

  /** This worker cannot run the task: another worker may (BullMQ retries with back-off); on the last attempt the images fail with the reason. */
  private async refuse(task: Job<TaskData, TaskSummary>, todo: readonly TaskImage[], reason: string): Promise<never> {
    const last = task.attemptsMade + 1 >= (task.opts.attempts ?? 1);
    this.o.log(`${task.data.job}: refused task ${task.id}: ${reason}${last ? ' (last attempt: its images are failed)' : ''}`);
    if (last) {
      for (const img of todo) await this.fail(task.data.job, { image: img.name, path: img.path, reason, code: 'E_MODEL_MISMATCH', worker: this.id, at: Date.now() });
      throw new UnrecoverableError(reason);
    }
    throw new ModelMismatchError(reason);
  }

  /** A task failed for good (retries used up, or its worker died too often): its unfinished images are failed with the reason. */
  private async onFailed(task: Job<TaskData, TaskSummary>, err: Error): Promise<void> {
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || task.attemptsMade >= (task.opts.attempts ?? 1) || /stalled/i.test(err.message);
    if (!final || !task.data?.images) return;
    for (const img of task.data.images) {
      await this.fail(task.data.job, { image: img.name, path: img.path, reason: err.message, code: 'E_TASK_FAILED', worker: this.id, at: Date.now() });
    }
  }

  /** Stops taking tasks, finishes the running ones, closes the models. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.beatTimer);
      await this.worker.close();
      await Promise.all([...this.pending]);
      await this.models.close();
      await forgetWorker(this.o.redis, this.id).catch(() => undefined);
    })();
    return this.closing;
  }
}
