/** `deeppose remap <file> -o out.npz --to bare|predictor`: re-key a checkpoint for Chainer's load_npz. */
import type { Command } from 'commander';
import { remapCheckpoint } from '../model/checkpoint/rewrite.js';
import type { ArchId } from '../model/arch/types.js';
import { action } from './action.js';
import { parseArch, parseChoice } from './options.js';
import { checkOutputPath } from './output-path.js';

export function registerRemap(program: Command): void {
  program
    .command('remap')
    .description('write an npz whose keys load straight into the plain model (--to bare) or the loss wrapper (--to predictor) with serializers.load_npz')
    .argument('<file>', 'checkpoint: epoch-N.model, snapshot_iter_N, *.npz, *.h5, *.chainermodel or *.pkl')
    .requiredOption('-o, --output <out.npz>', 'where to write the re-keyed npz')
    .requiredOption('--to <layout>', 'bare (conv1/W) | predictor (predictor/conv1/W)', parseChoice('--to', ['bare', 'predictor'] as const))
    .option('--prefix <prefix>', 'key prefix of the model parameters in the input (default: detected)')
    .option('--arch <arch>', 'architecture family: alexnet | resnet50 (any depth) | vgg16 (default: detected)', parseArch)
    .option('-f, --force', 'replace the output if it exists')
    .action(action(async (file: string, opts: { output: string; to: 'bare' | 'predictor'; prefix?: string; arch?: ArchId; force?: boolean }) => {
      checkOutputPath(opts.output, [file], Boolean(opts.force));
      const r = await remapCheckpoint(file, opts.output, opts.to, { prefix: opts.prefix, arch: opts.arch });
      process.stdout.write(
        `${file} (${r.fromLayout}, prefix ${r.fromPrefix || '(none)'}) → ${opts.output} (${opts.to}): ${r.written.length} entries written, ${r.dropped.length} dropped\n`,
      );
      const byReason = new Map<string, number>();
      for (const d of r.dropped) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
      for (const [reason, n] of byReason) process.stdout.write(`  dropped ${n} × ${reason}\n`);
    }));
}
