/**
 * Layers shared by the legacy families: shape checks and ONNX builders for
 * batch normalisation (running or batch statistics), PReLU, convolution and
 * linear layers, and the search for the regression head by name.
 */
import { formatShape } from '../../core/errors.js';
import { ShapeMismatchError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { shapeOf } from './shape-check.js';
import type { BnStatistics, Params } from './types.js';

/** Chainer's BatchNormalization link default eps (1.5 … 7.x; not stored in npz files). */
export const CHAINER_BN_EPS = 2e-5;

export const BN_STATS = ['gamma', 'beta', 'avg_mean', 'avg_var'] as const;

/**
 * Parameters of batch normalisation layer `name`: the four statistics and,
 * when the file stores it (Chainer 1.4 pickles), `eps`.
 */
export function bnParams(name: string, names: ReadonlySet<string>): string[] {
  const out = BN_STATS.map((s) => `${name}/${s}`);
  if (names.has(`${name}/eps`)) out.push(`${name}/eps`);
  return out;
}

/** Whether every statistic of batch normalisation `name` is present. */
export function hasBn(name: string, names: ReadonlySet<string>): boolean {
  return BN_STATS.some((s) => names.has(`${name}/${s}`));
}

/** Elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks batch normalisation `name` normalises `ch` channels: each statistic
 * is `[C]` (Chainer links) or `[1, C, 1]` (Chainer 1.4's BatchNormalization
 * function).
 */
export function checkBn(shapes: ReadonlyMap<string, readonly number[]>, name: string, ch: number, of: string): void {
  for (const s of BN_STATS) {
    const key = `${name}/${s}`;
    const sh = shapes.get(key);
    if (!sh) throw new ShapeMismatchError(`${key}: missing`);
    const ok = (sh.length === 1 && sh[0] === ch) || (sh.length === 3 && sh[0] === 1 && sh[1] === ch && sh[2] === 1);
    if (!ok) throw new ShapeMismatchError(`${key}: expected ${ch} or 1×${ch}×1 (one per ${of} channel), found ${formatShape(sh)}`);
  }
  const eps = shapes.get(`${name}/eps`);
  if (eps && sizeOf(eps) !== 1) throw new ShapeMismatchError(`${name}/eps: expected a scalar, found ${formatShape(eps)}`);
}

/**
 * Checks PReLU `name` fits `ch` channels: a scalar slope shared by all
 * channels (Chainer 1.4's default, a 0-d array) or one per channel.
 */
export function checkPrelu(shapes: ReadonlyMap<string, readonly number[]>, name: string, ch: number, of: string): void {
  const key = `${name}/W`;
  const sh = shapes.get(key);
  if (!sh) throw new ShapeMismatchError(`${key}: missing`);
  const n = sizeOf(sh);
  if (!(n === 1 || (n === ch && sh.filter((d) => d !== 1).length <= 1))) {
    throw new ShapeMismatchError(`${key}: expected a scalar slope or ${ch} slopes (one per ${of} channel), found ${formatShape(sh)}`);
  }
}

/** Checks a convolution weight `(out, in, k, k)` against its input channels; returns out and k. */
export function checkConv(shapes: ReadonlyMap<string, readonly number[]>, name: string, cin: number, why: string, k?: number): { out: number; k: number } {
  const w = shapeOf(shapes, `${name}/W`, 4, 'convolution weight (out, in, kh, kw)');
  const [out, inC, kh, kw] = w as [number, number, number, number];
  const wantK = k ?? kh;
  if (inC !== cin || kh !== wantK || kw !== wantK) {
    throw new ShapeMismatchError(`${name}/W: expected ${out}×${cin}×${wantK}×${wantK} to match ${why}, found ${formatShape(w)}`);
  }
  return { out, k: kh };
}

/** A weight as an initializer (its data as float32, the given dims or its own). */
export function weight(g: GraphBuilder, params: Params, name: string, dims?: readonly number[]): string {
  const p = params.get(name);
  if (!p) throw new ShapeMismatchError(`${name}: missing`);
  return g.initializer(name, { type: 'float32', dims: dims ?? p.shape, data: p.data });
}

/** Convolution with square kernel, stride and pad; bias if the file has one. */
export function conv(g: GraphBuilder, params: Params, x: string, name: string, stride: number, pad: number): string {
  const k = params.get(`${name}/W`)!.shape[2]!;
  const inputs = [x, weight(g, params, `${name}/W`)];
  if (params.has(`${name}/b`)) inputs.push(weight(g, params, `${name}/b`));
  return g.op('Conv', inputs, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] }, name);
}

