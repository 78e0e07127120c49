/**
 * Graph pass: a float model becomes a static int8 model in QDQ form
 * (QuantizeLinear / DequantizeLinear pairs that onnxruntime fuses into
 * QLinearConv / QGemm and uint8 MaxPool):
 *
 * - weights of every Conv and Gemm (except `floatNodes`, and the LRN band
 *   convolutions, which stay float) are int8, symmetric, one scale per
 *   output channel; biases are int32 with scale `s_input · s_weight[c]`;
 * - activations are uint8 with a per-tensor scale and zero point from the
 *   calibrated range `[lo, hi]` (widened to hold 0);
 * - every quantized op's output gets its own Q/DQ pair (without one
 *   onnxruntime does not fuse, and the graph runs slower than float); a Relu
 *   right after it is absorbed into that pair (zero point 0, range [0, hi]:
 *   uint8's clamp is the Relu);
 * - MaxPool / Flatten / Reshape after a DQ get a Q/DQ with the same
 *   parameters (exact: they only move or select values), so they run on
 *   uint8; anything else (the LRN's float ops) reads the DQ output and its
 *   result is calibrated again before the next quantized op.
 */
import { consumers, dims, DT, floatData, freshNamer, GraphPassError, initializers, tensor, type ModelProto, type NodeProto } from './graph.js';

/** A calibrated value range `[lo, hi]` of one activation tensor. */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

export interface QdqOptions {
  /** Node names (e.g. `fc8_node`) whose op stays float. */
  readonly floatNodes?: ReadonlySet<string>;
  /** Node names never quantized (the LRN band convolutions). */
  readonly excludeNodes?: ReadonlySet<string>;
}

/** uint8 affine parameters: real = scale · (q − zeroPoint). */
export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** uint8 parameters for a range (widened to include 0, as Q must represent 0 exactly). */
export function uint8Params(r: Range): QParams {
  const lo = Math.min(0, r.lo);
  const hi = Math.max(0, r.hi);
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new GraphPassError(`calibrated range [${r.lo}, ${r.hi}] is not finite`);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale: Math.fround(scale), zeroPoint };
}

/**
 * Symmetric int8 per output channel (axis 0) of a weight `[O, …]`:
 * `q = round(w / s_c)` in [−127, 127], `s_c = max|w_c| / 127`.
 */
export function quantizeWeightsPerChannel(w: Float32Array, outChannels: number): { q: Int8Array; scales: Float32Array } {
  const per = w.length / outChannels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]!));
    const s = m > 0 ? Math.fround(m / 127) : 1;
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / s)));
  }
  return { q, scales };
}

const PASS_THROUGH = new Set(['MaxPool', 'Flatten', 'Reshape']);

/** Whether node `n` is a Conv or Gemm with initializer weights that the pass quantizes. */
function quantizable(n: NodeProto, inits: ReadonlySet<string>, options: QdqOptions): boolean {
  return (n.opType === 'Conv' || n.opType === 'Gemm')
    && inits.has(n.input?.[1] ?? '')
    && !options.excludeNodes?.has(n.name ?? '')
    && !options.floatNodes?.has(n.name ?? '');
}

/**
 * The activation tensors the pass needs ranges for, in graph order (run
 * the float model with these as outputs to calibrate).
 */
export function calibrationTargets(m: ModelProto, options: QdqOptions = {}): string[] {
  const names: string[] = [];
  const copy = structuredCloneModel(m);
  applyQdq(copy, (v) => {
    if (!names.includes(v)) names.push(v);
    return { lo: 0, hi: 1 };
  }, options);
  return names;
}

function structuredCloneModel(m: ModelProto): ModelProto {
  // Nodes and value infos are rewritten; initializers are only replaced, never mutated.
  const g = m.graph!;
  return {
    ...m,
    graph: {
      ...g,
      node: (g.node ?? []).map((n) => ({ ...n, input: [...(n.input ?? [])], output: [...(n.output ?? [])] })),
      initializer: [...(g.initializer ?? [])],
      output: [...(g.output ?? [])],
    },
  } as ModelProto;
}

