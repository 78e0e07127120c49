/**
 * The band-matrix LRN rewrite (model/quantize/lrn-band.ts) done on the
 * encoded model bytes, for session creation: every ONNX `LRN` becomes the
 * form of model/lrn-band-form.ts. Same output to float rounding (test: < 1e-6 on a Chainer AlexNet), and
 * onnxruntime runs it faster at batch sizes above a few (measured 1.38× for
 * the whole float model at batch 14–32). It scans the protobuf by hand
 * (no schema to load, the weights are copied once, not decoded), so it adds
 * a few milliseconds to start-up. Models without LRN come back unchanged.
 */
import { lrnBandMatrix, lrnPowerTail } from '../lrn-band-form.js';

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Byte range of the whole field (tag included). */
  readonly start: number;
  readonly end: number;
  /** Value range (length-delimited fields) or the varint value. */
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly varint: number;
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [result, pos];
    shift += 7;
  }
}

function fields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const s = pos;
    let tag: number;
    [tag, pos] = readVarint(buf, pos);
    const wire = tag & 7;
    let vs = pos;
    let ve = pos;
    let varint = 0;
    if (wire === 0) {
      [varint, pos] = readVarint(buf, pos);
      ve = pos;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) {
      vs = pos;
      pos += 4;
      ve = pos;
    } else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(buf, pos);
      vs = pos;
      pos += len;
      ve = pos;
    } else throw new Error(`unexpected wire type ${wire}`);
    if (pos > end) throw new Error('field runs past its message');
    out.push({ field: Math.floor(tag / 8), wire, start: s, end: pos, valueStart: vs, valueEnd: ve, varint });
  }
  return out;
}

const text = new TextDecoder();
const str = (buf: Uint8Array, f: Field) => text.decode(buf.subarray(f.valueStart, f.valueEnd));

function varintBytes(v: number): number[] {
  const bytes: number[] = [];
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

/** Tag and length of a length-delimited field. */
function lenHeader(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(length)]);
}

