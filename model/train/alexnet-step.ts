/**
 * One whole training step of the legacy DeepPose AlexNet as an ONNX graph
 * (opset 18): forward in training mode (dropout masks given), the legacy
 * loss, every gradient, weight decay, and the Adam or MomentumSGD update.
 * Parameters and optimizer state go in as inputs and come out updated, so
 * the loop in JS only moves tensors from outputs back to inputs.
 */
import { GraphBuilder } from '../onnx/builder.js';
import {
  convBackward, convForward, convSide, linearBackward, linearForward, lrnBackward, lrnForward, maskedSquaredError,
  maxPoolBackward, maxPoolForward, poolSide, reluBackward, type Shape4,
} from './layers.js';

export const TRAIN_OPSET = 18;

export interface AlexNetDims {
  readonly batch: number;
  readonly inputSize: number;
  /** Output channels / features: conv1…conv5, fc6, fc7, and fc8 = 2K. */
  readonly widths: Readonly<Record<'conv1' | 'conv2' | 'conv3' | 'conv4' | 'conv5' | 'fc6' | 'fc7' | 'fc8', number>>;
  /** Kernel sides of conv1…conv5. */
  readonly kernels: Readonly<Record<'conv1' | 'conv2' | 'conv3' | 'conv4' | 'conv5', number>>;
}

