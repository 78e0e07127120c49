/**
 * Every layer's backward subgraph against finite differences: for a random
 * direction δ, ⟨∇L, δ⟩ must match (L(θ + εδ) − L(θ − εδ)) / 2ε, with
 * L = Σ R ⊙ layer(θ) for a fixed random R (so dL/dy = R).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../model/onnx/builder.js';
import { OrtModel, type FloatTensor } from '../model/runtime/ort.js';
import {
  convBackward, convForward, convSide, linearBackward, linearForward, lrnBackward, lrnForward, maskedSquaredError,
  maxPoolBackward, maxPoolForward, poolSide, reluBackward, type Shape4,
} from '../model/train/layers.js';
import { TRAIN_OPSET, buildAlexNetTrainStep, slotName, newName } from '../model/train/alexnet-step.js';

const sessions: OrtModel[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rnd() * scale);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  /** Differentiable inputs and their shapes. */
  inputs: Record<string, number[]>;
  /** Extra fixed inputs (masks, targets). */
  fixed?: Record<string, { data: Float32Array; dims: number[] }>;
  /** Builds forward + backward; returns the output y (shape yShape) and gradient names per input, given gy. */
  build(g: GraphBuilder, gy: string): { y: string; grads: Record<string, string> };
  yShape: number[];
  /** Scale of random inputs. */
  scale?: Record<string, number>;
  /** The layer computes its own loss (no R). */
  selfLoss?: boolean;
}

async function gradCheck(name: string, c: Case, eps = 1e-2, tol = 2e-2): Promise<void> {
  const g = new GraphBuilder(name);
  for (const [n, s] of Object.entries(c.inputs)) g.input(n, 'float32', s);
  for (const [n, v] of Object.entries(c.fixed ?? {})) g.input(n, 'float32', v.dims);
  const R = randn(size(c.yShape));
  const r = g.constFloat('R', R, c.yShape);
  const built = c.build(g, r);
  const loss = c.selfLoss ? built.y : g.op('ReduceSum', [g.op('Mul', [built.y, r])], { keepdims: 0 });
  g.node('Identity', [loss], {}, ['L']);
  g.output('L', 'float32', []);
  for (const [n, gname] of Object.entries(built.grads)) {
    g.node('Identity', [gname], {}, [`grad_${n}`]);
    g.output(`grad_${n}`, 'float32', c.inputs[n]!);
  }
  const m = await OrtModel.load(g.encode({ opset: TRAIN_OPSET }), name, { threads: 1 });
  sessions.push(m);
  const base: Record<string, FloatTensor> = {};
  for (const [n, s] of Object.entries(c.inputs)) base[n] = { data: randn(size(s), c.scale?.[n] ?? 1), dims: s };
  for (const [n, v] of Object.entries(c.fixed ?? {})) base[n] = v;
  const out = await m.run(base);
  const delta: Record<string, Float32Array> = {};
  for (const [n, s] of Object.entries(c.inputs)) delta[n] = randn(size(s));
  const shifted = async (sign: number) => {
    const feeds: Record<string, FloatTensor> = { ...base };
    for (const [n, s] of Object.entries(c.inputs)) {
      const scale = (c.scale?.[n] ?? 1) * eps * sign;
      feeds[n] = { data: base[n]!.data.map((v, i) => v + scale * delta[n]![i]!), dims: s };
    }
    return (await m.run(feeds)).L!.data[0]!;
  };
  // Directional derivative with δ scaled like each input.
  let analyticScaled = 0;
  for (const [n] of Object.entries(c.inputs)) {
    const gr = out[`grad_${n}`]!.data;
    const sc = c.scale?.[n] ?? 1;
    for (let i = 0; i < gr.length; i++) analyticScaled += gr[i]! * delta[n]![i]! * sc;
  }
  const numeric = ((await shifted(1)) - (await shifted(-1))) / (2 * eps);
  const rel = Math.abs(numeric - analyticScaled) / Math.max(1e-6, Math.abs(numeric), Math.abs(analyticScaled));
  assert.ok(rel < tol, `${name}: finite difference ${numeric} vs analytic ${analyticScaled} (relative error ${rel.toExponential(2)})`);
}

test('convolution (stride 4, pad 1, and stride 1, pad 2): input, weight and bias gradients', async () => {
  for (const [k, stride, pad, h] of [[5, 4, 1, 23], [3, 1, 2, 9], [11, 4, 1, 30]] as const) {
    const ho = convSide(h, k, stride, pad);
    const inShape: Shape4 = [2, 3, h, h];
    const outShape: Shape4 = [2, 4, ho, ho];
    await gradCheck(`conv k${k} s${stride} p${pad}`, {
      inputs: { x: [...inShape], W: [4, 3, k, k], b: [4] },
      yShape: [...outShape],
      build(g, gy) {
        const y = convForward(g, 'x', 'W', 'b', { k, stride, pad }, 'c');
        const r = convBackward(g, gy, 'x', 'W', { k, stride, pad }, inShape, outShape, true, 'cb');
        return { y, grads: { x: r.gx!, W: r.gw, b: r.gb } };
      },
    });
  }
});

