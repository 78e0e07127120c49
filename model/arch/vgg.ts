/**
 * The legacy DeepPose VGG-16 regressors:
 *
 * - 2015 `VGG` (FunctionSet): conv1 … conv13, fc14, fc15, pred;
 * - 2015 `VGG_flic` and 2016 `VGG_BN`: conv1_1 … conv5_3, fc6, fc7, fc8;
 *   `VGG_BN` adds batch normalisation bn1_1 … bn5_3 after each convolution
 *   (with the flat naming, bn1 … bn13).
 *
 *   five blocks of 3×3 pad 1 convolutions (2, 2, 3, 3, 3), each → [BN] →
 *   ReLU, max pooling 2/2 (cover_all) after each block;
 *   fc6 → ReLU → dropout, fc7 → ReLU → dropout, head → 2K
 *
 * Widths and the head's name come from the file.
 */
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { batchNorm, bnParams, checkBn, checkConv, conv, findHead, hasBn, linear, maxPool, sizeOf } from './parts.js';
import { batchNormCountIgnorable, checkLinear, checkRegressionOutputs, expectShape } from './shape-check.js';
import { convOut, poolOutCoverAll, type ArchDescription, type Architecture, type BuildOptions, type Params } from './types.js';

const BLOCKS = [2, 2, 3, 3, 3] as const;

interface ConvLayer {
  readonly conv: string;
  readonly bn: string | undefined;
  /** Last convolution of its block: max pooling follows. */
  readonly poolAfter: boolean;
}

interface Plan {
  readonly naming: 'flat' | 'blocks';
  readonly convs: readonly ConvLayer[];
  readonly hidden: readonly [string, string];
  readonly head: string;
  readonly params: readonly string[];
}

function planOf(names: ReadonlySet<string>): Plan {
  const naming = names.has('conv1_1/W') ? 'blocks' : 'flat';
  const convs: ConvLayer[] = [];
  let flat = 0;
  for (const [bi, n] of BLOCKS.entries()) {
    for (let j = 1; j <= n; j++) {
      flat++;
      const conv = naming === 'blocks' ? `conv${bi + 1}_${j}` : `conv${flat}`;
      const bnName = naming === 'blocks' ? `bn${bi + 1}_${j}` : `bn${flat}`;
      convs.push({ conv, bn: hasBn(bnName, names) ? bnName : undefined, poolAfter: j === n });
    }
  }
  const hidden: [string, string] = naming === 'blocks' || names.has('fc6/W') ? ['fc6', 'fc7'] : ['fc14', 'fc15'];
  const body = new Set<string>([...convs.map((c) => c.conv), ...hidden]);
  const head = findHead(names, body) ?? (naming === 'blocks' ? 'fc8' : 'pred');
  const params: string[] = [];
  for (const c of convs) {
    params.push(`${c.conv}/W`, `${c.conv}/b`);
    if (c.bn) params.push(...bnParams(c.bn, names));
  }
  for (const f of [...hidden, head]) params.push(`${f}/W`, `${f}/b`);
  return { naming, convs, hidden, head, params };
}

export const vgg16: Architecture = {
  id: 'vgg16',
  title: 'VGG-16 (legacy DeepPose)',

  matches: (names) => names.has('conv1_1/W') || names.has('conv5_3/W') || (names.has('conv13/W') && names.has('conv1/W')),

  required: (names) => planOf(names).params,

  ignorable: batchNormCountIgnorable(),

  describe(shapes, inputSize) {
    const plan = planOf(new Set(shapes.keys()));
    const widths: Record<string, number> = {};
    let ch = 3;
    let size = inputSize;
    let prev = 'the 3-channel input image';
    for (const c of plan.convs) {
      const { out } = checkConv(shapes, c.conv, ch, prev, 3);
      expectShape(shapes, `${c.conv}/b`, [out], `(one bias per ${c.conv} output channel)`);
      if (c.bn) checkBn(shapes, c.bn, out, `${c.conv} output`);
      size = convOut(size, 3, 1, 1);
      if (c.poolAfter) size = poolOutCoverAll(size, 2, 2, 0);
      if (size < 1) throw new ShapeMismatchError(`${c.conv}/W: no output left at input size ${inputSize}`);
      widths[c.conv] = out;
      ch = out;
      prev = `${c.conv} output (${out} channels)`;
    }
    let inFeatures = ch * size * size;
    let prevName = `${plan.convs[plan.convs.length - 1]!.conv} output ${ch}×${size}×${size}`;
    for (const f of [...plan.hidden, plan.head]) {
      const out = checkLinear(shapes, f, inFeatures, prevName);
      widths[f] = out;
      inFeatures = out;
      prevName = `${f} output (${out})`;
    }
    const outputs = widths[plan.head]!;
    checkRegressionOutputs(plan.head, outputs);
    let count = 0;
    for (const p of plan.params) if (!p.endsWith('/eps')) count += sizeOf(shapes.get(p)!);
    const bn = plan.convs.flatMap((c) => (c.bn ? [c.bn] : []));
    const naming = plan.naming === 'blocks' ? 'conv1_1…conv5_3' : 'conv1…conv13';
    return {
      arch: 'vgg16', title: `VGG-16 (legacy DeepPose, ${naming}${bn.length ? ', batch norm' : ''})`, widths, joints: outputs / 2,
      parameterCount: count, params: plan.params, ...(bn.length ? { batchNorm: bn } : {}),
    };
  },

  build(g: GraphBuilder, params: Params, _desc: ArchDescription, input: string, options: BuildOptions = {}) {
    const plan = planOf(new Set(params.keys()));
    let h = input;
    for (const c of plan.convs) {
      h = conv(g, params, h, c.conv, 1, 1);
      if (c.bn) h = batchNorm(g, params, h, c.bn, options.bnStatistics ?? 'running');
      h = g.op('Relu', [h], {}, `${c.conv}_relu`);
      if (c.poolAfter) h = maxPool(g, h, 2, 2, `${c.conv}_pool`);
    }
    h = g.op('Flatten', [h], { axis: 1 }, 'flatten');
    for (const f of plan.hidden) h = g.op('Relu', [linear(g, params, h, f)], {}, `${f}_relu`);
    return linear(g, params, h, plan.head);
  },
};