export interface OptimizerSpec {
  readonly kind: 'adam' | 'momentum-sgd';
  /** Adam: beta1, beta2, eps (Chainer's defaults 0.9, 0.999, 1e-8). */
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** MomentumSGD: momentum (Chainer's default 0.9). */
  readonly momentum?: number;
  /** L2 weight decay rate (Chainer's WeightDecay hook: g += rate · W), 0 for none. */
  readonly weightDecay?: number;
}

const CONVS = [
  { name: 'conv1', stride: 4, pad: 1, pool: true, lrn: true },
  { name: 'conv2', stride: 1, pad: 2, pool: true, lrn: true },
  { name: 'conv3', stride: 1, pad: 1, pool: false, lrn: false },
  { name: 'conv4', stride: 1, pad: 1, pool: false, lrn: false },
  { name: 'conv5', stride: 1, pad: 1, pool: true, lrn: false },
] as const;

/** Parameter names in forward order and their shapes. */
export function alexnetParamShapes(d: AlexNetDims): [string, number[]][] {
  const out: [string, number[]][] = [];
  let cin = 3;
  let side = d.inputSize;
  for (const c of CONVS) {
    const k = d.kernels[c.name];
    const o = d.widths[c.name];
    out.push([`${c.name}/W`, [o, cin, k, k]], [`${c.name}/b`, [o]]);
    side = convSide(side, k, c.stride, c.pad);
    if (c.pool) side = poolSide(side, 3, 2);
    cin = o;
  }
  let fin = cin * side * side;
  for (const f of ['fc6', 'fc7', 'fc8'] as const) {
    out.push([`${f}/W`, [d.widths[f], fin]], [`${f}/b`, [d.widths[f]]]);
    fin = d.widths[f];
  }
  return out;
}

export interface StepGraph {
  readonly bytes: Uint8Array;
  readonly params: readonly [string, number[]][];
  /** Optimizer state slots per parameter (`m`, and `v` for Adam). */
  readonly slots: readonly string[];
}

export const slotName = (param: string, slot: string) => `${param}::${slot}`;
export const newName = (name: string) => `${name}::new`;

export function buildAlexNetTrainStep(d: AlexNetDims, opt: OptimizerSpec): StepGraph {
  const g = new GraphBuilder('deeppose_alexnet_train_step');
  const B = d.batch;
  const S = d.inputSize;
  const K2 = d.widths.fc8;
  const params = alexnetParamShapes(d);
  const slots = opt.kind === 'adam' ? ['m', 'v'] : ['m'];
  const x = g.input('x', 'float32', [B, 3, S, S]);
  const t = g.input('t', 'float32', [B, K2]);
  const mask = g.input('mask', 'float32', [B, K2]);
  const drop6 = g.input('drop6', 'float32', [B, d.widths.fc6]);
  const drop7 = g.input('drop7', 'float32', [B, d.widths.fc7]);
  const lr = g.input('lr', 'float32', []);
  const P: Record<string, string> = {};
  for (const [name, shape] of params) {
    P[name] = g.input(name, 'float32', shape);
    for (const s of slots) g.input(slotName(name, s), 'float32', shape);
  }

  // Forward, keeping what the backward pass needs.
  type Saved = { input: string; inShape: Shape4; pre: string; outShape: Shape4; relu: string; pool?: { idx: string; inShape: Shape4; out: string }; lrn?: ReturnType<typeof lrnForward> & { x: string } };
  const saved: Record<string, Saved> = {};
  let h = x;
  let shape: Shape4 = [B, 3, S, S];
  for (const c of CONVS) {
    const k = d.kernels[c.name];
    const o = d.widths[c.name];
    const side = convSide(shape[2], k, c.stride, c.pad);
    const outShape: Shape4 = [B, o, side, side];
    const pre = convForward(g, h, P[`${c.name}/W`]!, P[`${c.name}/b`]!, { k, stride: c.stride, pad: c.pad }, c.name);
    const relu = g.op('Relu', [pre], {}, `${c.name}_relu`);
    const s: Saved = { input: h, inShape: shape, pre, outShape, relu };
    h = relu;
    shape = outShape;
    if (c.pool) {
      const p = maxPoolForward(g, h, `${c.name}_pool`);
      const ps = poolSide(shape[2], 3, 2);
      s.pool = { idx: p.idx, inShape: shape, out: p.y };
      h = p.y;
      shape = [B, o, ps, ps];
    }
    if (c.lrn) {
      const l = lrnForward(g, h, o, `${c.name}_lrn`);
      s.lrn = { ...l, x: h };
      h = l.y;
    }
    saved[c.name] = s;
  }
  const poolShape = shape;
  const flat = g.op('Flatten', [h], { axis: 1 }, 'flatten');
  const z6 = linearForward(g, flat, P['fc6/W']!, P['fc6/b']!, 'fc6');
  const h6 = g.op('Mul', [g.op('Relu', [z6]), drop6], {}, 'fc6_drop');
  const z7 = linearForward(g, h6, P['fc7/W']!, P['fc7/b']!, 'fc7');
  const h7 = g.op('Mul', [g.op('Relu', [z7]), drop7], {}, 'fc7_drop');
  const y = linearForward(g, h7, P['fc8/W']!, P['fc8/b']!, 'fc8');
  const { loss, gy } = maskedSquaredError(g, y, t, mask);
  g.node('Identity', [loss], {}, ['loss']);
  g.output('loss', 'float32', []);

  // Backward.
  const grads: Record<string, string> = {};
  const b8 = linearBackward(g, gy, h7, P['fc8/W']!, true, 'fc8_back');
  Object.assign(grads, { 'fc8/W': b8.gw, 'fc8/b': b8.gb });
  const gz7 = reluBackward(g, g.op('Mul', [b8.gx!, drop7]), z7, 'fc7_relu_back');
  const b7 = linearBackward(g, gz7, h6, P['fc7/W']!, true, 'fc7_back');
  Object.assign(grads, { 'fc7/W': b7.gw, 'fc7/b': b7.gb });
  const gz6 = reluBackward(g, g.op('Mul', [b7.gx!, drop6]), z6, 'fc6_relu_back');
  const b6 = linearBackward(g, gz6, flat, P['fc6/W']!, true, 'fc6_back');
  Object.assign(grads, { 'fc6/W': b6.gw, 'fc6/b': b6.gb });
  let gh = g.op('Reshape', [b6.gx!, g.constInt64('pool5_shape', [...poolShape])], {}, 'pool5_g');
  for (const c of [...CONVS].reverse()) {
    const s = saved[c.name]!;
    if (s.lrn) gh = lrnBackward(g, gh, s.lrn.x, s.lrn, `${c.name}_lrn_back`);
    if (s.pool) gh = maxPoolBackward(g, gh, s.pool.idx, s.pool.inShape, `${c.name}_pool_back`);
    gh = reluBackward(g, gh, s.pre, `${c.name}_relu_back`);
    const k = d.kernels[c.name];
    const bc = convBackward(g, gh, s.input, P[`${c.name}/W`]!, { k, stride: c.stride, pad: c.pad }, s.inShape, s.outShape, c.name !== 'conv1', `${c.name}_back`);
    grads[`${c.name}/W`] = bc.gw;
    grads[`${c.name}/b`] = bc.gb;
    if (bc.gx) gh = bc.gx;
  }

  // Optimizer update.
  const wd = opt.weightDecay ?? 0;
  const cst = (name: string, v: number) => g.constFloat(name, [v], []);
  for (const [name, shape] of params) {
    let grad = grads[name]!;
    if (wd > 0) grad = g.op('Add', [grad, g.op('Mul', [P[name]!, cst(`${name}_wd`, wd)])], {}, `${name}_gdecay`);
    const p = P[name]!;
    const m = slotName(name, 'm');
    if (opt.kind === 'adam') {
      const b1 = opt.beta1 ?? 0.9;
      const b2 = opt.beta2 ?? 0.999;
      const v = slotName(name, 'v');
      const m2 = g.op('Add', [g.op('Mul', [m, cst(`${name}_b1`, b1)]), g.op('Mul', [grad, cst(`${name}_1mb1`, 1 - b1)])], {}, `${name}_m2`);
      const v2 = g.op('Add', [g.op('Mul', [v, cst(`${name}_b2`, b2)]), g.op('Mul', [g.op('Mul', [grad, grad]), cst(`${name}_1mb2`, 1 - b2)])], {}, `${name}_v2`);
      const step = g.op('Div', [g.op('Mul', [m2, lr]), g.op('Add', [g.op('Sqrt', [v2]), cst(`${name}_eps`, opt.eps ?? 1e-8)])], {}, `${name}_step`);
      g.node('Sub', [p, step], {}, [newName(name)]);
      g.node('Identity', [m2], {}, [newName(m)]);
      g.node('Identity', [v2], {}, [newName(v)]);
      g.output(newName(v), 'float32', shape);
    } else {
      // Chainer's MomentumSGD: v ← momentum·v − lr·g; W ← W + v.
      const m2 = g.op('Sub', [g.op('Mul', [m, cst(`${name}_mom`, opt.momentum ?? 0.9)]), g.op('Mul', [grad, lr])], {}, `${name}_m2`);
      g.node('Add', [p, m2], {}, [newName(name)]);
      g.node('Identity', [m2], {}, [newName(m)]);
    }
    g.output(newName(name), 'float32', shape);
    g.output(newName(m), 'float32', shape);
  }
  return { bytes: g.encode({ opset: TRAIN_OPSET }), params, slots };
}
