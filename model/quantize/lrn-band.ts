/**
 * Graph pass on a decoded model: every ONNX `LRN` becomes its band-matrix
 * form (model/lrn-band-form.ts: a 1×1 convolution with the window matrix,
 * then `x · t^(−β)`, for β = 0.75 two square roots). Same values as the LRN
 * kernel to float rounding, but the windowed sum becomes a small matrix
 * product, which onnxruntime runs much faster than its LRN kernel at batch
 * sizes above a few (measured: 1.38× for the whole float model at batch
 * 14–32), and which leaves the graph free of the one op int8 cannot fuse
 * around; the square roots save 1.6 of 27 ms per batch of 14 crops for the
 * float stage 2. The channel count is read from the convolution that
 * produces the LRN's input.
 */
import { attr, channelsOf, DT, freshNamer, GraphPassError, tensor, type ModelProto, type NodeProto } from './graph.js';
import { lrnBandMatrix, lrnPowerTail } from '../lrn-band-form.js';

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
    out.push(
      { opType: 'Mul', name: fresh(`${stem}_sq_node`), input: [x, x], output: [sq] },
      { opType: 'Conv', name: fresh(`${stem}_band_node`), input: [sq, w, b], output: [s] },
    );
    const tail = lrnPowerTail(beta);
    const names = new Map([['x', x], ['t', s], ['y', y]]);
    if (tail.exponent !== undefined) {
      names.set('exp', fresh(`${stem}_band_exp`));
      g.initializer!.push(tensor(names.get('exp')!, DT.FLOAT, [], Float32Array.of(tail.exponent)));
    }
    const value = (v: string): string => {
      if (!names.has(v)) names.set(v, fresh(`${stem}_${v}`));
      return names.get(v)!;
    };
    for (const t of tail.nodes) {
      out.push({ opType: t.op, name: fresh(t.role === 'out' ? `${stem}_node` : `${stem}_${t.role}_node`), input: t.inputs.map(value), output: [value(t.output)] });
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
