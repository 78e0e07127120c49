/**
 * The legacy DeepPose AlexNet family (mitmul/deeppose `models/AlexNet.py`
 * and the 2015 FunctionSet models `AlexNet_flic`, `AlexNet_lsp`,
 * `AlexNet_mpii`, `AlexNet_flic_BN`, `AlexNet_flic_BN_PReLU`):
 *
 *   conv1 11×11/4 pad 1 → [bn1] → act → max pool 3/2 (cover_all) → LRN
 *   conv2 5×5 pad 2     → [bn2] → act → max pool 3/2 (cover_all) → LRN
 *   conv3, conv4, conv5 3×3 pad 1, each → act; max pool 3/2 (cover_all)
 *   fc6 → act → dropout, fc7 → act → dropout, head (fc8, pred, …) → 2K
 *
 * `act` is ReLU, or PReLU where the file has `preluN` (1…5 after the
 * convolutions, 6 and 7 after fc6 and fc7). Widths, kernel sizes and the
 * optional layers come from the file; strides and pads are the topology's.
 * Dropout is the identity at inference.
 */
import { formatShape } from '../../core/errors.js';
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { batchNorm, bnParams, checkBn, checkPrelu, conv, findHead, hasBn, linear, maxPool, prelu, sizeOf } from './parts.js';
import { batchNormCountIgnorable, checkLinear, checkRegressionOutputs, expectShape, shapeOf } from './shape-check.js';
import { convOut, poolOutCoverAll, type ArchDescription, type Architecture, type BuildOptions, type Params } from './types.js';

const CONVS = [
  { name: 'conv1', stride: 4, pad: 1, bn: 'bn1', act: 'prelu1' },
  { name: 'conv2', stride: 1, pad: 2, bn: 'bn2', act: 'prelu2' },
  { name: 'conv3', stride: 1, pad: 1, bn: undefined, act: 'prelu3' },
  { name: 'conv4', stride: 1, pad: 1, bn: undefined, act: 'prelu4' },
  { name: 'conv5', stride: 1, pad: 1, bn: undefined, act: 'prelu5' },
] as const;
/** Convolutions followed by max pooling (and LRN for the first two). */
const POOL_AFTER = new Set(['conv1', 'conv2', 'conv5']);
const LRN_AFTER = new Set(['conv1', 'conv2']);
const HIDDEN = [
  { name: 'fc6', act: 'prelu6' },
  { name: 'fc7', act: 'prelu7' },
] as const;

/** Chainer's LRN defaults in ONNX terms (ONNX divides alpha by size; Chainer does not). */
export const CHAINER_LRN = { size: 5, alpha: 1e-4 * 5, beta: 0.75, bias: 2 } as const;

/** The layers this file's AlexNet has: optional BN and PReLU, and the head's name. */
interface Plan {
  readonly bn: ReadonlySet<string>;
  readonly prelu: ReadonlySet<string>;
  readonly head: string;
  readonly params: readonly string[];
}

function planOf(names: ReadonlySet<string>): Plan {
  const bn = new Set(CONVS.flatMap((c) => (c.bn && hasBn(c.bn, names) ? [c.bn] : [])));
  const prelu = new Set([...CONVS, ...HIDDEN].flatMap((c) => (names.has(`${c.act}/W`) ? [c.act] : [])));
  const body = new Set<string>([...CONVS.map((c) => c.name), ...HIDDEN.map((h) => h.name), ...bn, ...prelu]);
  const head = findHead(names, body) ?? 'fc8';
  const params: string[] = [];
  for (const c of CONVS) {
    params.push(`${c.name}/W`, `${c.name}/b`);
    if (c.bn && bn.has(c.bn)) params.push(...bnParams(c.bn, names));
    if (prelu.has(c.act)) params.push(`${c.act}/W`);
  }
  for (const h of HIDDEN) {
    params.push(`${h.name}/W`, `${h.name}/b`);
    if (prelu.has(h.act)) params.push(`${h.act}/W`);
  }
  params.push(`${head}/W`, `${head}/b`);
  return { bn, prelu, head, params };
}

function titleOf(plan: Plan): string {
  const extras = [plan.bn.size ? 'batch norm' : '', plan.prelu.size ? 'PReLU' : ''].filter(Boolean);
  return `AlexNet (legacy DeepPose${extras.length ? `, ${extras.join(', ')}` : ''})`;
}

