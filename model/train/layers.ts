/**
 * Forward and backward of each DeepPose layer as ONNX subgraphs, so that a
 * whole training step (forward, loss, gradients, optimizer update) runs in
 * onnxruntime's native kernels. Shapes are static (fixed batch B).
 *
 * - convolution: input gradient by ConvTranspose; weight gradient by a Conv
 *   of the transposed input with the transposed output gradient, dilation =
 *   stride; bias gradient by ReduceSum.
 * - max pooling (Chainer's cover_all = ceil mode): MaxPool's Indices output
 *   and ScatterElements with reduction "add".
 * - LRN (Chainer's: n = 5, k = 2, α = 1e-4 not divided by n, β = 0.75): the
 *   windowed channel sums are a 1×1 Conv with a band matrix, forward and back.
 * - ReLU: Where(x > 0); dropout: a given mask (0 or 1/(1−p)); linear: Gemm.
 * - loss: the legacy masked squared error, Σ(mask·(y − t))² / Σ mask.
 */
import type { GraphBuilder } from '../onnx/builder.js';

export type Shape4 = readonly [number, number, number, number];

/** Output side of a convolution (floor) and of Chainer's cover_all max pooling (ceil). */
export const convSide = (h: number, k: number, s: number, p: number) => Math.floor((h + 2 * p - k) / s) + 1;
export const poolSide = (h: number, k: number, s: number) => Math.floor((h - k + s - 1) / s) + 1;

export interface ConvSpec {
  readonly k: number;
  readonly stride: number;
  readonly pad: number;
}

export function convForward(g: GraphBuilder, x: string, w: string, b: string, c: ConvSpec, stem: string): string {
  return g.op('Conv', [x, w, b], { kernel_shape: [c.k, c.k], strides: [c.stride, c.stride], pads: [c.pad, c.pad, c.pad, c.pad] }, stem);
}

/**
 * Gradients of a convolution. `inShape` `[B, C, H, W]`, `outShape`
 * `[B, O, Ho, Wo]`. `needGx` false for the first layer.
 */
export function convBackward(
  g: GraphBuilder, gy: string, x: string, w: string, c: ConvSpec, inShape: Shape4, outShape: Shape4, needGx: boolean, stem: string,
): { gx?: string; gw: string; gb: string } {
  const gb = g.op('ReduceSum', [gy, g.constInt64(`${stem}_axes_b`, [0, 2, 3])], { keepdims: 0 }, `${stem}_gb`);
  const xT = g.op('Transpose', [x], { perm: [1, 0, 2, 3] }, `${stem}_xT`);
  const gyT = g.op('Transpose', [gy], { perm: [1, 0, 2, 3] }, `${stem}_gyT`);
  let gwT = g.op('Conv', [xT, gyT], { pads: [c.pad, c.pad, c.pad, c.pad], dilations: [c.stride, c.stride], strides: [1, 1] }, `${stem}_gwT`);
  const side = inShape[2] + 2 * c.pad - c.stride * (outShape[2] - 1);
  if (side > c.k) {
    gwT = g.op('Slice', [gwT, g.constInt64(`${stem}_s0`, [0, 0]), g.constInt64(`${stem}_s1`, [c.k, c.k]), g.constInt64(`${stem}_sa`, [2, 3])], {}, `${stem}_gwT_crop`);
  }
  const gw = g.op('Transpose', [gwT], { perm: [1, 0, 2, 3] }, `${stem}_gw`);
  if (!needGx) return { gw, gb };
  const outPad = inShape[2] - (c.stride * (outShape[2] - 1) + c.k - 2 * c.pad);
  const gx = g.op('ConvTranspose', [gy, w], {
    kernel_shape: [c.k, c.k], strides: [c.stride, c.stride], pads: [c.pad, c.pad, c.pad, c.pad], output_padding: [outPad, outPad],
  }, `${stem}_gx`);
  return { gx, gw, gb };
}

export function reluBackward(g: GraphBuilder, gy: string, preActivation: string, stem: string): string {
  const pos = g.op('Greater', [preActivation, g.constFloat(`${stem}_zero`, [0], [])], {}, `${stem}_pos`);
  return g.op('Where', [pos, gy, g.constFloat(`${stem}_zero2`, [0], [])], {}, `${stem}_g`);
}

/** Max pooling 3×2 in ceil mode; returns the output and the indices for the backward pass. */
export function maxPoolForward(g: GraphBuilder, x: string, stem: string): { y: string; idx: string } {
  const [y, idx] = g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 2, stem);
  return { y: y!, idx: idx! };
}

