/** `deeppose convert <file> -o model.onnx`: a legacy checkpoint to an ONNX model with full metadata. */
import type { Command } from 'commander';
import { convertCheckpointToFile } from '../model/convert.js';
import type { ArchId } from '../model/arch/types.js';
import { action } from './action.js';
import { formatBytes } from './format.js';
import { parseArch, parseChoice, parseFloatIn, parseInt10, parseSkeleton } from './options.js';
import { checkOutputPath } from './output-path.js';

interface ConvertCliOptions {
  output: string;
  arch?: ArchId;
  prefix?: string;
  joints?: number;
  skeleton?: 'lsp14' | 'mpii16' | 'flic7';
  inputSize: number;
  channels: 'bgr' | 'rgb';
  nonfinite: 'refuse' | 'zero';
  stage: number;
  sigma?: number;
  force?: boolean;
  allowUnusedWeights?: boolean;
  bnStatistics: 'running' | 'batch';
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a legacy Chainer checkpoint (npz, trainer snapshot, HDF5, Chainer 1.x pickle) to ONNX; output y [N, 2K] is the raw regression')
    .argument('<file>', 'checkpoint: epoch-N.model, snapshot_iter_N, *.npz, *.h5, *.chainermodel or *.pkl')
    .requiredOption('-o, --output <model.onnx>', 'where to write the ONNX model (atomically)')
    .option('--arch <arch>', 'architecture family: alexnet | resnet50 (ResNet of any depth) | vgg16 (default: detected from keys and shapes)', parseArch)
    .option('--prefix <prefix>', 'key prefix of the model parameters, e.g. predictor/ (default: detected)')
    .option('--joints <K>', 'expected joint count (checked against the output layer)', parseInt10('--joints', 1, 1000))
    .option('--skeleton <id>', 'joint set: lsp14 | mpii16 | flic7 (default: by joint count)', parseSkeleton)
    .option('--input-size <px>', 'input side in pixels', parseInt10('--input-size', 16, 4096), 220)
    .option('--channels <order>', 'channel order the model was trained on: bgr (OpenCV, legacy) | rgb', parseChoice('--channels', ['bgr', 'rgb'] as const), 'bgr')
    .option('--nonfinite <policy>', 'NaN/Inf in weights: refuse | zero', parseChoice('--nonfinite', ['refuse', 'zero'] as const), 'refuse')
    .option('--stage <n>', 'cascade stage of this model (1 = person crop)', parseInt10('--stage', 1, 10), 1)
    .option('--sigma <s>', 'cascade stage ≥ 2: crop side as a multiple of the torso diameter', parseFloatIn('--sigma', 0.01, 10))
    .option('--bn-statistics <which>', 'batch normalisation: running (avg_mean/avg_var, inference) | batch (statistics of the batch being run, as the 2015 models\' own forward did)', parseChoice('--bn-statistics', ['running', 'batch'] as const), 'running')
    .option('--allow-unused-weights', 'convert even if weight tensors of the file are not used by the recognised architecture (recorded in the metadata)')
    .option('-f, --force', 'replace the output if it exists')
    .action(action(async (file: string, opts: ConvertCliOptions) => {
      checkOutputPath(opts.output, [file], Boolean(opts.force));
      if (opts.stage > 1 && opts.sigma === undefined) {
        throw new (await import('../core/errors.js')).InvalidArgumentError(`--sigma: required for a cascade stage ${opts.stage} model (crop side = sigma × torso diameter)`);
      }
      const t0 = performance.now();
      const r = await convertCheckpointToFile(file, opts.output, {
        arch: opts.arch, prefix: opts.prefix, joints: opts.joints, skeleton: opts.skeleton, inputSize: opts.inputSize,
        channels: opts.channels, nonfinite: opts.nonfinite, unusedWeights: opts.allowUnusedWeights ? 'allow' : 'refuse',
        bnStatistics: opts.bnStatistics, overwrite: Boolean(opts.force),
        cascade: opts.stage > 1 ? { stage: opts.stage, sigma: opts.sigma } : { stage: 1 },
      });
      const m = r.metadata;
      if (m.nonFinite.replaced > 0) {
        process.stderr.write(`deeppose convert: replaced ${m.nonFinite.replaced} non-finite values by 0 in ${m.nonFinite.tensors.map((t) => `${t.key} (${t.nan} NaN, ${t.posInf} +Inf, ${t.negInf} -Inf)`).join(', ')}\n`);
      }
      if (m.unusedWeights) {
        process.stderr.write(`deeppose convert: --allow-unused-weights: ${m.unusedWeights.keys.length} weight tensors left unused (recorded in the metadata)\n`);
      }
      process.stdout.write(
        `${file} → ${opts.output}: ${m.archTitle}, ${m.source.container} ${m.layout} layout,${m.bnStatistics ? ` batch norm on ${m.bnStatistics} statistics,` : ''} ${m.joints} joints${m.skeleton ? ` (${m.skeleton})` : ''}, ` +
          `input ${m.inputSize}×${m.inputSize} ${m.channels.toUpperCase()}, ${m.parameterCount.toLocaleString('en-US')} parameters, ` +
          `${formatBytes(r.bytes)}, ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
      );
    }));
}
