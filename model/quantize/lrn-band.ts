/**
 * Graph pass: every ONNX `LRN` becomes its band-matrix form
 *
 *   y = x · (bias + Conv1x1(x·x, W))^(−β),  W[c, i] = α/size for i in c's window
 *
 * (for β = 0.75, the usual value, `y = x / (√t · √√t)` with `t` the bracket:
 * two square roots run faster than onnxruntime's Pow, 1.6 ms of 27 per batch
 * of 14 crops for the float stage 2; the same values to float rounding)
 * (the window of ONNX's LRN: `c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉`, clipped to
 * the channels; `bias` is the 1×1 convolution's bias). Same values as the
 * LRN kernel to float rounding, but the windowed sum becomes a small matrix
 * product, which onnxruntime runs much faster than its LRN kernel at batch
 * sizes above a few (measured: 1.38× for the whole float model at batch
 * 14–32), and which leaves the graph free of the one op int8 cannot fuse
 * around. The channel count is read from the convolution that produces the
 * LRN's input.
 */
import { attr, channelsOf, DT, freshNamer, GraphPassError, tensor, type ModelProto, type NodeProto } from './graph.js';

/** ONNX LRN's window as a `[C, C, 1, 1]` matrix scaled by α/size. */
export function lrnBandMatrix(channels: number, size: number, alpha: number): Float32Array {
  const m = new Float32Array(channels * channels);
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  const a = alpha / size;
  for (let c = 0; c < channels; c++) {
    for (let i = Math.max(0, c - lo); i <= Math.min(channels - 1, c + hi); i++) m[c * channels + i] = a;
  }
  return m;
}

/** Rewrites every LRN of `m` in place; returns how many were rewritten. */
export function rewriteLrnAsBand(m: ModelProto): number {
  const g = m.graph!;
  const fresh = freshNamer(m);
  const out: NodeProto[] = [];
  let count = 0;
  for (const n of g.node ?? []) {
    if (n.opType !== 'LRN') {
      out.push(n);
      continue;
    }
    const x = n.input![0]!;
    const y = n.output![0]!;
    const size = Number(attr(n, 'size')?.i ?? 0);
    const alpha = attr(n, 'alpha')?.f ?? 1e-4;
    const beta = attr(n, 'beta')?.f ?? 0.75;
    const bias = attr(n, 'bias')?.f ?? 1;
    const c = channelsOf(m, x);
    if (!c || !(size > 0)) throw new GraphPassError(`${n.name}: cannot rewrite LRN (size ${size}, input channels ${c ?? 'unknown'}: no convolution found upstream)`);
    const stem = n.name?.replace(/_node$/, '') ?? `lrn${count}`;
    const w = fresh(`${stem}_band_W`);
    const b = fresh(`${stem}_band_b`);
    g.initializer!.push(
      tensor(w, DT.FLOAT, [c, c, 1, 1], lrnBandMatrix(c, size, alpha)),
      tensor(b, DT.FLOAT, [c], new Float32Array(c).fill(bias)),
    );
    const sq = fresh(`${stem}_sq`);
    const s = fresh(`${stem}_s`);
    const d = fresh(`${stem}_d`);
    out.push(
      { opType: 'Mul', name: fresh(`${stem}_sq_node`), input: [x, x], output: [sq] },
      { opType: 'Conv', name: fresh(`${stem}_band_node`), input: [sq, w, b], output: [s] },
    );
    if (beta === 0.75) {
      // t^0.75 = √t · √√t, then y = x / t^0.75.
      const r2 = fresh(`${stem}_sqrt`);
      const r4 = fresh(`${stem}_sqrt_sqrt`);
      out.push(
        { opType: 'Sqrt', name: fresh(`${stem}_sqrt_node`), input: [s], output: [r2] },
        { opType: 'Sqrt', name: fresh(`${stem}_sqrt_sqrt_node`), input: [r2], output: [r4] },
        { opType: 'Mul', name: fresh(`${stem}_pow_node`), input: [r2, r4], output: [d] },
        { opType: 'Div', name: fresh(`${stem}_node`), input: [x, d], output: [y] },
      );
    } else {
      const e = fresh(`${stem}_band_exp`);
      g.initializer!.push(tensor(e, DT.FLOAT, [], Float32Array.of(-beta)));
      out.push(
        { opType: 'Pow', name: fresh(`${stem}_pow_node`), input: [s, e], output: [d] },
        { opType: 'Mul', name: fresh(`${stem}_node`), input: [x, d], output: [y] },
      );
    }
    count++;
  }
  g.node = out;
  return count;
}

/** Whether the model has an LRN node. */
export function hasLrn(m: ModelProto): boolean {
  return (m.graph!.node ?? []).some((n) => n.opType === 'LRN');
}
