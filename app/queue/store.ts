/**
 * The job records in Redis: description, results keyed by image (first
 * writer wins, so a task that runs twice never makes a second result),
 * per-image failures, per-worker counters, worker heartbeats.
 */
import type { Redis } from 'ioredis';
import { JobExistsError, UnknownJobError } from './errors.js';
import { keys } from './keys.js';
import type { ImageFailure, ImageResult, JobMeta, WorkerBeat } from './types.js';
import type { QueueUrl } from './url.js';

/** Stores a result unless the image already has one; returns whether it was stored. */
const RECORD_RESULT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[3], ARGV[3] .. '|n', 1)
  redis.call('HSET', KEYS[3], ARGV[3] .. '|last', ARGV[4])
  return 1
end
return 0`;

/** Stores a failure unless the image has a result or a failure already. */
const RECORD_FAILURE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])`;

/** Creates the job's description; refuses a name already taken. */
export async function createJobMeta(redis: Redis, meta: JobMeta, url: QueueUrl): Promise<void> {
  const ok = await redis.set(keys.meta(meta.name), JSON.stringify(meta), 'NX');
  if (ok !== 'OK') {
    const old = await readJobMeta(redis, meta.name);
    throw new JobExistsError(`job ${meta.name}: already on ${url.display} (${old?.images ?? '?'} images, created ${old?.createdAt ?? '?'}); choose another --job name`);
  }
  await redis.sadd(keys.jobs, meta.name);
}

export async function readJobMeta(redis: Redis, job: string): Promise<JobMeta | undefined> {
  const text = await redis.get(keys.meta(job));
  return text === null ? undefined : (JSON.parse(text) as JobMeta);
}

/** The job's description, or `E_JOB_NOT_FOUND` naming the jobs that do exist. */
export async function requireJobMeta(redis: Redis, job: string, url: QueueUrl): Promise<JobMeta> {
  const meta = await readJobMeta(redis, job);
  if (meta) return meta;
  const names = (await redis.smembers(keys.jobs)).sort();
  const known = names.length === 0 ? 'there are no jobs there' : `jobs there: ${names.slice(0, 10).join(', ')}${names.length > 10 ? `, … (${names.length})` : ''}`;
  throw new UnknownJobError(`job ${job}: no such job on ${url.display} (${known})`);
}

export async function markCancelled(redis: Redis, meta: JobMeta): Promise<JobMeta> {
  const next: JobMeta = { ...meta, cancelledAt: meta.cancelledAt ?? new Date().toISOString() };
  await redis.set(keys.meta(meta.name), JSON.stringify(next));
  return next;
}

export async function recordResult(redis: Redis, job: string, r: ImageResult): Promise<boolean> {
  const stored = await redis.eval(RECORD_RESULT, 3, keys.results(job), keys.failed(job), keys.stats(job), r.image, JSON.stringify(r), r.worker, String(r.finishedAt));
  return stored === 1;
}

export async function recordFailure(redis: Redis, job: string, f: ImageFailure): Promise<boolean> {
  const stored = await redis.eval(RECORD_FAILURE, 2, keys.results(job), keys.failed(job), f.image, JSON.stringify(f));
  return stored === 1;
}

/** Marks when `worker` started on `job` (first task only). */
export async function recordWorkerStart(redis: Redis, job: string, worker: string, atMs: number): Promise<void> {
  await redis.hsetnx(keys.stats(job), `${worker}|first`, String(atMs));
}

/** For each image name: already finished (a result or a failure)? */
export async function finishedImages(redis: Redis, job: string, names: readonly string[]): Promise<boolean[]> {
  const p = redis.pipeline();
  for (const n of names) {
    p.hexists(keys.results(job), n);
    p.hexists(keys.failed(job), n);
  }
  const r = (await p.exec()) ?? [];
  return names.map((_, i) => r[2 * i]?.[1] === 1 || r[2 * i + 1]?.[1] === 1);
}

export interface WorkerRate {
  readonly worker: string;
  readonly images: number;
  /** Images per second from its first task's start to its last result. */
  readonly imagesPerSecond: number | null;
}

export interface JobProgress {
  readonly meta: JobMeta;
  readonly done: number;
  readonly failed: number;
  /** Neither done nor failed (queued or running). */
  readonly waiting: number;
  readonly workers: readonly WorkerRate[];
}

export async function readProgress(redis: Redis, meta: JobMeta): Promise<JobProgress> {
  const [done, failed, stats] = await Promise.all([redis.hlen(keys.results(meta.name)), redis.hlen(keys.failed(meta.name)), redis.hgetall(keys.stats(meta.name))]);
  const byWorker = new Map<string, { n: number; first?: number; last?: number }>();
  for (const [field, value] of Object.entries(stats)) {
    const cut = field.lastIndexOf('|');
    const w = field.slice(0, cut);
    const e = byWorker.get(w) ?? { n: 0 };
    const kind = field.slice(cut + 1);
    if (kind === 'n') e.n = Number(value);
    else if (kind === 'first') e.first = Number(value);
    else if (kind === 'last') e.last = Number(value);
    byWorker.set(w, e);
  }
  const workers = [...byWorker].filter(([, e]) => e.n > 0).map(([worker, e]) => ({
    worker,
    images: e.n,
    imagesPerSecond: e.first !== undefined && e.last !== undefined && e.last > e.first ? e.n / ((e.last - e.first) / 1000) : null,
  })).sort((a, b) => a.worker.localeCompare(b.worker));
  return { meta, done, failed, waiting: Math.max(0, meta.images - done - failed), workers };
}

async function scanHash<T>(redis: Redis, key: string): Promise<T[]> {
  const out: T[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 1000);
    for (let i = 1; i < flat.length; i += 2) out.push(JSON.parse(flat[i]!) as T);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

export function readResults(redis: Redis, job: string): Promise<ImageResult[]> {
  return scanHash<ImageResult>(redis, keys.results(job));
}

export function readFailures(redis: Redis, job: string): Promise<ImageFailure[]> {
  return scanHash<ImageFailure>(redis, keys.failed(job));
}

export async function beat(redis: Redis, b: WorkerBeat): Promise<void> {
  await redis.hset(keys.workers, b.id, JSON.stringify(b));
}

export async function forgetWorker(redis: Redis, id: string): Promise<void> {
  await redis.hdel(keys.workers, id);
}

/** Workers whose heartbeat is at most `withinMs` old. */
export async function liveWorkers(redis: Redis, withinMs: number, nowMs = Date.now()): Promise<WorkerBeat[]> {
  const all = Object.values(await redis.hgetall(keys.workers)).map((v) => JSON.parse(v) as WorkerBeat);
  return all.filter((w) => nowMs - w.seenAt <= withinMs).sort((a, b) => a.id.localeCompare(b.id));
}
