/**
 * `deeppose results --queue URL --job NAME [--out predictions.json] [--wait] [--cancel]`:
 * a queued job's progress (done / failed / waiting, images/s per worker),
 * its failed images with the reasons, and its predictions in the
 * interchange format that `deeppose eval --predictions` scores.
 */
import type { Command } from 'commander';
import { writeFileAtomic } from '../core/write-atomic.js';
import { serialisePoseFile } from '../eval/predictions-file.js';
import { closeRedis, connectRedis } from '../app/queue/connection.js';
import { UnknownJobError } from '../app/queue/errors.js';
import { checkJobName } from '../app/queue/keys.js';
import { cancelJob, isSettled, predictionsFile, progressLines } from '../app/queue/results.js';
import { readFailures, readJobMeta, readProgress, readResults, requireJobMeta } from '../app/queue/store.js';
import { parseQueueUrl } from '../app/queue/url.js';
import { action } from './action.js';
import { parseFloatIn } from './options.js';
import { checkOutputPath } from './output-path.js';
import { progressBar } from './progress.js';

interface ResultsOptions {
  queue: string;
  job: string;
  out?: string;
  force?: boolean;
  wait?: boolean;
  cancel?: boolean;
  interval: number;
}

const SHOWN_FAILURES = 20;

export function registerResults(program: Command): void {
  program
    .command('results')
    .description('progress, failures and predictions file of a queued job (deeppose predict --queue)')
    .requiredOption('--queue <url>', 'Redis holding the queue: redis://HOST:PORT[/DB]')
    .requiredOption('--job <name>', 'the job name given to deeppose predict --job')
    .option('--out <file>', 'write the predictions so far in the interchange format (deeppose eval --predictions)')
    .option('-f, --force', 'replace an existing --out file')
    .option('--wait', 'follow the job until every image is done or failed (reconnects if Redis restarts)')
    .option('--cancel', 'cancel the job: queued tasks are removed, running ones finish; results so far are kept')
    .option('--interval <s>', 'seconds between polls with --wait', parseFloatIn('--interval', 0.1, 3600), 1)
    .action(action(async (opts: ResultsOptions) => {
      const url = parseQueueUrl(opts.queue);
      checkJobName(opts.job);
      if (opts.out) checkOutputPath(opts.out, [], Boolean(opts.force));
      const log = (l: string) => process.stderr.write(`deeppose results: ${l}\n`);
      const redis = await connectRedis(url, { reconnect: Boolean(opts.wait), log, name: 'deeppose-results' });
      try {
        let meta = await requireJobMeta(redis, opts.job, url);
        if (opts.cancel) {
          const removed = await cancelJob(redis, meta);
          process.stdout.write(`job ${meta.name}: cancelled; ${removed} queued task(s) removed, running tasks finish their current images\n`);
          meta = (await readJobMeta(redis, opts.job)) ?? meta;
        }
        let p = await readProgress(redis, meta);
        if (opts.wait && !isSettled(p)) {
          // Said at once (a progress bar off a terminal prints only when it ends).
          log(`waiting for job ${meta.name} — ${p.done + p.failed}/${meta.images} images done or failed`);
          const bar = progressBar(`job ${meta.name}`, meta.images);
          let shown = p.done + p.failed;
          bar.tick(shown);
          while (!isSettled(p)) {
            await new Promise((r) => setTimeout(r, opts.interval * 1000));
            const m = await readJobMeta(redis, opts.job);
            if (!m) throw new UnknownJobError(`job ${opts.job}: gone from ${url.display} while waiting (deleted, or Redis restarted without persistence)`);
            p = await readProgress(redis, m);
            bar.tick(p.done + p.failed - shown);
            shown = p.done + p.failed;
          }
          bar.done();
        }
        for (const line of progressLines(p)) process.stdout.write(`${line}\n`);
        if (p.failed > 0) {
          const failures = (await readFailures(redis, opts.job)).sort((a, b) => (a.image < b.image ? -1 : 1));
          for (const f of failures.slice(0, SHOWN_FAILURES)) process.stdout.write(`  failed ${f.image}: ${f.reason} [${f.code}]\n`);
          if (failures.length > SHOWN_FAILURES) process.stdout.write(`  … and ${failures.length - SHOWN_FAILURES} more failed images\n`);
        }
        if (opts.out) {
          const results = await readResults(redis, opts.job);
          await writeFileAtomic(opts.out, serialisePoseFile(predictionsFile(p.meta, results)));
          process.stdout.write(`predictions of ${results.length} images → ${opts.out}${p.waiting > 0 ? ` (partial: ${p.waiting} still waiting)` : ''}\n`);
        }
        if (p.failed > 0) {
          process.stderr.write(`deeppose results: ${p.failed} of ${p.meta.images} images failed\n`);
          process.exitCode = 1;
        }
      } finally {
        await closeRedis(redis);
      }
    }));
}