test('max pooling 3/2 with cover_all (ceil mode), including a ragged last window', async () => {
  for (const h of [9, 10]) {
    const inShape: Shape4 = [2, 3, h, h];
    const ps = poolSide(h, 3, 2);
    await gradCheck(`maxpool ${h}`, {
      inputs: { x: [...inShape] },
      yShape: [2, 3, ps, ps],
      build(g, gy) {
        const p = maxPoolForward(g, 'x', 'p');
        return { y: p.y, grads: { x: maxPoolBackward(g, gy, p.idx, inShape, 'pb') } };
      },
    }, 1e-3);
  }
});

test('LRN (Chainer: n=5, k=2, alpha=1e-4 undivided, beta=0.75), with large activations', async () => {
  await gradCheck('lrn', {
    inputs: { x: [2, 7, 4, 4] },
    scale: { x: 60 },
    yShape: [2, 7, 4, 4],
    build(g, gy) {
      const f = lrnForward(g, 'x', 7, 'l');
      return { y: f.y, grads: { x: lrnBackward(g, gy, 'x', f, 'lb') } };
    },
  });
});

test('ReLU, dropout mask and linear layer', async () => {
  const drop = Float32Array.from({ length: 3 * 6 }, (_, i) => (i % 3 === 0 ? 0 : 2.5));
  await gradCheck('linear+relu+dropout', {
    inputs: { x: [3, 5], W: [6, 5], b: [6] },
    fixed: { drop: { data: drop, dims: [3, 6] } },
    yShape: [3, 6],
    build(g, gy) {
      const z = linearForward(g, 'x', 'W', 'b', 'fc');
      const y = g.op('Mul', [g.op('Relu', [z]), 'drop']);
      const gz = reluBackward(g, g.op('Mul', [gy, 'drop']), z, 'rb');
      const r = linearBackward(g, gz, 'x', 'W', true, 'fb');
      return { y, grads: { x: r.gx!, W: r.gw, b: r.gb } };
    },
  });
});

test('the legacy masked squared error', async () => {
  const mask = Float32Array.from({ length: 4 * 6 }, (_, i) => (i % 5 === 0 ? 0 : 1));
  await gradCheck('mse', {
    inputs: { y: [4, 6] },
    fixed: { t: { data: randn(24), dims: [4, 6] }, mask: { data: mask, dims: [4, 6] } },
    yShape: [1],
    selfLoss: true,
    build(g) {
      const l = maskedSquaredError(g, 'y', 't', 'mask');
      return { y: l.loss, grads: { y: l.gy } };
    },
  });
});

test('a whole AlexNet training step: Adam lowers the loss on a fixed batch; MomentumSGD runs', async () => {
  const d = { batch: 2, inputSize: 67, widths: { conv1: 8, conv2: 8, conv3: 8, conv4: 8, conv5: 8, fc6: 16, fc7: 16, fc8: 28 }, kernels: { conv1: 11, conv2: 5, conv3: 3, conv4: 3, conv5: 3 } } as const;
  for (const kind of ['adam', 'momentum-sgd'] as const) {
    const step = buildAlexNetTrainStep(d, { kind, weightDecay: 1e-4 });
    const m = await OrtModel.load(step.bytes, kind, { threads: 1 });
    sessions.push(m);
    const feeds: Record<string, FloatTensor> = {
      x: { data: randn(2 * 3 * 67 * 67), dims: [2, 3, 67, 67] }, t: { data: randn(56, 0.3), dims: [2, 28] },
      mask: { data: new Float32Array(56).fill(1), dims: [2, 28] },
      drop6: { data: new Float32Array(32).fill(1), dims: [2, 16] }, drop7: { data: new Float32Array(32).fill(1), dims: [2, 16] },
    };
    for (const [name, shape] of step.params) {
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[name] = { data: name.endsWith('/b') ? new Float32Array(n) : randn(n, Math.sqrt(3 / (n / shape[0]!))), dims: shape };
      for (const s of step.slots) feeds[slotName(name, s)] = { data: new Float32Array(n), dims: shape };
    }
    const losses: number[] = [];
    for (let it = 1; it <= 15; it++) {
      feeds.lr = { data: new Float32Array([kind === 'adam' ? 1e-3 * Math.sqrt(1 - 0.999 ** it) / (1 - 0.9 ** it) : 0.05]), dims: [] };
      const out = await m.run(feeds);
      losses.push(out.loss!.data[0]!);
      for (const [name] of step.params) {
        feeds[name] = out[newName(name)]!;
        for (const s of step.slots) feeds[slotName(name, s)] = out[newName(slotName(name, s))]!;
      }
    }
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses.at(-1)! < losses[0]! * 0.8, `${kind}: loss ${losses[0]} → ${losses.at(-1)}`);
  }
});