/** Linear layer `y = x Wᵀ + b` on a flattened input. */
export function linear(g: GraphBuilder, params: Params, x: string, name: string): string {
  return g.op('Gemm', [x, weight(g, params, `${name}/W`), weight(g, params, `${name}/b`)], { transB: 1 }, name);
}

/** Chainer's max_pooling_2d (cover_all=True ≡ ONNX ceil_mode=1 without padding). */
export function maxPool(g: GraphBuilder, x: string, k: number, s: number, stem: string): string {
  return g.op('MaxPool', [x], { kernel_shape: [k, k], strides: [s, s], ceil_mode: 1 }, stem);
}

/**
 * Batch normalisation of a 4-d input `[N, C, H, W]`.
 *
 * - `running`: `gamma · (x − avg_mean) / √(avg_var + eps) + beta`. Chainer
 *   links add their eps (2e-5 by default); Chainer 1.4's BatchNormalization
 *   function (the file stores its `eps`) divides by √avg_var alone in test
 *   mode, so eps is 0 there.
 * - `batch`: mean and (biased) variance over N, H, W of this batch, plus the
 *   file's eps: Chainer 1.4's training-mode forward, which the 2015 models
 *   ran at prediction time too.
 */
export function batchNorm(g: GraphBuilder, params: Params, x: string, name: string, mode: BnStatistics): string {
  const ch = sizeOf(params.get(`${name}/gamma`)!.shape);
  const fileEps = params.get(`${name}/eps`)?.data[0];
  if (mode === 'running') {
    const eps = fileEps === undefined ? CHAINER_BN_EPS : 0;
    const stats = ['gamma', 'beta', 'avg_mean', 'avg_var'].map((s) => weight(g, params, `${name}/${s}`, [ch]));
    return g.op('BatchNormalization', [x, ...stats], { epsilon: { float: eps } }, name);
  }
  const eps = fileEps ?? CHAINER_BN_EPS;
  const mean = g.op('ReduceMean', [x], { axes: [0, 2, 3], keepdims: 1 }, `${name}_batch_mean`);
  const d = g.op('Sub', [x, mean], {}, `${name}_centred`);
  const v = g.op('ReduceMean', [g.op('Mul', [d, d], {}, `${name}_sq`)], { axes: [0, 2, 3], keepdims: 1 }, `${name}_batch_var`);
  const std = g.op('Sqrt', [g.op('Add', [v, g.constFloat(`${name}_eps`, [eps], [])], {}, `${name}_var_eps`)], {}, `${name}_std`);
  const xhat = g.op('Div', [d, std], {}, `${name}_xhat`);
  const scaled = g.op('Mul', [xhat, weight(g, params, `${name}/gamma`, [1, ch, 1, 1])], {}, `${name}_scaled`);
  return g.op('Add', [scaled, weight(g, params, `${name}/beta`, [1, ch, 1, 1])], {}, name);
}

/** PReLU `max(x, 0) + W · min(x, 0)`, W a shared scalar or per channel (axis 1). */
export function prelu(g: GraphBuilder, params: Params, x: string, name: string, rank: 2 | 4): string {
  const n = sizeOf(params.get(`${name}/W`)!.shape);
  const dims = n === 1 ? [1] : rank === 4 ? [n, 1, 1] : [n];
  return g.op('PRelu', [x, weight(g, params, `${name}/W`, dims)], {}, name);
}

/** Names that the legacy code and its users gave the regression layer. */
export const HEAD_NAMES = ['fc8', 'out_fc', 'fc', 'pred', 'fc_out', 'out', 'output', 'predict', 'regression'] as const;

/** Layers (`name/W` present) of the file, e.g. `conv1`, `res2/a/conv1`. */
export function layersOf(names: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const n of names) if (n.endsWith('/W')) out.add(n.slice(0, -2));
  return out;
}

/**
 * The regression head among layers not in `body`: a known head name first,
 * else the one remaining top-level layer; undefined if none or ambiguous.
 */
export function findHead(names: ReadonlySet<string>, body: ReadonlySet<string>): string | undefined {
  const candidates = [...layersOf(names)].filter((l) => !body.has(l) && !l.includes('/') && !/^(bn|prelu)/.test(l));
  for (const h of HEAD_NAMES) if (candidates.includes(h)) return h;
  return candidates.length === 1 ? candidates[0] : undefined;
}