/** A length-delimited field: tag, length, payload. */
function lenField(field: number, payload: Uint8Array): Uint8Array {
  const head = lenHeader(field, payload.length);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const utf8 = new TextEncoder();

/** NodeProto: input (1), output (2), name (3), op_type (4). */
function nodeBytes(op: string, inputs: readonly string[], outputs: readonly string[], name: string): Uint8Array {
  return concat([...inputs.map((i) => lenField(1, utf8.encode(i))), ...outputs.map((o) => lenField(2, utf8.encode(o))), lenField(3, utf8.encode(name)), lenField(4, utf8.encode(op))]);
}

/** A float32 TensorProto: dims (1), data_type (2) = FLOAT, name (8), raw_data (9). */
function floatTensorBytes(name: string, dims: readonly number[], data: Float32Array): Uint8Array {
  return concat([
    ...dims.map((d) => Uint8Array.from([0x08, ...varintBytes(d)])),
    Uint8Array.from([0x10, 1]),
    lenField(8, utf8.encode(name)),
    lenField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
  ]);
}

interface Node {
  readonly f: Field;
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly name: string;
  readonly attrs: Map<string, { f?: number; i?: number }>;
}

function parseNode(buf: Uint8Array, f: Field): Node {
  const n: Node = { f, op: '', inputs: [], outputs: [], name: '', attrs: new Map() };
  let op = '';
  let name = '';
  for (const x of fields(buf, f.valueStart, f.valueEnd)) {
    if (x.field === 1) n.inputs.push(str(buf, x));
    else if (x.field === 2) n.outputs.push(str(buf, x));
    else if (x.field === 3) name = str(buf, x);
    else if (x.field === 4) op = str(buf, x);
    else if (x.field === 5) {
      let an = '';
      const v: { f?: number; i?: number } = {};
      for (const a of fields(buf, x.valueStart, x.valueEnd)) {
        if (a.field === 1) an = str(buf, a);
        else if (a.field === 2 && a.wire === 5) v.f = new DataView(buf.buffer, buf.byteOffset + a.valueStart, 4).getFloat32(0, true);
        else if (a.field === 3 && a.wire === 0) v.i = a.varint;
      }
      n.attrs.set(an, v);
    }
  }
  return { ...n, op, name };
}

/** dims of an initializer TensorProto (packed or not). */
function tensorNameDims(buf: Uint8Array, f: Field): { name: string; dims: number[] } {
  let name = '';
  const dims: number[] = [];
  for (const x of fields(buf, f.valueStart, f.valueEnd)) {
    if (x.field === 8) name = str(buf, x);
    else if (x.field === 1 && x.wire === 0) dims.push(x.varint);
    else if (x.field === 1 && x.wire === 2) {
      for (let p = x.valueStart; p < x.valueEnd;) {
        let d: number;
        [d, p] = readVarint(buf, p);
        dims.push(d);
      }
    }
  }
  return { name, dims };
}

/**
 * Returns `bytes` with every LRN in band-matrix form, or `bytes` itself when
 * the model has no LRN (or one whose channel count cannot be traced to a
 * convolution: left as it is).
 */
export function bandLrnBytes(bytes: Uint8Array): Uint8Array {
  const top = fields(bytes, 0, bytes.length);
  const g = top.find((f) => f.field === 7 && f.wire === 2);
  if (!g) return bytes;
  const gf = fields(bytes, g.valueStart, g.valueEnd);
  const nodes = gf.filter((f) => f.field === 1).map((f) => parseNode(bytes, f));
  if (!nodes.some((n) => n.op === 'LRN')) return bytes;
  const dims = new Map(gf.filter((f) => f.field === 5).map((f) => tensorNameDims(bytes, f)).map((t) => [t.name, t.dims]));
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const channelsOf = (v: string): number | undefined => {
    for (let hops = 0; hops < 16; hops++) {
      const p = producer.get(v);
      if (!p) return undefined;
      if (p.op === 'Conv') return dims.get(p.inputs[1]!)?.[0];
      v = p.inputs[0]!;
    }
    return undefined;
  };
  const replaced = new Map<Field, Uint8Array[]>();
  const extraInits: Uint8Array[] = [];
  for (const [k, n] of nodes.entries()) {
    if (n.op !== 'LRN') continue;
    const c = channelsOf(n.inputs[0]!);
    const size = n.attrs.get('size')?.i ?? 0;
    if (!c || !(size > 0)) continue;
    const alpha = n.attrs.get('alpha')?.f ?? 1e-4;
    const beta = n.attrs.get('beta')?.f ?? 0.75;
    const bias = n.attrs.get('bias')?.f ?? 1;
    const p = `__band_lrn${k}`;
    const [x, y] = [n.inputs[0]!, n.outputs[0]!];
    extraInits.push(
      lenField(5, floatTensorBytes(`${p}_W`, [c, c, 1, 1], lrnBandMatrix(c, size, alpha))),
      lenField(5, floatTensorBytes(`${p}_b`, [c], new Float32Array(c).fill(bias))),
    );
    const tail = lrnPowerTail(beta);
    if (tail.exponent !== undefined) extraInits.push(lenField(5, floatTensorBytes(`${p}_exp`, [], Float32Array.of(tail.exponent))));
    const value = (v: string): string => (v === 'x' ? x : v === 'y' ? y : v === 't' ? `${p}_s` : `${p}_${v}`);
    replaced.set(n.f, [
      lenField(1, nodeBytes('Mul', [x, x], [`${p}_sq`], `${p}_sq_node`)),
      lenField(1, nodeBytes('Conv', [`${p}_sq`, `${p}_W`, `${p}_b`], [`${p}_s`], `${p}_conv_node`)),
      ...tail.nodes.map((t) => lenField(1, nodeBytes(t.op, t.inputs.map(value), [value(t.output)], t.role === 'out' ? `${n.name || p}_band` : `${p}_${t.role}_node`))),
    ]);
  }
  if (replaced.size === 0) return bytes;
  // One copy of the weights: the parts are views until the final concatenation.
  const graph = [...gf.flatMap((f) => replaced.get(f) ?? [bytes.subarray(f.start, f.end)]), ...extraInits];
  const graphLength = graph.reduce((a, p) => a + p.length, 0);
  return concat(top.flatMap((f) => (f === g ? [lenHeader(7, graphLength), ...graph] : [bytes.subarray(f.start, f.end)])));
}
