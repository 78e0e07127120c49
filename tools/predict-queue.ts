/**
 * `deeppose predict --queue URL --job NAME [--model M] [--bbox x,y,w,h] [--stages N] [--batch N] <images|dirs>…`:
 * enqueues the images as tasks of `--batch` images for `deeppose worker`s and
 * returns at once; `deeppose results` follows the job and writes its predictions.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { closeRedis, connectRedis } from '../app/queue/connection.js';
import { enqueueJob } from '../app/queue/enqueue.js';
import { checkJobName } from '../app/queue/keys.js';
import { parseQueueUrl } from '../app/queue/url.js';

export interface QueuePredictOptions {
  queue?: string;
  job?: string;
  model?: string[];
  bbox?: [number, number, number, number];
  stages?: number;
  batch: number;
  out?: string;
  json?: boolean;
  contactSheet?: string;
  labels?: boolean;
}

export async function enqueuePredict(files: string[], opts: QueuePredictOptions): Promise<void> {
  if (!opts.queue || !opts.job) throw new InvalidArgumentError(`${opts.queue ? '--queue' : '--job'} needs ${opts.queue ? '--job NAME' : '--queue redis://HOST:PORT[/DB]'} too`);
  const local: [string, unknown][] = [['--out', opts.out], ['--json', opts.json], ['--contact-sheet', opts.contactSheet], ['--labels', opts.labels]];
  for (const [flag, value] of local) {
    if (value) throw new InvalidArgumentError(`${flag} does not go with --queue: workers store the results in Redis; write them with deeppose results --queue URL --job NAME --out predictions.json`);
  }
  const url = parseQueueUrl(opts.queue);
  checkJobName(opts.job);
  const redis = await connectRedis(url, { reconnect: false, name: 'deeppose-predict' });
  try {
    const { meta } = await enqueueJob({
      redis,
      url,
      job: opts.job,
      files,
      model: opts.model,
      bboxPx: opts.bbox,
      stages: opts.stages,
      imagesPerTask: opts.batch,
      commandLine: ['deeppose', ...process.argv.slice(2)].join(' '),
      log: (l) => process.stderr.write(`deeppose predict: ${l}\n`),
    });
    process.stdout.write(
      `job ${meta.name}: ${meta.images} images in ${meta.tasks} tasks of up to ${meta.imagesPerTask} queued on ${url.display} (model ${meta.model.id})\n` +
        `follow it with: deeppose results --queue ${url.display} --job ${meta.name} --out predictions.json --wait\n`,
    );
  } finally {
    await closeRedis(redis);
  }
}
