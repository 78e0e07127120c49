/** `deeppose composites`: a dataset of people pasted into other scenes (data/composite-set.ts), for finding the person without a box. */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { openDataset } from '../data/dataset.js';
import { buildCompositeSet } from '../data/composite-set.js';
import { action } from './action.js';
import { OutputPathError } from './output-path.js';
import { parseFloatIn, parseInt10 } from './options.js';
import { progressBar } from './progress.js';

interface CompositesOptions { dataset: string; people: string; scenes: string; count: number; seed: number; name: string; minFraction: number; maxFraction: number; out: string; force?: boolean }

export function registerComposites(program: Command): void {
  program
    .command('composites')
    .description('write a dataset of people pasted at 30–60 % of the frame into other scenes (joints moved with them), to train and judge finding the person without a box')
    .requiredOption('--dataset <dir>', 'source dataset directory')
    .requiredOption('--people <split>', 'split whose people are pasted (e.g. legacy-test to judge, legacy-train to train)')
    .requiredOption('--scenes <split>', 'split whose images give the scenes (e.g. legacy-train)')
    .option('--count <n>', 'composites to write', parseInt10('--count', 1, 1_000_000), 1000)
    .option('--seed <n>', 'seed for scenes, sizes, places and blur', parseInt10('--seed', 0, 2 ** 31 - 1), 1)
    .option('--name <split>', 'split name of the written set', 'composites')
    .option('--min-fraction <f>', "smallest share of the frame's longer side the person's joint box takes", parseFloatIn('--min-fraction', 0.05, 1), 0.3)
    .option('--max-fraction <f>', 'largest share', parseFloatIn('--max-fraction', 0.05, 1), 0.6)
    .requiredOption('--out <dir>', 'output dataset directory (images/, splits/<name>.csv, composites.json)')
    .option('-f, --force', 'write into a directory that already holds a dataset')
    .action(action(async (opts: CompositesOptions) => {
      if (opts.minFraction > opts.maxFraction) throw invalidArgument('--min-fraction', `at most --max-fraction (${opts.maxFraction})`, opts.minFraction);
      if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && !opts.force) throw new OutputPathError(`${opts.out}: is not empty (pass --force to write into it)`);
      const [people, scenes] = await Promise.all([openDataset(opts.dataset, opts.people), openDataset(opts.dataset, opts.scenes)]);
      const bar = progressBar('composites', opts.count);
      try {
        await buildCompositeSet(people, scenes, opts.out, { count: opts.count, seed: opts.seed, name: opts.name, fraction: [opts.minFraction, opts.maxFraction], onProgress: () => bar.tick() });
      } finally {
        bar.done();
      }
      process.stdout.write(`${opts.count} composites of ${opts.people} people in ${opts.scenes} scenes → ${path.join(opts.out, 'splits', `${opts.name}.csv`)} (open with --dataset ${opts.out} --split ${opts.name})\n`);
    }));
}
