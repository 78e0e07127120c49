/**
 * `deeppose worker --queue URL [--concurrency N]`: runs tasks from the queue
 * until SIGTERM/SIGINT, then finishes the running tasks and exits 0. Any
 * number of workers on any number of machines may pull from one queue.
 */
import type { Command } from 'commander';
import { closeRedis, connectRedis } from '../app/queue/connection.js';
import { parseQueueUrl } from '../app/queue/url.js';
import { DEFAULT_LOCK_MS, DEFAULT_MAX_STALLED, DEFAULT_STALLED_MS, QueueWorker } from '../app/queue/worker.js';
import { planThreads } from '../model/runtime/pool.js';
import { action } from './action.js';
import { parseFloatIn, parseInt10 } from './options.js';

interface WorkerOptions {
  queue: string;
  concurrency: number;
  inferenceWorkers?: number;
  threads?: number;
  lockTimeout: number;
  stalledInterval: number;
  maxStalled: number;
  reportEvery: number;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run queued prediction tasks (from deeppose predict --queue) until SIGTERM; start one per machine or more')
    .requiredOption('--queue <url>', 'Redis holding the queue: redis://HOST:PORT[/DB]')
    .option('--concurrency <n>', 'tasks run at once by this worker', parseInt10('--concurrency', 1, 64), 2)
    .option('--inference-workers <n>', 'inference threads, each with its own model sessions (default 1)', parseInt10('--inference-workers', 1, 256))
    .option('--threads <n>', 'onnxruntime intra-op threads per inference thread (default: cores / inference workers)', parseInt10('--threads', 1, 256))
    .option('--lock-timeout <s>', 'seconds without a lock renewal before a task counts as stalled (its worker died) and is run elsewhere', parseFloatIn('--lock-timeout', 0.5, 3600), DEFAULT_LOCK_MS / 1000)
    .option('--stalled-interval <s>', 'seconds between this worker\'s checks for stalled tasks', parseFloatIn('--stalled-interval', 0.2, 3600), DEFAULT_STALLED_MS / 1000)
    .option('--max-stalled <n>', 'times a task may be recovered from a dead worker before it fails', parseInt10('--max-stalled', 0, 100), DEFAULT_MAX_STALLED)
    .option('--report-every <s>', 'seconds between progress lines while working', parseFloatIn('--report-every', 1, 86400), 30)
    .action(action(async (opts: WorkerOptions) => {
      const url = parseQueueUrl(opts.queue);
      // Thread settings the inference pool would refuse are refused now, not on every task.
      planThreads({ workers: opts.inferenceWorkers, threads: opts.threads });
      const log = (l: string) => process.stderr.write(`deeppose worker: ${l}\n`);
      const redis = await connectRedis(url, { reconnect: true, log, name: 'deeppose-worker' });
      const w = new QueueWorker({
        redis,
        concurrency: opts.concurrency,
        workers: opts.inferenceWorkers,
        threads: opts.threads,
        lockMs: Math.round(opts.lockTimeout * 1000),
        stalledMs: Math.round(opts.stalledInterval * 1000),
        maxStalled: opts.maxStalled,
        log,
      });
      const t0 = Date.now();
      let reported = -1;
      const report = setInterval(() => {
        const n = w.totals.done + w.totals.failed;
        if (n === reported) return;
        reported = n;
        log(`${w.totals.done} images done, ${w.totals.failed} failed, ${(w.totals.done / ((Date.now() - t0) / 1000)).toFixed(2)} images/s since start`);
      }, opts.reportEvery * 1000);
      report.unref();
      const stop = (signal: string) => {
        log(`${signal}: finishing the running tasks, taking no more`);
        void w.close();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      log(`${w.id} ready: queue ${url.display}, concurrency ${opts.concurrency}, lock timeout ${opts.lockTimeout} s, stalled check every ${opts.stalledInterval} s`);
      try {
        await w.run();
        await w.close();
      } finally {
        clearInterval(report);
        await closeRedis(redis);
      }
      log(`stopped: ${w.totals.done} images done, ${w.totals.failed} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }));
}
