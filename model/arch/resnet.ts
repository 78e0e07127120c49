/**
 * The legacy DeepPose ResNet family (mitmul/deeppose `models/ResNet50.py`,
 * `ResNet152.py`, and the deeper variants users built from them):
 *
 *   conv1 7×7/2 pad 3 (no bias) → BN → ReLU → max pool 3/2 (cover_all)
 *   res2 … res5: bottleneck blocks (any count per stage: 3-4-6-3 is
 *   ResNet50, 3-4-23-3 ResNet101, 3-8-36-3 ResNet152); `a` has a projection
 *   shortcut conv4/bn4 and the stage's stride on its 1×1 conv1; the identity
 *   blocks are named `b_1, b_2, …` (ResNet50.py) or `b1, b2, …` (ResNet152.py)
 *   average pooling over the whole map → head (`out_fc`, `fc`, …) → 2K
 *
 * Convolutions have no bias; batch normalisation runs on its running
 * statistics (`avg_mean`, `avg_var`) with Chainer's eps 2e-5. The block
 * counts, block naming, head name and every width are read from the file.
 */
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { batchNorm, bnParams, checkBn, checkConv, conv, findHead, sizeOf } from './parts.js';
import { batchNormCountIgnorable, checkLinear, checkRegressionOutputs } from './shape-check.js';
import { convOut, poolOutCoverAll, type ArchDescription, type Architecture, type BuildOptions, type Params } from './types.js';

export { CHAINER_BN_EPS } from './parts.js';

const STAGE_STRIDE: Readonly<Record<string, number>> = { res2: 1, res3: 2, res4: 2, res5: 2 };
const STAGES = Object.keys(STAGE_STRIDE);

interface Stage {
  readonly name: string;
  readonly stride: number;
  /** Block prefixes: `res3/a`, `res3/b1`, … */
  readonly blocks: readonly string[];
}

interface Plan {
  readonly stages: readonly Stage[];
  readonly head: string;
  readonly params: readonly string[];
}

/** Identity blocks of a stage, in order, in whichever naming the file uses. */
function identityBlocks(stage: string, names: ReadonlySet<string>): string[] {
  for (const sep of ['_', '']) {
    const out: string[] = [];
    for (let i = 1; names.has(`${stage}/b${sep}${i}/conv1/W`); i++) out.push(`${stage}/b${sep}${i}`);
    if (out.length > 0) return out;
  }
  return [];
}

function planOf(names: ReadonlySet<string>): Plan {
  const stages: Stage[] = STAGES.map((s) => ({ name: s, stride: STAGE_STRIDE[s]!, blocks: [`${s}/a`, ...identityBlocks(s, names)] }));
  const body = new Set<string>(['conv1']);
  const head = findHead(names, body) ?? 'out_fc';
  const params = ['conv1/W', ...bnParams('bn1', names)];
  for (const s of stages) {
    for (const b of s.blocks) {
      const convs = b.endsWith('/a') ? [1, 2, 3, 4] : [1, 2, 3];
      for (const i of convs) params.push(`${b}/conv${i}/W`, ...bnParams(`${b}/bn${i}`, names));
    }
  }
  params.push(`${head}/W`, `${head}/b`);
  return { stages, head, params };
}

/** Depth as ResNet counts it: conv1, three convolutions per bottleneck, the head. */
function depthOf(plan: Plan): number {
  return 2 + 3 * plan.stages.reduce((a, s) => a + s.blocks.length, 0);
}

