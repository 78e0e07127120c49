/**
 * The work queue's throughput: the same LSPET images through the embedded
 * default cascade, with 1 and then 2 `deeppose worker` processes (default
 * settings: 2 tasks at once, onnxruntime threads = cores) and with 2
 * workers at 1 thread each, on a throw-away redis-server on loopback
 * (Debian's; the test helper starts it). Each configuration first runs a
 * warm-up job (models loaded), then times one job from enqueue to the last
 * result: images/s = images / seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRedis, connectRedis } from '../app/queue/connection.js';
import { enqueueJob } from '../app/queue/enqueue.js';
import { keys } from '../app/queue/keys.js';
import { parseQueueUrl } from '../app/queue/url.js';
import { startRedis } from '../test/helpers/redis.js';
import { REPO, SHARED, hasShared, writeResult } from './common.js';

const CLI = path.join(REPO, 'dist', 'tools', 'cli.js');

function imageFiles(n: number): { files: string[]; source: string } {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, n).map((f) => path.join(dir, f));
  return { files, source: `${files.length} LSPET images (${hasShared() ? 'shared dataset' : 'test fixtures'})` };
}

export async function benchQueue(): Promise<Record<string, unknown>> {
  const { files, source } = imageFiles(hasShared() ? 240 : 32);
  const redis = await startRedis();
  const cache = mkdtempSync(path.join(os.tmpdir(), 'deeppose-bench-queue-'));
  process.env.DEEPPOSE_CACHE_DIR = cache;
  const url = parseQueueUrl(redis.url);
  const client = await connectRedis(url, { reconnect: false });
  const children: ChildProcess[] = [];
  let jobNo = 0;
  const runJob = async (list: readonly string[], batch: number): Promise<number> => {
    const job = `bench-${++jobNo}`;
    const t0 = performance.now();
    await enqueueJob({ redis: client, url, job, files: list, imagesPerTask: batch, commandLine: 'npm run bench -- queue' });
    for (;;) {
      const done = (await client.hlen(keys.results(job))) + (await client.hlen(keys.failed(job)));
      if (done >= list.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if ((await client.hlen(keys.failed(job))) > 0) throw new Error(`${job}: images failed: ${JSON.stringify(await client.hgetall(keys.failed(job)))}`);
    return (performance.now() - t0) / 1000;
  };
  const configs: { workers: number; extra: string[]; label: string }[] = [
    { workers: 1, extra: [], label: '1 worker process (concurrency 2, threads = cores)' },
    { workers: 2, extra: [], label: '2 worker processes (each concurrency 2, threads = cores)' },
    { workers: 2, extra: ['--threads', '1'], label: '2 worker processes (each concurrency 2, --threads 1)' },
  ];
  const batch = 4;
  const out: Record<string, unknown>[] = [];
  const loadAverageAtStart = os.loadavg().map((v) => +v.toFixed(2));
  try {
    for (const c of configs) {
      const procs = Array.from({ length: c.workers }, () => {
        const child = spawn(process.execPath, [CLI, 'worker', '--queue', redis.url, ...c.extra], { env: { ...process.env, DEEPPOSE_CACHE_DIR: cache }, stdio: ['ignore', 'ignore', 'inherit'] });
        children.push(child);
        return child;
      });
      // Warm-up, untimed: the model is converted into the cache (first time) and loaded by every worker.
      await runJob(files.slice(0, 4 * c.workers * batch), batch);
      const seconds = await runJob(files, batch);
      out.push({ config: c.label, workerProcesses: c.workers, images: files.length, imagesPerTask: batch, seconds: +seconds.toFixed(2), imagesPerSecond: +(files.length / seconds).toFixed(1) });
      process.stderr.write(`queue: ${c.label}: ${files.length} images in ${seconds.toFixed(2)} s = ${(files.length / seconds).toFixed(1)} images/s\n`);
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.on('exit', r)))));
    }
  } finally {
    for (const p of children) if (p.exitCode === null) p.kill('SIGKILL');
    await closeRedis(client);
    await redis.dispose();
    rmSync(cache, { recursive: true, force: true });
  }
  const result = {
    description: 'deeppose predict --queue + deeppose worker processes on one machine: images/s from enqueue to the last result (embedded default cascade, 2 stages), throw-away redis-server on loopback',
    images: source,
    note: 'measured on the shared 2-core development machine while other developers were building and testing: absolute numbers are noisy; on 2 cores a second worker process competes for the same cores, so the queue buys throughput only with more machines (or cores)',
    loadAverage1m5m15m: { atStart: loadAverageAtStart, atEnd: os.loadavg().map((v) => +v.toFixed(2)) },
    runs: out,
  };
  await writeResult('queue', result);
  return result;
}
