/**
 * The legacy DeepPose AlexNet (mitmul/deeppose `models/AlexNet.py`):
 *
 *   conv1 11×11/4 pad 1 → ReLU → max pool 3/2 (cover_all) → LRN
 *   conv2 5×5 pad 2     → ReLU → max pool 3/2 (cover_all) → LRN
 *   conv3, conv4, conv5 3×3 pad 1 with ReLU → max pool 3/2 (cover_all)
 *   fc6 → ReLU → dropout, fc7 → ReLU → dropout, fc8 → 2K
 *
 * Widths and kernel sizes come from the file; strides and pads are the
 * topology's. Dropout is the identity at inference.
 */
import { formatShape } from '../../core/errors.js';
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { expectShape, shapeOf } from './shape-check.js';
import { convOut, poolOutCoverAll, type ArchDescription, type Architecture, type Params } from './types.js';

const CONVS = [
  { name: 'conv1', stride: 4, pad: 1 },
  { name: 'conv2', stride: 1, pad: 2 },
  { name: 'conv3', stride: 1, pad: 1 },
  { name: 'conv4', stride: 1, pad: 1 },
  { name: 'conv5', stride: 1, pad: 1 },
] as const;
/** Convolutions followed by max pooling (and LRN for the first two). */
const POOL_AFTER = new Set(['conv1', 'conv2', 'conv5']);
const LRN_AFTER = new Set(['conv1', 'conv2']);
const FCS = ['fc6', 'fc7', 'fc8'] as const;

const PARAMS = [...CONVS.flatMap((c) => [`${c.name}/W`, `${c.name}/b`]), ...FCS.flatMap((f) => [`${f}/W`, `${f}/b`])];

/** Chainer's LRN defaults in ONNX terms (ONNX divides alpha by size; Chainer does not). */
export const CHAINER_LRN = { size: 5, alpha: 1e-4 * 5, beta: 0.75, bias: 2 } as const;

export const alexnet: Architecture = {
  id: 'alexnet',
  title: 'AlexNet (legacy DeepPose)',

  matches(names) {
    const hits = ['conv1/W', 'conv5/W', 'fc6/W', 'fc8/W'].filter((n) => names.has(n)).length;
    return hits >= 2 && !names.has('res2/a/conv1/W');
  },

  required: () => PARAMS,

  ignorable: () => undefined,

  describe(shapes, inputSize) {
    const widths: Record<string, number> = {};
    let channels = 3;
    let size = inputSize;
    let sizeTrace = `${inputSize}`;
    for (const c of CONVS) {
      const w = shapeOf(shapes, `${c.name}/W`, 4, 'convolution weight (out, in, kh, kw)');
      const [out, cin, kh, kw] = w as [number, number, number, number];
      if (cin !== channels) {
        const prev = c.name === 'conv1' ? 'the 3-channel input image' : `${CONVS[CONVS.findIndex((x) => x.name === c.name) - 1]!.name} output (${channels} channels)`;
        throw new ShapeMismatchError(`${c.name}/W: expected ${out}×${channels}×${kh}×${kw} to match ${prev}, found ${formatShape(w)}`);
      }
      if (kh !== kw) throw new ShapeMismatchError(`${c.name}/W: expected a square kernel, found ${formatShape(w)}`);
      expectShape(shapes, `${c.name}/b`, [out], `(one bias per ${c.name} output channel)`);
      size = convOut(size, kh, c.stride, c.pad);
      if (POOL_AFTER.has(c.name)) size = poolOutCoverAll(size, 3, 2, 0);
      if (size < 1) {
        throw new ShapeMismatchError(`${c.name}/W: a ${kh}×${kw} kernel leaves no output at input size ${inputSize} (${sizeTrace} → ${size})`);
      }
      sizeTrace += ` → ${size}`;
      widths[c.name] = out;
      channels = out;
    }
    const flat = channels * size * size;
    let inFeatures = flat;
    let prevName = `conv5 output ${channels}×${size}×${size}`;
    for (const f of FCS) {
      const w = shapeOf(shapes, `${f}/W`, 2, 'linear weight (out, in)');
      const [out, cin] = w as [number, number];
      if (cin !== inFeatures) {
        throw new ShapeMismatchError(`${f}/W: expected ${out}×${inFeatures} to match ${prevName}, found ${formatShape(w)}`);
      }
      expectShape(shapes, `${f}/b`, [out], `(one bias per ${f} output)`);
      widths[f] = out;
      inFeatures = out;
      prevName = `${f} output (${out})`;
    }
    const outputs = widths.fc8!;
    if (outputs % 2 !== 0) throw new ShapeMismatchError(`fc8/W: expected an even number of outputs (x, y per joint), found ${outputs}`);
    let count = 0;
    for (const p of PARAMS) count += shapes.get(p)!.reduce((a, b) => a * b, 1);
    return { arch: 'alexnet', title: this.title, widths, joints: outputs / 2, parameterCount: count, params: PARAMS };
  },

  build(g: GraphBuilder, params: Params, _desc: ArchDescription, input: string) {
    const w = (name: string) => {
      const p = params.get(name)!;
      return g.initializer(name, { type: 'float32', dims: p.shape, data: p.data });
    };
    let h = input;
    for (const c of CONVS) {
      const k = params.get(`${c.name}/W`)!.shape[2]!;
      h = g.op('Conv', [h, w(`${c.name}/W`), w(`${c.name}/b`)], {
        kernel_shape: [k, k], strides: [c.stride, c.stride], pads: [c.pad, c.pad, c.pad, c.pad],
      }, c.name);
      h = g.op('Relu', [h], {}, `${c.name}_relu`);
      if (POOL_AFTER.has(c.name)) {
        h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, `${c.name}_pool`);
      }
      if (LRN_AFTER.has(c.name)) {
        h = g.op('LRN', [h], { size: CHAINER_LRN.size, alpha: CHAINER_LRN.alpha, beta: CHAINER_LRN.beta, bias: { float: CHAINER_LRN.bias } }, `${c.name}_lrn`);
      }
    }
    h = g.op('Flatten', [h], { axis: 1 }, 'flatten');
    for (const f of FCS) {
      h = g.op('Gemm', [h, w(`${f}/W`), w(`${f}/b`)], { transB: 1 }, f);
      if (f !== 'fc8') h = g.op('Relu', [h], {}, `${f}_relu`);
    }
    return h;
  },
};
