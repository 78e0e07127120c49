/**
 * NumPy `.npy` format (versions 1.0, 2.0, 3.0): parse into native-endian,
 * C-order typed arrays, and encode back. Big-endian and Fortran-order arrays
 * are read correctly; object arrays and unknown dtypes are refused.
 */
import { DeepPoseError, formatShape } from '../../core/errors.js';

/** Element types we read and write. `unicode` arrays come back as `string[]`. */
export type DType =
  | 'float16' | 'float32' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'unicode';

export type NumericData =
  | Float32Array | Float64Array | Uint16Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint32Array | BigUint64Array;

/** An n-dimensional array in C (row-major) order, native endianness. */
export interface NdArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** `float16` is kept as raw `Uint16Array` bits; `bool` as `Uint8Array` of 0/1. */
  readonly data: NumericData | string[];
}

/** A `.npy` payload that cannot be read. */
export class NpyFormatError extends DeepPoseError {
  constructor(message: string) {
    super('E_NPY_FORMAT', message);
  }
}

/** A dtype we recognise but do not support (object arrays, structured, complex…). */
export class UnsupportedDTypeError extends DeepPoseError {
  constructor(message: string) {
    super('E_UNSUPPORTED_DTYPE', message);
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface KindInfo { dtype: DType; size: number }

const KINDS: Record<string, KindInfo> = {
  f2: { dtype: 'float16', size: 2 }, f4: { dtype: 'float32', size: 4 }, f8: { dtype: 'float64', size: 8 },
  i1: { dtype: 'int8', size: 1 }, i2: { dtype: 'int16', size: 2 }, i4: { dtype: 'int32', size: 4 }, i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 }, u2: { dtype: 'uint16', size: 2 }, u4: { dtype: 'uint32', size: 4 }, u8: { dtype: 'uint64', size: 8 },
  b1: { dtype: 'bool', size: 1 },
};

/** Bytes per element of a numeric dtype. */
export function dtypeSize(dtype: DType): number {
  const k = Object.values(KINDS).find((v) => v.dtype === dtype);
  if (!k) throw new UnsupportedDTypeError(`dtype ${dtype} has no fixed element size`);
  return k.size;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

interface Header { descr: string; fortran: boolean; shape: number[]; dataOffset: number }

/**
 * Parses the header of a `.npy` buffer. `name` is used in messages
 * (e.g. `fc6/W.npy`).
 */
export function parseNpyHeader(buf: Uint8Array, name: string): Header {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new NpyFormatError(`${name}: not a .npy array (missing the \\x93NUMPY magic)`);
  }
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyFormatError(`${name}: .npy header truncated`);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyFormatError(`${name}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (start + headerLen > buf.length) {
    throw new NpyFormatError(`${name}: .npy header claims ${headerLen} bytes but only ${buf.length - start} remain`);
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*('([^']*)'|\[)/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new NpyFormatError(`${name}: malformed .npy header ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  if (descr[1] === '[') {
    throw new UnsupportedDTypeError(`${name}: structured dtype is not supported (expected a plain numeric array)`);
  }
  const dims = shape[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const parsed = dims.map((d) => {
    const n = Number(d.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new NpyFormatError(`${name}: bad dimension ${JSON.stringify(d)} in .npy header`);
    return n;
  });
  return { descr: descr[2]!, fortran: fortran[1] === 'True', shape: parsed, dataOffset: start + headerLen };
}

function littleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Parses a whole `.npy` buffer. The returned typed array aliases `buf`
 * when no conversion is needed (little-endian, C order, aligned), so a
 * 150 MB weight matrix is not copied.
 */
export function parseNpy(buf: Uint8Array, name: string): NdArray {
  const h = parseNpyHeader(buf, name);
  return decodeArray(h.descr, h.fortran, h.shape, buf.subarray(h.dataOffset), name);
}

/**
 * An array from its dtype string (`<f4`), order, shape and raw bytes (which
 * may be longer than needed). The typed array aliases `raw` when no
 * conversion is needed.
 */
export function decodeArray(descr: string, fortran: boolean, shape: number[], rawBytes: Uint8Array, name: string): NdArray {
  const h = { descr, fortran, shape };
  const buf = rawBytes;
  const dataOffset = 0;
  const order = h.descr[0]!;
  const kindKey = h.descr.slice(1);
  const count = elementCount(h.shape);
  if (h.descr === '|O' || kindKey === 'O') {
    throw new UnsupportedDTypeError(`${name}: object arrays (dtype 'O', pickled Python objects) are not supported; expected a numeric array`);
  }
  if (kindKey.startsWith('U')) {
    const width = Number(kindKey.slice(1));
    const bytes = count * width * 4;
    checkLength(buf, dataOffset, bytes, name, h.shape, h.descr);
    const dv = new DataView(buf.buffer, buf.byteOffset + dataOffset, bytes);
    const little = order !== '>';
    const strings: string[] = [];
    for (let i = 0; i < count; i++) {
      let s = '';
      for (let c = 0; c < width; c++) {
        const cp = dv.getUint32((i * width + c) * 4, little);
        if (cp === 0) break;
        s += String.fromCodePoint(cp);
      }
      strings.push(s);
    }
    return { dtype: 'unicode', shape: h.shape, data: h.fortran ? fortranToC(strings, h.shape) : strings };
  }
  const kind = KINDS[kindKey];
  if (!kind || !['<', '>', '|', '='].includes(order)) {
    throw new UnsupportedDTypeError(`${name}: dtype '${h.descr}' is not supported (expected float16/32/64, int8–64, uint8–64 or bool)`);
  }
  const bytes = count * kind.size;
  checkLength(buf, dataOffset, bytes, name, h.shape, h.descr);
  const bigEndian = order === '>' && kind.size > 1;
  let raw = buf.subarray(dataOffset, dataOffset + bytes);
  const needsCopy = bigEndian !== !littleEndianHost() || (raw.byteOffset % kind.size) !== 0;
  if (needsCopy) {
    const copy = new Uint8Array(bytes);
    copy.set(raw);
    if (bigEndian !== !littleEndianHost()) swapBytes(copy, kind.size);
    raw = copy;
  }
  let data = typedView(kind.dtype, raw.buffer, raw.byteOffset, count);
  if (h.fortran && h.shape.length > 1) data = fortranToC(data, h.shape);
  return { dtype: kind.dtype, shape: h.shape, data };
}

/**
 * Element type and bytes per element of a `.npy` dtype string, with the same
 * refusals as parsing the array (object, structured, complex…).
 */
export function npyDtype(descr: string, name: string): { dtype: DType; size: number } {
  const kindKey = descr.slice(1);
  if (descr === '|O' || kindKey === 'O') {
    throw new UnsupportedDTypeError(`${name}: object arrays (dtype 'O', pickled Python objects) are not supported; expected a numeric array`);
  }
  if (kindKey.startsWith('U')) return { dtype: 'unicode', size: 4 * Number(kindKey.slice(1)) };
  const kind = KINDS[kindKey];
  if (!kind || !['<', '>', '|', '='].includes(descr[0]!)) {
    throw new UnsupportedDTypeError(`${name}: dtype '${descr}' is not supported (expected float16/32/64, int8–64, uint8–64 or bool)`);
  }
  return kind;
}

/** The data-length check of parseNpy, for a header whose payload is known only by size. */
export function checkNpyLength(shape: number[], descr: string, size: number, haveBytes: number, name: string): void {
  const bytes = elementCount(shape) * size;
  if (haveBytes < bytes) {
    throw new NpyFormatError(
      `${name}: .npy header claims ${formatShape(shape)} of '${descr}' (${bytes} bytes) but the file holds only ${Math.max(0, haveBytes)} bytes of data`,
    );
  }
}

/** Element type and size of a dtype string such as `<f4`, or undefined if unsupported. */
export function dtypeOfDescr(descr: string): { dtype: DType; size: number } | undefined {
  const k = KINDS[descr.replace(/^[<>|=]/, '')];
  return k ? { dtype: k.dtype, size: k.size } : undefined;
}

function checkLength(buf: Uint8Array, offset: number, bytes: number, name: string, shape: number[], descr: string): void {
  const have = buf.length - offset;
  if (have < bytes) {
    throw new NpyFormatError(
      `${name}: .npy header claims ${formatShape(shape)} of '${descr}' (${bytes} bytes) but the file holds only ${Math.max(0, have)} bytes of data`,
    );
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

function typedView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, count: number): NumericData {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, byteOffset, count);
    case 'float64': return new Float64Array(buffer, byteOffset, count);
    case 'float16': return new Uint16Array(buffer, byteOffset, count);
    case 'int8': return new Int8Array(buffer, byteOffset, count);
    case 'int16': return new Int16Array(buffer, byteOffset, count);
    case 'int32': return new Int32Array(buffer, byteOffset, count);
    case 'int64': return new BigInt64Array(buffer, byteOffset, count);
    case 'uint8': case 'bool': return new Uint8Array(buffer, byteOffset, count);
    case 'uint16': return new Uint16Array(buffer, byteOffset, count);
    case 'uint32': return new Uint32Array(buffer, byteOffset, count);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, count);
    default: throw new UnsupportedDTypeError(`dtype ${dtype} has no typed array`);
  }
}

/** Reorders a column-major (Fortran) array into row-major order. */
function fortranToC<T extends { length: number; [i: number]: unknown }>(src: T, shape: readonly number[]): T {
  const n = src.length;
  const dst = (Array.isArray(src) ? new Array(n) : new (src.constructor as new (n: number) => T)(n)) as T;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // Walk the destination in C order; compute the Fortran offset of the same index.
  const fStrides = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) {
    fStrides[d] = s;
    s *= shape[d]!;
  }
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < nd; d++) off += idx[d]! * fStrides[d]!;
    (dst as { [i: number]: unknown })[i] = src[off];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return dst;
}

const DESCR: Record<Exclude<DType, 'unicode'>, string> = {
  float16: '<f2', float32: '<f4', float64: '<f8', int8: '|i1', int16: '<i2', int32: '<i4', int64: '<i8',
  uint8: '|u1', uint16: '<u2', uint32: '<u4', uint64: '<u8', bool: '|b1',
};

/**
 * Encodes an array as `.npy` version 1.0 (the layout numpy itself writes:
 * header padded with spaces to a multiple of 64 bytes). Returns the header
 * and the data as separate chunks so large arrays are not copied.
 */
export function encodeNpy(arr: NdArray): Uint8Array[] {
  if (arr.dtype === 'unicode') throw new UnsupportedDTypeError('writing unicode arrays is not supported');
  if (!littleEndianHost()) throw new UnsupportedDTypeError('writing .npy on a big-endian host is not supported');
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set(MAGIC, 0);
  head[6] = 1;
  head[7] = 0;
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(new TextEncoder().encode(header), 10);
  const data = arr.data as NumericData;
  return [head, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}