export const resnet50: Architecture = {
  id: 'resnet50',
  title: 'ResNet (legacy DeepPose)',

  matches: (names) => [...names].some((n) => /^res[2-5]\/a\//.test(n)),

  required: (names) => planOf(names).params,

  ignorable: batchNormCountIgnorable(/(^|\/)bn\d\/N$/),

  describe(shapes, inputSize) {
    const plan = planOf(new Set(shapes.keys()));
    const widths: Record<string, number> = {};
    let ch = checkConv(shapes, 'conv1', 3, 'the 3-channel input image', 7).out;
    checkBn(shapes, 'bn1', ch, 'conv1 output');
    widths.conv1 = ch;
    let size = poolOutCoverAll(convOut(inputSize, 7, 2, 3), 3, 2, 0);
    for (const s of plan.stages) {
      for (const b of s.blocks) {
        const isA = b.endsWith('/a');
        const mid = checkConv(shapes, `${b}/conv1`, ch, `the block input (${ch} channels)`, 1).out;
        checkBn(shapes, `${b}/bn1`, mid, `${b}/conv1 output`);
        checkConv(shapes, `${b}/conv2`, mid, `${b}/conv1 output (${mid} channels)`, 3);
        checkBn(shapes, `${b}/bn2`, mid, `${b}/conv2 output`);
        const out = checkConv(shapes, `${b}/conv3`, mid, `${b}/conv2 output (${mid} channels)`, 1).out;
        checkBn(shapes, `${b}/bn3`, out, `${b}/conv3 output`);
        if (isA) {
          const proj = checkConv(shapes, `${b}/conv4`, ch, `the block input (${ch} channels)`, 1).out;
          if (proj !== out) throw new ShapeMismatchError(`${b}/conv4/W: expected ${out} output channels to match ${b}/conv3, found ${proj}`);
          checkBn(shapes, `${b}/bn4`, out, `${b}/conv4 output`);
          size = convOut(size, 1, s.stride, 0);
        } else if (out !== ch) {
          throw new ShapeMismatchError(`${b}/conv3/W: expected ${ch} output channels for the identity shortcut, found ${out}`);
        }
        ch = out;
      }
      widths[s.name] = ch;
    }
    const outputs = checkLinear(shapes, plan.head, ch, `res5 output ${ch}×1×1 after average pooling`);
    checkRegressionOutputs(plan.head, outputs);
    widths[plan.head] = outputs;
    widths.finalMap = size;
    const depth = depthOf(plan);
    const blocks = plan.stages.map((s) => s.blocks.length).join('-');
    let count = 0;
    for (const p of plan.params) if (!p.endsWith('/eps')) count += sizeOf(shapes.get(p)!);
    const bnLayers = plan.params.filter((p) => p.endsWith('/gamma')).map((p) => p.slice(0, -'/gamma'.length));
    return {
      arch: `resnet${depth}`, title: `ResNet${depth} (legacy DeepPose, blocks ${blocks})`, widths, joints: outputs / 2, parameterCount: count,
      params: plan.params, batchNorm: bnLayers,
    };
  },

  build(g: GraphBuilder, params: Params, desc: ArchDescription, input: string, options: BuildOptions = {}) {
    const plan = planOf(new Set(params.keys()));
    const mode = options.bnStatistics ?? 'running';
    const convBn = (x: string, c: string, bnName: string, stride: number, pad: number, relu: boolean): string => {
      const h = batchNorm(g, params, conv(g, params, x, c, stride, pad), bnName, mode);
      return relu ? g.op('Relu', [h], {}, `${bnName}_relu`) : h;
    };
    let h = convBn(input, 'conv1', 'bn1', 2, 3, true);
    h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 'pool1');
    for (const s of plan.stages) {
      for (const b of s.blocks) {
        const isA = b.endsWith('/a');
        let r = convBn(h, `${b}/conv1`, `${b}/bn1`, isA ? s.stride : 1, 0, true);
        r = convBn(r, `${b}/conv2`, `${b}/bn2`, 1, 1, true);
        r = convBn(r, `${b}/conv3`, `${b}/bn3`, 1, 0, false);
        const shortcut = isA ? convBn(h, `${b}/conv4`, `${b}/bn4`, s.stride, 0, false) : h;
        h = g.op('Relu', [g.op('Add', [r, shortcut], {}, `${b}_add`)], {}, `${b}_relu`);
      }
    }
    const m = desc.widths.finalMap!;
    h = g.op('AveragePool', [h], { kernel_shape: [m, m], strides: [1, 1] }, 'avgpool');
    h = g.op('Flatten', [h], { axis: 1 }, 'flatten');
    return g.op('Gemm', [h, g.initializer(`${plan.head}/W`, { type: 'float32', dims: params.get(`${plan.head}/W`)!.shape, data: params.get(`${plan.head}/W`)!.data }), g.initializer(`${plan.head}/b`, { type: 'float32', dims: params.get(`${plan.head}/b`)!.shape, data: params.get(`${plan.head}/b`)!.data })], { transB: 1 }, plan.head);
  },
};