/**
 * Rewrites `m` in place to QDQ form. `rangeOf(value)` gives the calibrated
 * range of a float activation tensor. Returns the nodes quantized.
 */
export function applyQdq(m: ModelProto, rangeOf: (value: string) => Range, options: QdqOptions = {}): { quantized: string[]; float: string[] } {
  const g = m.graph!;
  const fresh = freshNamer(m);
  const inits = initializers(m);
  const initNames = new Set(inits.keys());
  const nodes = g.node ?? [];
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name!));
  const newInits: ReturnType<typeof tensor>[] = [];
  const replacedInits = new Set<string>();
  const out: NodeProto[] = [];
  /** Float values that are exactly a DQ output, with their parameters. */
  const repr = new Map<string, QParams>();
  /** Float value → its Q/DQ'd twin (for values quantized on the way into an op). */
  const twin = new Map<string, string>();
  /** Renames applied to the inputs of later nodes. */
  const rename = new Map<string, string>();
  const skip = new Set<NodeProto>();
  const quantized: string[] = [];
  const float: string[] = [];

  const scalar = (stem: string, dataType: number, v: number): string => {
    const name = fresh(stem);
    const data = dataType === DT.FLOAT ? Float32Array.of(v) : dataType === DT.UINT8 ? Uint8Array.of(v) : dataType === DT.INT8 ? Int8Array.of(v) : Int32Array.of(v);
    newInits.push(tensor(name, dataType, [], data));
    return name;
  };
  /** Emits `value → Q → DQ → result` with `p`; returns the DQ output. */
  const qdq = (value: string, p: QParams, stem: string, result = fresh(`${stem}_dq`)): string => {
    const s = scalar(`${stem}_scale`, DT.FLOAT, p.scale);
    const z = scalar(`${stem}_zero_point`, DT.UINT8, p.zeroPoint);
    const q = fresh(`${stem}_q`);
    out.push({ opType: 'QuantizeLinear', name: fresh(`${stem}_QuantizeLinear`), input: [value, s, z], output: [q] });
    out.push({ opType: 'DequantizeLinear', name: fresh(`${stem}_DequantizeLinear`), input: [q, s, z], output: [result] });
    repr.set(result, p);
    return result;
  };

  for (const n0 of nodes) {
    if (skip.has(n0)) continue;
    const n = { ...n0, input: (n0.input ?? []).map((v) => rename.get(v) ?? v), output: [...(n0.output ?? [])] };
    if ((n.opType === 'Conv' || n.opType === 'Gemm') && initNames.has(n.input[1] ?? '') && !options.excludeNodes?.has(n.name ?? '') && options.floatNodes?.has(n.name ?? '')) float.push(n.name ?? n.opType!);
    if (quantizable(n, initNames, options)) {
      const stem = (n.name ?? n.opType!).replace(/_node$/, '');
      // Data input.
      let x = n.input[0]!;
      if (!repr.has(x)) {
        let t = twin.get(x);
        if (!t) {
          t = qdq(x, uint8Params(rangeOf(x)), `${stem}_input`);
          twin.set(x, t);
        }
        x = t;
      }
      const sx = repr.get(x)!.scale;
      // Weights: int8 per output channel.
      const wInit = inits.get(n.input[1]!)!;
      const wDims = dims(wInit);
      if (n.opType === 'Gemm' && !(n.attribute ?? []).some((a) => a.name === 'transB' && Number(a.i) === 1)) {
        throw new GraphPassError(`${n.name}: only Gemm with transB=1 (weights [out, in]) is quantized`);
      }
      const { q, scales } = quantizeWeightsPerChannel(floatData(wInit), wDims[0]!);
      const wq = fresh(`${wInit.name}_quantized`);
      const ws = fresh(`${wInit.name}_scale`);
      const wz = fresh(`${wInit.name}_zero_point`);
      newInits.push(tensor(wq, DT.INT8, wDims, q), tensor(ws, DT.FLOAT, [wDims[0]!], scales), tensor(wz, DT.INT8, [wDims[0]!], new Int8Array(wDims[0]!)));
      replacedInits.add(wInit.name!);
      const wdq = fresh(`${wInit.name}_dq`);
      out.push({ opType: 'DequantizeLinear', name: fresh(`${stem}_W_DequantizeLinear`), input: [wq, ws, wz], output: [wdq], attribute: [{ name: 'axis', type: 2, i: 0 }] });
      // Bias: int32 with scale s_x · s_w[c].
      let bdq: string | undefined;
      if (n.input[2]) {
        const bInit = inits.get(n.input[2]);
        if (!bInit) throw new GraphPassError(`${n.name}: bias ${n.input[2]} is not an initializer`);
        const b = floatData(bInit);
        const bScale = new Float32Array(b.length);
        const bq = new Int32Array(b.length);
        for (let c = 0; c < b.length; c++) {
          bScale[c] = Math.fround(sx * scales[c]!);
          bq[c] = Math.round(b[c]! / bScale[c]!);
        }
        const bn = fresh(`${bInit.name}_quantized`);
        const bs = fresh(`${bInit.name}_scale`);
        const bz = fresh(`${bInit.name}_zero_point`);
        newInits.push(tensor(bn, DT.INT32, [b.length], bq), tensor(bs, DT.FLOAT, [b.length], bScale), tensor(bz, DT.INT32, [b.length], new Int32Array(b.length)));
        replacedInits.add(bInit.name!);
        bdq = fresh(`${bInit.name}_dq`);
        out.push({ opType: 'DequantizeLinear', name: fresh(`${stem}_b_DequantizeLinear`), input: [bn, bs, bz], output: [bdq], attribute: [{ name: 'axis', type: 2, i: 0 }] });
      }
      n.input = [x, wdq, ...(bdq ? [bdq] : [])];
      out.push(n);
      quantized.push(n.name ?? stem);
      // Output: its own Q/DQ; a sole Relu consumer is absorbed.
      const o = n.output[0]!;
      if (graphOutputs.has(o)) continue;
      const cons = consumers(nodes, o);
      if (cons.length === 1 && cons[0]!.opType === 'Relu' && !graphOutputs.has(cons[0]!.output![0]!)) {
        const relu = cons[0]!;
        skip.add(relu);
        const r = rangeOf(relu.output![0]!);
        qdq(o, uint8Params({ lo: 0, hi: Math.max(0, r.hi) }), `${stem}_output`, relu.output![0]!);
      } else {
        rename.set(o, qdq(o, uint8Params(rangeOf(o)), `${stem}_output`));
      }
      continue;
    }
    out.push(n);
    if (PASS_THROUGH.has(n.opType!) && repr.has(n.input[0]!) && !graphOutputs.has(n.output[0]!)) {
      const p = repr.get(n.input[0]!)!;
      rename.set(n.output[0]!, qdq(n.output[0]!, p, `${(n.name ?? n.opType!).replace(/_node$/, '')}_output`));
    }
  }
  g.node = out;
  g.initializer = [...(g.initializer ?? []).filter((t) => !replacedInits.has(t.name!)), ...newInits];
  return { quantized, float };
}

/** Adds `values` as extra float outputs of `m` (for calibration runs). */
export function exposeValues(m: ModelProto, values: readonly string[]): void {
  const g = m.graph!;
  const have = new Set((g.output ?? []).map((o) => o.name));
  for (const v of values) {
    if (have.has(v)) continue;
    g.output!.push({ name: v, type: { tensorType: { elemType: DT.FLOAT } } });
  }
}
