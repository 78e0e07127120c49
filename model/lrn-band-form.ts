/**
 * The band-matrix form of ONNX LRN, shared by the two passes that write it —
 * model/quantize/lrn-band.ts on a decoded model, model/runtime/band-lrn.ts
 * on the encoded bytes (no schema to load):
 *
 *   t = bias + Conv1x1(x·x, W),  W[c, i] = α/size for i in c's window,
 *   y = x · t^(−β)              (for β = 0.75: y = x / (√t · √√t), two square
 *                                roots running faster than onnxruntime's Pow)
 *
 * The window is ONNX LRN's: `c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉`, clipped to
 * the channels. No imports: the runtime pass stays light.
 */

/** ONNX LRN's window as a `[C, C]` matrix (row c: the channels summed for c) scaled by α/size. */
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

/**
 * One node of the tail `t → y`. Values are named by role: `x` (the LRN's
 * input), `t` (the bracket), `y` (the LRN's output), `exp` (the exponent
 * initializer), and the intermediates `r2`, `r4`, `d`; `role` names the node.
 */
export interface LrnTailNode {
  readonly op: 'Sqrt' | 'Mul' | 'Div' | 'Pow';
  readonly role: 'sqrt' | 'sqrt_sqrt' | 'pow' | 'out';
  readonly inputs: readonly string[];
  readonly output: string;
}

/** The nodes from the bracket `t` to `y` for this β, and the exponent initializer's value when they need one (`exp`). */
export function lrnPowerTail(beta: number): { readonly nodes: readonly LrnTailNode[]; readonly exponent?: number } {
  if (beta === 0.75) {
    return {
      nodes: [
        { op: 'Sqrt', role: 'sqrt', inputs: ['t'], output: 'r2' },
        { op: 'Sqrt', role: 'sqrt_sqrt', inputs: ['r2'], output: 'r4' },
        { op: 'Mul', role: 'pow', inputs: ['r2', 'r4'], output: 'd' },
        { op: 'Div', role: 'out', inputs: ['x', 'd'], output: 'y' },
      ],
    };
  }
  return {
    nodes: [
      { op: 'Pow', role: 'pow', inputs: ['t', 'exp'], output: 'd' },
      { op: 'Mul', role: 'out', inputs: ['x', 'd'], output: 'y' },
    ],
    exponent: -beta,
  };
}
