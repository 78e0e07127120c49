/** `deeppose inspect <file> [--json]`: what a legacy checkpoint holds and how it would convert. */
import type { Command } from 'commander';
import { formatShape } from '../core/errors.js';
import { inspectCheckpoint, type InspectReport } from '../model/checkpoint/inspect.js';
import type { ArchId } from '../model/arch/types.js';
import { action } from './action.js';
import { formatBytes, table } from './format.js';
import { parseArch, parseInt10 } from './options.js';
import { formatModelInspect, isModelSpec } from './inspect-model.js';
import { resolveStageModels } from '../model/model-source.js';

const LAYOUT_TEXT: Record<string, string> = {
  bare: 'bare model (conv1/W …), serializers.save_npz(model)',
  predictor: 'loss wrapper (predictor/conv1/W …), the legacy epoch-N.model',
  snapshot: 'trainer snapshot (updater/model:main/… beside optimizer, iterator and extension state)',
  'optimizer-state': 'optimizer state only (Adam/SGD moments, no weights)',
};

export function formatInspect(r: InspectReport): string {
  const out: string[] = [];
  out.push(`file       ${r.file}`);
  const container = r.container === 'npz' ? 'npz (zip of .npy)' : r.container === 'hdf5' ? 'HDF5' : `Chainer 1.x pickle of ${r.pickledClass ?? 'an object'} (read safely: nothing executed)`;
  out.push(`container  ${container}, ${formatBytes(r.fileBytes)}, sha256 ${r.sha256}`);
  const layoutText = r.container === 'pickle' && r.layout === 'bare' ? 'the pickled model\'s layers and attributes (conv1/W …), cPickle.dump(model)' : r.layout ? LAYOUT_TEXT[r.layout] : 'unknown';
  out.push(`layout     ${layoutText}${r.prefix ? `; model prefix ${r.prefix}` : ''}`);
  if (r.arch) {
    const widths = Object.entries(r.arch.widths).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`arch       ${r.arch.title}: ${widths}`);
    out.push(`joints     ${r.joints} (${r.joints! * 2} outputs)${r.skeleton ? `, skeleton ${r.skeleton}` : ', no built-in skeleton has this joint count'}`);
    out.push(`params     ${r.arch.parameterCount.toLocaleString('en-US')}`);
    if (r.bnStatistics) out.push(`batch norm ${r.bnStatistics.length} layers; convert uses running statistics unless --bn-statistics batch`);
  } else {
    out.push('arch       not recognised (see problem below)');
  }
  out.push('');
  out.push(`tensors (${r.tensors.length})`);
  out.push(table(
    ['key', 'dtype', 'shape', 'bytes', 'compression', 'NaN', '+Inf', '-Inf', 'feeds'],
    r.tensors.map((t) => [
      t.key, t.dtype, formatShape(t.shape), String(t.bytes), t.compression,
      ...(t.loaded ? [String(t.nan), String(t.posInf), String(t.negInf)] : ['-', '-', '-']), t.parameter ?? '-',
    ]),
  ));
  if (r.unused.length > 0 && !r.problem) {
    out.push('');
    out.push(`unused keys (${r.unused.length}): not needed for inference, left out of a conversion`);
    const byReason = new Map<string, string[]>();
    for (const u of r.unused) {
      const list = byReason.get(u.reason);
      if (list) list.push(u.key);
      else byReason.set(u.reason, [u.key]);
    }
    for (const [reason, keys] of byReason) {
      out.push(`  ${reason} (${keys.length}):`);
      for (const k of keys) out.push(`    ${k}`);
    }
  }
  const bad = r.tensors.filter((t) => t.nan + t.posInf + t.negInf > 0);
  if (bad.length > 0) {
    out.push('');
    out.push(`non-finite values in ${bad.length} tensor(s): convert refuses them unless --nonfinite zero; \`deeppose scrub\` writes a cleaned copy`);
  }
  return out.join('\n');
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show what a legacy Chainer checkpoint (npz, trainer snapshot, HDF5, Chainer 1.x pickle) holds and how it maps onto the model')
    .argument('<file>', 'checkpoint: epoch-N.model, snapshot_iter_N, *.npz, *.h5, *.chainermodel or *.pkl')
    .option('--json', 'print the report as JSON')
    .option('--prefix <prefix>', 'key prefix of the model parameters (default: detected)')
    .option('--arch <arch>', 'architecture family: alexnet | resnet50 (any depth) | vgg16 (default: detected)', parseArch)
    .option('--input-size <px>', 'input side in pixels, for the shape checks', parseInt10('--input-size', 16, 4096), 220)
    .action(action(async (file: string, opts: { json?: boolean; prefix?: string; arch?: 'alexnet' | 'resnet50'; inputSize: number }) => {
      if (isModelSpec(file)) {
        // A converted model or cascade (e.g. from deeppose quantize): its metadata.
        const stages = await resolveStageModels([file], (l) => process.stderr.write(`deeppose inspect: ${l}\n`));
        process.stdout.write(opts.json ? `${JSON.stringify(stages.map((st) => ({ onnx: st.onnxPath, metadata: st.metadata })), null, 2)}\n` : `${formatModelInspect(file, stages)}\n`);
        return;
      }
      const report = await inspectCheckpoint(file, { prefix: opts.prefix, arch: opts.arch, inputSize: opts.inputSize });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspect(report)}\n`);
      if (report.problem) {
        process.stderr.write(`deeppose inspect: ${report.problem.message} [${report.problem.code}]\n`);
        process.exitCode = 1;
      }
    }));
}
