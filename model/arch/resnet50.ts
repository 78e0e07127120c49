/**
 * The legacy DeepPose ResNet50 regressor (mitmul/deeppose `models/ResNet50.py`):
 *
 *   conv1 7×7/2 pad 3 (no bias) → BN → ReLU → max pool 3/2 (cover_all)
 *   res2 … res5: bottleneck blocks 3-4-6-3 (`a` with a projection shortcut
 *   conv4/bn4 and the block's stride on its 1×1 conv1; `b_1…` identity)
 *   average pooling over the whole map → out_fc → 2K
 *
 * Convolutions have no bias; batch normalisation runs on its running
 * statistics (`avg_mean`, `avg_var`) with Chainer's eps 2e-5.
 */
import { formatShape } from '../../core/errors.js';
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { expectShape, shapeOf } from './shape-check.js';
import { convOut, poolOutCoverAll, type ArchDescription, type Architecture, type Params } from './types.js';

/** Chainer's BatchNormalization default eps. */
export const CHAINER_BN_EPS = 2e-5;

const STAGES = [
  { name: 'res2', blocks: 3, stride: 1 },
  { name: 'res3', blocks: 4, stride: 2 },
  { name: 'res4', blocks: 6, stride: 2 },
  { name: 'res5', blocks: 3, stride: 2 },
] as const;

const BN_STATS = ['gamma', 'beta', 'avg_mean', 'avg_var'] as const;

function bn(name: string): string[] {
  return BN_STATS.map((s) => `${name}/${s}`);
}

function blockNames(stage: string, blocks: number): string[] {
  return ['a', ...Array.from({ length: blocks - 1 }, (_, i) => `b_${i + 1}`)].map((b) => `${stage}/${b}`);
}

function paramList(): string[] {
  const out = ['conv1/W', ...bn('bn1')];
  for (const s of STAGES) {
    for (const b of blockNames(s.name, s.blocks)) {
      const convs = b.endsWith('/a') ? [1, 2, 3, 4] : [1, 2, 3];
      for (const i of convs) out.push(`${b}/conv${i}/W`, ...bn(`${b}/bn${i}`));
    }
  }
  out.push('out_fc/W', 'out_fc/b');
  return out;
}

const PARAMS = paramList();

export const resnet50: Architecture = {
  id: 'resnet50',
  title: 'ResNet50 (legacy DeepPose)',

  matches: (names) => names.has('res2/a/conv1/W') || names.has('out_fc/W') || names.has('res5/a/conv4/W'),

  required: () => PARAMS,

  ignorable: (name) => (/(^|\/)bn\d\/N$/.test(name) ? 'batch-normalisation sample count, used only while training' : undefined),

  describe(shapes, inputSize) {
    const widths: Record<string, number> = {};
    const conv = (name: string, cin: number, k: number, why: string): number => {
      const w = shapeOf(shapes, `${name}/W`, 4, 'convolution weight (out, in, kh, kw)');
      const [out, inC, kh, kw] = w as [number, number, number, number];
      if (inC !== cin || kh !== k || kw !== k) {
        throw new ShapeMismatchError(`${name}/W: expected ${out}×${cin}×${k}×${k} to match ${why}, found ${formatShape(w)}`);
      }
      return out;
    };
    const bnCheck = (name: string, ch: number, of: string) => {
      for (const s of BN_STATS) expectShape(shapes, `${name}/${s}`, [ch], `(one per ${of} channel)`);
    };
    let ch = conv('conv1', 3, 7, 'the 3-channel input image');
    bnCheck('bn1', ch, 'conv1 output');
    widths.conv1 = ch;
    let size = poolOutCoverAll(convOut(inputSize, 7, 2, 3), 3, 2, 0);
    for (const s of STAGES) {
      for (const b of blockNames(s.name, s.blocks)) {
        const isA = b.endsWith('/a');
        const mid = conv(`${b}/conv1`, ch, 1, `the block input (${ch} channels)`);
        bnCheck(`${b}/bn1`, mid, `${b}/conv1 output`);
        conv(`${b}/conv2`, mid, 3, `${b}/conv1 output (${mid} channels)`);
        bnCheck(`${b}/bn2`, mid, `${b}/conv2 output`);
        const out = conv(`${b}/conv3`, mid, 1, `${b}/conv2 output (${mid} channels)`);
        bnCheck(`${b}/bn3`, out, `${b}/conv3 output`);
        if (isA) {
          const proj = conv(`${b}/conv4`, ch, 1, `the block input (${ch} channels)`);
          if (proj !== out) throw new ShapeMismatchError(`${b}/conv4/W: expected ${out} output channels to match ${b}/conv3, found ${proj}`);
          bnCheck(`${b}/bn4`, out, `${b}/conv4 output`);
          size = convOut(size, 1, s.stride, 0);
        } else if (out !== ch) {
          throw new ShapeMismatchError(`${b}/conv3/W: expected ${ch} output channels for the identity shortcut, found ${out}`);
        }
        ch = out;
      }
      widths[s.name] = ch;
    }
    const fc = shapeOf(shapes, 'out_fc/W', 2, 'linear weight (out, in)');
    if (fc[1] !== ch) {
      throw new ShapeMismatchError(`out_fc/W: expected ${fc[0]}×${ch} to match res5 output ${ch}×1×1 after average pooling, found ${formatShape(fc)}`);
    }
    expectShape(shapes, 'out_fc/b', [fc[0]!], '(one bias per out_fc output)');
    if (fc[0]! % 2 !== 0) throw new ShapeMismatchError(`out_fc/W: expected an even number of outputs (x, y per joint), found ${fc[0]}`);
    widths.out_fc = fc[0]!;
    widths.finalMap = size;
    let count = 0;
    for (const p of PARAMS) count += shapes.get(p)!.reduce((a, b) => a * b, 1);
    return { arch: 'resnet50', title: this.title, widths, joints: fc[0]! / 2, parameterCount: count, params: PARAMS };
  },

  build(g: GraphBuilder, params: Params, desc: ArchDescription, input: string) {
    const w = (name: string) => {
      const p = params.get(name)!;
      return g.initializer(name, { type: 'float32', dims: p.shape, data: p.data });
    };
    const convBn = (x: string, conv: string, bnName: string, stride: number, pad: number, relu: boolean): string => {
      const k = params.get(`${conv}/W`)!.shape[2]!;
      let h = g.op('Conv', [x, w(`${conv}/W`)], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] }, conv);
      h = g.op('BatchNormalization', [h, ...bn(bnName).map(w)], { epsilon: CHAINER_BN_EPS }, bnName);
      return relu ? g.op('Relu', [h], {}, `${bnName}_relu`) : h;
    };
    let h = convBn(input, 'conv1', 'bn1', 2, 3, true);
    h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 'pool1');
    for (const s of STAGES) {
      for (const b of blockNames(s.name, s.blocks)) {
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
    return g.op('Gemm', [h, w('out_fc/W'), w('out_fc/b')], { transB: 1 }, 'out_fc');
  },
};