export function maxPoolBackward(g: GraphBuilder, gy: string, idx: string, inShape: Shape4, stem: string): string {
  const n = inShape.reduce((a, b) => a * b, 1);
  const flat = g.constInt64(`${stem}_flat`, [-1]);
  const zeros = g.op('ConstantOfShape', [g.constInt64(`${stem}_n`, [n])], { value: { tensor: { type: 'float32', dims: [1], data: new Float32Array([0]) } } }, `${stem}_zeros`);
  const scattered = g.op('ScatterElements', [zeros, g.op('Reshape', [idx, flat]), g.op('Reshape', [gy, flat])], { axis: 0, reduction: 'add' }, `${stem}_scatter`);
  return g.op('Reshape', [scattered, g.constInt64(`${stem}_shape`, [...inShape])], {}, `${stem}_g`);
}

/** Chainer's LRN parameters. */
export const LRN = { n: 5, k: 2, alpha: 1e-4, beta: 0.75 } as const;

/** `[C, C, 1, 1]` band matrix: 1 where |i − j| ≤ n/2 (the LRN window). */
function bandMatrix(c: number, n: number): Float32Array {
  const m = new Float32Array(c * c);
  const h = Math.floor(n / 2);
  for (let i = 0; i < c; i++) for (let j = Math.max(0, i - h); j <= Math.min(c - 1, i + h); j++) m[i * c + j] = 1;
  return m;
}

/** LRN forward from elementwise ops; returns the output and what the backward needs. */
export function lrnForward(g: GraphBuilder, x: string, channels: number, stem: string): { y: string; d: string; s: string; band: string } {
  const band = g.constFloat(`${stem}_band`, bandMatrix(channels, LRN.n), [channels, channels, 1, 1]);
  const sum = g.op('Conv', [g.op('Mul', [x, x]), band], {}, `${stem}_sumsq`);
  const s = g.op('Add', [g.op('Mul', [sum, g.constFloat(`${stem}_a`, [LRN.alpha], [])]), g.constFloat(`${stem}_k`, [LRN.k], [])], {}, `${stem}_s`);
  const d = g.op('Pow', [s, g.constFloat(`${stem}_mb`, [-LRN.beta], [])], {}, `${stem}_d`);
  return { y: g.op('Mul', [x, d], {}, stem), d, s, band };
}

/** dL/dx = g·d − 2αβ·x·Σ_window(g·x·d/s). */
export function lrnBackward(g: GraphBuilder, gy: string, x: string, f: { d: string; s: string; band: string }, stem: string): string {
  const t = g.op('Div', [g.op('Mul', [g.op('Mul', [gy, x]), f.d]), f.s], {}, `${stem}_t`);
  const win = g.op('Conv', [t, f.band], {}, `${stem}_win`);
  const second = g.op('Mul', [g.op('Mul', [x, win]), g.constFloat(`${stem}_c`, [2 * LRN.alpha * LRN.beta], [])], {}, `${stem}_second`);
  return g.op('Sub', [g.op('Mul', [gy, f.d]), second], {}, `${stem}_g`);
}

export function linearForward(g: GraphBuilder, x: string, w: string, b: string, stem: string): string {
  return g.op('Gemm', [x, w, b], { transB: 1 }, stem);
}

export function linearBackward(g: GraphBuilder, gy: string, x: string, w: string, needGx: boolean, stem: string): { gx?: string; gw: string; gb: string } {
  const gw = g.op('Gemm', [gy, x], { transA: 1 }, `${stem}_gw`);
  const gb = g.op('ReduceSum', [gy, g.constInt64(`${stem}_axes`, [0])], { keepdims: 0 }, `${stem}_gb`);
  return needGx ? { gx: g.op('MatMul', [gy, w], {}, `${stem}_gx`), gw, gb } : { gw, gb };
}

/** The legacy loss and its gradient: `loss = Σ(mask·(y − t))² / Σ mask`, `dy = 2·mask·(y − t) / Σ mask`. */
export function maskedSquaredError(g: GraphBuilder, y: string, t: string, mask: string): { loss: string; gy: string } {
  const diff = g.op('Mul', [g.op('Sub', [y, t]), mask], {}, 'loss_diff');
  const count = g.op('Max', [g.op('ReduceSum', [mask], { keepdims: 0 }), g.constFloat('loss_one', [1], [])], {}, 'loss_count');
  const loss = g.op('Div', [g.op('ReduceSum', [g.op('Mul', [diff, diff])], { keepdims: 0 }), count], {}, 'loss_value');
  const gy = g.op('Div', [g.op('Mul', [diff, g.constFloat('loss_two', [2], [])]), count], {}, 'loss_gy');
  return { loss, gy };
}
