/**
 * A small ONNX graph builder on the official protobuf schema (`onnx-proto`).
 * Used by the converter (inference graphs) and by training (graphs that
 * compute loss, gradients and optimizer updates). Initializers reference the
 * caller's typed arrays (no copy until the final encode).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ElemType = 'float32' | 'int64' | 'bool' | 'int32';
/** A dimension: a fixed size or a symbolic name such as `N`. */
export type Dim = number | string;
/**
 * An attribute value: an integer number is an INT attribute (use
 * `{ float: x }` to force FLOAT for a whole-valued float such as LRN's
 * `bias: 2`), a string is STRING, an array is INTS.
 */
export type AttrValue = number | string | readonly number[] | { float: number } | { ints: readonly number[] } | { floats: readonly number[] } | { tensor: TensorValue };

export interface TensorValue {
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** ONNX IR version 8 (ONNX 1.10 … 1.14): enough for opsets up to 18. */
const IR_VERSION = 8;

function tensorProto(name: string, t: TensorValue): onnxProto.onnx.ITensorProto {
  const d = t.data;
  return {
    name,
    dataType: DATA_TYPE[t.type],
    dims: t.dims.map((x) => x),
    rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v.map((x) => x) };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints.map((x) => x) };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats.map((x) => x) };
  if ('tensor' in v) return { name, type: T.TENSOR, t: tensorProto('', v.tensor) };
  throw new TypeError(`attribute ${name}: unsupported value`);
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh value name with the given stem. */
  fresh(stem: string): string {
    let n = stem;
    while (this.used.has(n)) n = `${stem}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A constant tensor stored in the model (weights). */
  initializer(name: string, tensor: TensorValue): string {
    const n = this.fresh(name);
    this.inits.push(tensorProto(n, tensor));
    return n;
  }

  /** A float32 constant. */
  constFloat(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    return this.initializer(name, { type: 'float32', dims, data: data instanceof Float32Array ? data : Float32Array.from(data) });
  }

  /** An int64 constant (shapes, axes). */
  constInt64(name: string, data: readonly number[], dims: readonly number[] = [data.length]): string {
    return this.initializer(name, { type: 'int64', dims, data: BigInt64Array.from(data.map((x) => BigInt(x))) });
  }

  /**
   * Adds a node. `outputs` is a list of names, or a count of fresh names
   * derived from `stem`. Returns the output names.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: readonly string[] | number = 1, stem?: string): string[] {
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.fresh(`${stem ?? opType.toLowerCase()}${outputs > 1 ? `_${i}` : ''}`))
      : outputs.map((o) => {
          this.used.add(o);
          return o;
        });
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outs,
      name: this.fresh(`${stem ?? opType}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Shorthand for a single-output node. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, stem?: string): string {
    return this.node(opType, inputs, attrs, 1, stem)[0]!;
  }

  /** Serialises the model into one buffer. */
  encode(options: EncodeOptions): Uint8Array {
    return Buffer.concat(this.encodeChunks(options));
  }

  /**
   * Serialises the model as a list of chunks whose concatenation is the
   * ModelProto. Initializer data are views of the caller's arrays, not
   * copies, so a 230 MB model can be streamed to disk without a second copy
   * in memory. (Protobuf allows fields in any order: the graph's
   * initializers are appended after its other fields.)
   */
  encodeChunks(options: EncodeOptions): Uint8Array[] {
    const graph = onnx.GraphProto.encode({
      name: this.name,
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
    }).finish();
    const graphChunks: Uint8Array[] = [graph];
    let graphLen = graph.length;
    for (const t of this.inits) {
      const head = onnx.TensorProto.encode({ ...t, rawData: undefined }).finish();
      const raw = t.rawData as Uint8Array;
      const rawField = [fieldHeader(9, raw.byteLength)];
      const tensorLen = head.length + rawField[0]!.length + raw.byteLength;
      const initField = fieldHeader(5, tensorLen);
      graphChunks.push(initField, head, rawField[0]!, raw);
      graphLen += initField.length + tensorLen;
    }
    const model = onnx.ModelProto.encode(this.modelHeader(options)).finish();
    return [model, fieldHeader(7, graphLen), ...graphChunks];
  }

  private modelHeader(options: EncodeOptions): onnxProto.onnx.IModelProto {
    return {
      irVersion: IR_VERSION,
      producerName: options.producer ?? 'deeppose-resurrected',
      producerVersion: '0.1.0',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opset }],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
}

export interface EncodeOptions {
  readonly opset: number;
  readonly producer?: string;
  readonly docString?: string;
  readonly metadata?: Record<string, string>;
}

/** Tag and length of a length-delimited protobuf field. */
function fieldHeader(field: number, length: number): Uint8Array {
  const bytes: number[] = [];
  const varint = (v: number) => {
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
  };
  varint(field * 8 + 2);
  varint(length);
  return Uint8Array.from(bytes);
}

/** Reads the metadata properties of an encoded model without running it. */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const m = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) out[p.key ?? ''] = p.value ?? '';
  return out;
}
