/**
 * A decoded ONNX model (`onnx-proto`'s ModelProto) and the few helpers the
 * graph passes here need: read an initializer as a typed array, add
 * initializers of any element type, find a value's producer and consumers.
 * Passes mutate the decoded model in place; `encodeModel` serialises it.
 */
import onnxProto from 'onnx-proto';
import { DeepPoseError } from '../../core/errors.js';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

export const DT = onnx.TensorProto.DataType;

export class GraphPassError extends DeepPoseError {
  constructor(message: string) {
    super('E_GRAPH_PASS', message);
  }
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

/** Initializers of the model's graph by name. */
export function initializers(m: ModelProto): Map<string, TensorProto> {
  return new Map((m.graph!.initializer ?? []).map((t) => [t.name!, t]));
}

/** A float32 initializer's values (a copy; raw_data or float_data). */
export function floatData(t: TensorProto): Float32Array {
  if (t.dataType !== DT.FLOAT) throw new GraphPassError(`initializer ${t.name}: expected float32, found data type ${t.dataType}`);
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function dims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

/** A tensor proto holding `data` as raw bytes. */
export function tensor(name: string, dataType: number, shape: readonly number[], data: Float32Array | Int8Array | Uint8Array | Int32Array): TensorProto {
  return { name, dataType, dims: [...shape], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The node that outputs `value`, if any. */
export function producer(nodes: readonly NodeProto[], value: string): NodeProto | undefined {
  return nodes.find((n) => (n.output ?? []).includes(value));
}

/** The nodes that read `value`. */
export function consumers(nodes: readonly NodeProto[], value: string): NodeProto[] {
  return nodes.filter((n) => (n.input ?? []).includes(value));
}

export function attr(n: NodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}

/** A fresh name not used by any value, node or initializer of the graph. */
export function freshNamer(m: ModelProto): (stem: string) => string {
  const used = new Set<string>();
  for (const n of m.graph!.node ?? []) {
    for (const v of [...(n.input ?? []), ...(n.output ?? [])]) used.add(v);
    if (n.name) used.add(n.name);
  }
  for (const t of m.graph!.initializer ?? []) used.add(t.name!);
  for (const v of [...(m.graph!.input ?? []), ...(m.graph!.output ?? [])]) used.add(v.name!);
  return (stem: string) => {
    let name = stem;
    for (let i = 1; used.has(name); i++) name = `${stem}_${i}`;
    used.add(name);
    return name;
  };
}

/** Output channels of the convolution that (through single-input ops such as Relu and MaxPool) produces `value`. */
export function channelsOf(m: ModelProto, value: string): number | undefined {
  const nodes = m.graph!.node ?? [];
  const inits = initializers(m);
  let v = value;
  for (let hops = 0; hops < 16; hops++) {
    const p = producer(nodes, v);
    if (!p) return undefined;
    if (p.opType === 'Conv') {
      const w = inits.get(p.input![1]!);
      return w ? dims(w)[0] : undefined;
    }
    v = p.input![0]!;
  }
  return undefined;
}
