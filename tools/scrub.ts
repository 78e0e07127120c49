/** `deeppose scrub <file> -o clean.npz`: a copy of a checkpoint with NaN/±Inf replaced by 0, same keys. */
import type { Command } from 'commander';
import { writeFileAtomic } from '../core/write-atomic.js';
import { describeNonFinite, scrubCheckpoint } from '../model/checkpoint/rewrite.js';
import { action } from './action.js';
import { checkOutputPath } from './output-path.js';

export function registerScrub(program: Command): void {
  program
    .command('scrub')
    .description('write a cleaned checkpoint (same keys, dtypes and shapes) with every NaN/±Inf replaced by 0, and a report')
    .argument('<file>', 'checkpoint: epoch-N.model, snapshot_iter_N, *.npz, *.h5, *.chainermodel or *.pkl')
    .requiredOption('-o, --output <clean.npz>', 'where to write the cleaned npz')
    .option('--report <report.json>', 'also write the report as JSON')
    .option('-f, --force', 'replace outputs that exist')
    .action(action(async (file: string, opts: { output: string; report?: string; force?: boolean }) => {
      checkOutputPath(opts.output, [file], Boolean(opts.force));
      if (opts.report) checkOutputPath(opts.report, [file, opts.output], Boolean(opts.force));
      const r = await scrubCheckpoint(file, opts.output);
      const lines = describeNonFinite(r.replaced);
      process.stdout.write(
        `${file} → ${opts.output}: ${r.tensors} tensors, ${r.totalReplaced} non-finite values replaced by 0${lines.length ? `\n${lines.map((l) => `  ${l}`).join('\n')}` : ''}\n`,
      );
      if (opts.report) await writeFileAtomic(opts.report, [Buffer.from(`${JSON.stringify(r, null, 2)}\n`)]);
    }));
}