export const alexnet: Architecture = {
  id: 'alexnet',
  title: 'AlexNet (legacy DeepPose)',

  matches(names) {
    const hits = ['conv1/W', 'conv5/W', 'fc6/W', 'fc7/W'].filter((n) => names.has(n)).length;
    return hits >= 2 && !names.has('conv6/W') && !names.has('conv1_1/W') && ![...names].some((n) => n.startsWith('res2/'));
  },

  required: (names) => planOf(names).params,

  ignorable: batchNormCountIgnorable(),

  describe(shapes, inputSize) {
    const plan = planOf(new Set(shapes.keys()));
    const widths: Record<string, number> = {};
    let channels = 3;
    let size = inputSize;
    let sizeTrace = `${inputSize}`;
    for (const [i, c] of CONVS.entries()) {
      const w = shapeOf(shapes, `${c.name}/W`, 4, 'convolution weight (out, in, kh, kw)');
      const [out, cin, kh, kw] = w as [number, number, number, number];
      if (cin !== channels) {
        const prev = i === 0 ? 'the 3-channel input image' : `${CONVS[i - 1]!.name} output (${channels} channels)`;
        throw new ShapeMismatchError(`${c.name}/W: expected ${out}×${channels}×${kh}×${kw} to match ${prev}, found ${formatShape(w)}`);
      }
      if (kh !== kw) throw new ShapeMismatchError(`${c.name}/W: expected a square kernel, found ${formatShape(w)}`);
      expectShape(shapes, `${c.name}/b`, [out], `(one bias per ${c.name} output channel)`);
      if (c.bn && plan.bn.has(c.bn)) checkBn(shapes, c.bn, out, `${c.name} output`);
      if (plan.prelu.has(c.act)) checkPrelu(shapes, c.act, out, `${c.name} output`);
      size = convOut(size, kh, c.stride, c.pad);
      if (POOL_AFTER.has(c.name)) size = poolOutCoverAll(size, 3, 2, 0);
      if (size < 1) {
        throw new ShapeMismatchError(`${c.name}/W: a ${kh}×${kw} kernel leaves no output at input size ${inputSize} (${sizeTrace} → ${size})`);
      }
      sizeTrace += ` → ${size}`;
      widths[c.name] = out;
      channels = out;
    }
    let inFeatures = channels * size * size;
    let prevName = `conv5 output ${channels}×${size}×${size}`;
    for (const f of [...HIDDEN.map((h) => h.name), plan.head]) {
      const out = checkLinear(shapes, f, inFeatures, prevName);
      const act = HIDDEN.find((h) => h.name === f)?.act;
      if (act && plan.prelu.has(act)) checkPrelu(shapes, act, out, `${f} output`);
      widths[f] = out;
      inFeatures = out;
      prevName = `${f} output (${out})`;
    }
    const outputs = widths[plan.head]!;
    checkRegressionOutputs(plan.head, outputs);
    let count = 0;
    for (const p of plan.params) if (!p.endsWith('/eps')) count += sizeOf(shapes.get(p)!);
    return {
      arch: 'alexnet', title: titleOf(plan), widths, joints: outputs / 2, parameterCount: count, params: plan.params,
      ...(plan.bn.size ? { batchNorm: [...plan.bn] } : {}),
    };
  },

  build(g: GraphBuilder, params: Params, _desc: ArchDescription, input: string, options: BuildOptions = {}) {
    const plan = planOf(new Set(params.keys()));
    const act = (h: string, name: string, rank: 2 | 4, stem: string) => (plan.prelu.has(name) ? prelu(g, params, h, name, rank) : g.op('Relu', [h], {}, stem));
    let h = input;
    for (const c of CONVS) {
      h = conv(g, params, h, c.name, c.stride, c.pad);
      if (c.bn && plan.bn.has(c.bn)) h = batchNorm(g, params, h, c.bn, options.bnStatistics ?? 'running');
      h = act(h, c.act, 4, `${c.name}_relu`);
      if (POOL_AFTER.has(c.name)) h = maxPool(g, h, 3, 2, `${c.name}_pool`);
      if (LRN_AFTER.has(c.name)) {
        h = g.op('LRN', [h], { size: CHAINER_LRN.size, alpha: CHAINER_LRN.alpha, beta: CHAINER_LRN.beta, bias: { float: CHAINER_LRN.bias } }, `${c.name}_lrn`);
      }
    }
    h = g.op('Flatten', [h], { axis: 1 }, 'flatten');
    for (const f of HIDDEN) h = act(linear(g, params, h, f.name), f.act, 2, `${f.name}_relu`);
    return linear(g, params, h, plan.head);
  },
};
