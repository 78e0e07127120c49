/**
 * A reader for MATLAB 5 (level 5, up to v7) MAT-files: the format of LSP's and
 * LSPET's `joints.mat`. Reads numeric arrays (any class, real part, column-major),
 * inside plain or `miCOMPRESSED` (zlib) data elements, in either byte order.
 * Cells, structs, sparse and char arrays are listed by name and class but not
 * decoded. A v7.3 file (HDF5 inside) is refused with a message that says so.
 *
 * Format: MathWorks, "MAT-File Format" (R2016b), chapter 1: 128-byte header,
 * then data elements `type:u32 size:u32 data` padded to 8 bytes, or the small
 * element form (size in the upper 16 bits of the tag, 4 data bytes).
 */
import { inflateSync } from 'node:zlib';
import { MatFileError } from './dataset-errors.js';
import { formatShape } from '../core/errors.js';

/** MATLAB array classes (`mxCLASS`). */
const CLASS_NAMES: Record<number, string> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single',
  8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/** Data element types (`miTYPE`). */
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

/** One variable of a MAT-file. */
export interface MatVariable {
  readonly name: string;
  /** MATLAB class name: `double`, `single`, `uint8`, …, `cell`, `struct`. */
  readonly className: string;
  /** Dimensions, as MATLAB reports them (`size(x)`), at least 2. */
  readonly dims: readonly number[];
  /**
   * Real values in column-major (MATLAB) order, converted to float64;
   * undefined for non-numeric classes (cell, struct, char, sparse).
   */
  readonly data: Float64Array | undefined;
  /** Whether the array had an imaginary part (ignored). */
  readonly complex: boolean;
}

/** A parsed MAT-file: header text and variables by name, in file order. */
export interface MatFile {
  readonly header: string;
  readonly variables: ReadonlyMap<string, MatVariable>;
}

/** Reads a MATLAB 5 MAT-file held in memory. `source` names it in messages. */
export function readMat5(bytes: Uint8Array, source = 'MAT-file'): MatFile {
  if (bytes.byteLength < 128) {
    throw new MatFileError(`${source}: ${bytes.byteLength} bytes is too short for a MAT-file (expected a 128-byte header and data)`);
  }
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, 116).toString('latin1').replace(/[\s\0]+$/, '');
  const hdf5Signature = bytes.byteLength >= 520 && Buffer.from(bytes.buffer, bytes.byteOffset + 512, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (/^MATLAB 7\.3/.test(header) || hdf5Signature) {
    throw new MatFileError(`${source}: a MATLAB v7.3 MAT-file (HDF5 inside) is not supported; expected a MATLAB 5 MAT-file (save it in MATLAB with save(..., '-v7') or scipy.io.savemat)`);
  }
  if (!header.startsWith('MATLAB 5.0 MAT-file')) {
    throw new MatFileError(`${source}: not a MATLAB 5 MAT-file (header starts ${JSON.stringify(header.slice(0, 24))}, expected "MATLAB 5.0 MAT-file")`);
  }
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (endian !== 'IM' && endian !== 'MI') {
    throw new MatFileError(`${source}: bad endian indicator ${JSON.stringify(endian)} at byte 126 (expected "IM" or "MI")`);
  }
  const little = endian === 'IM';
  const variables = new Map<string, MatVariable>();
  let offset = 128;
  while (offset + 8 <= bytes.byteLength) {
    const el = readTag(bytes, offset, little, source);
    if (el.type === MI.COMPRESSED) {
      let inner: Buffer;
      try {
        inner = inflateSync(bytes.subarray(el.dataStart, el.dataStart + el.size));
      } catch (err) {
        throw new MatFileError(`${source}: compressed data element at byte ${offset} does not inflate (${(err as Error).message}); the file is truncated or corrupt`, err);
      }
      const innerBytes = new Uint8Array(inner.buffer, inner.byteOffset, inner.byteLength);
      const innerEl = readTag(innerBytes, 0, little, `${source} (compressed element at byte ${offset})`);
      if (innerEl.type === MI.MATRIX) addVariable(variables, readMatrix(innerBytes, innerEl.dataStart, innerEl.size, little, source));
      offset = el.dataStart + el.size; // compressed elements are not padded
    } else {
      if (el.type === MI.MATRIX) addVariable(variables, readMatrix(bytes, el.dataStart, el.size, little, source));
      offset = el.next;
    }
  }
  return { header, variables };
}

function addVariable(map: Map<string, MatVariable>, v: MatVariable): void {
  map.set(v.name, v);
}

interface Tag {
  type: number;
  size: number;
  dataStart: number;
  /** Offset of the next element (padding included). */
  next: number;
}

function readTag(bytes: Uint8Array, offset: number, little: boolean, source: string): Tag {
  if (offset + 8 > bytes.byteLength) {
    throw new MatFileError(`${source}: truncated at byte ${offset} (a data element tag needs 8 bytes, ${bytes.byteLength - offset} left)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  const first = view.getUint32(0, little);
  const small = first >>> 16;
  if (small !== 0) {
    // Small data element: size in the upper 16 bits, data in the next 4 bytes.
    const type = first & 0xffff;
    if (small > 4) throw new MatFileError(`${source}: small data element at byte ${offset} claims ${small} bytes (at most 4)`);
    return { type, size: small, dataStart: offset + 4, next: offset + 8 };
  }
  const size = view.getUint32(4, little);
  const dataStart = offset + 8;
  if (dataStart + size > bytes.byteLength) {
    throw new MatFileError(`${source}: data element at byte ${offset} (type ${first}) claims ${size} bytes but only ${bytes.byteLength - dataStart} remain; the file is truncated`);
  }
  return { type: first, size, dataStart, next: dataStart + Math.ceil(size / 8) * 8 };
}

/** Reads the sub-elements of one `miMATRIX` element. */
function readMatrix(bytes: Uint8Array, start: number, size: number, little: boolean, source: string): MatVariable {
  const end = start + size;
  const sub = (at: number) => {
    const t = readTag(bytes, at, little, source);
    if (t.dataStart + t.size > end) throw new MatFileError(`${source}: matrix sub-element at byte ${at} runs past its matrix`);
    return t;
  };
  const flagsTag = sub(start);
  const flags = new DataView(bytes.buffer, bytes.byteOffset + flagsTag.dataStart, 8).getUint32(0, little);
  const classId = flags & 0xff;
  const complex = (flags & 0x0800) !== 0;
  const dimsTag = sub(flagsTag.next);
  const dims = Array.from(numbers(bytes, dimsTag, little, source));
  const nameTag = sub(dimsTag.next);
  const name = Buffer.from(bytes.buffer, bytes.byteOffset + nameTag.dataStart, nameTag.size).toString('latin1');
  const className = CLASS_NAMES[classId] ?? `class ${classId}`;
  if (!NUMERIC_CLASSES.has(classId)) return { name, className, dims, data: undefined, complex };
  const count = dims.reduce((a, b) => a * b, 1);
  const realTag = sub(nameTag.next);
  const data = numbers(bytes, realTag, little, source);
  if (data.length !== count) {
    throw new MatFileError(`${source}: variable ${JSON.stringify(name)} has dimensions ${formatShape(dims)} (${count} values) but its data holds ${data.length}`);
  }
  return { name, className, dims, data, complex };
}

/** Decodes a numeric data element to float64. */
function numbers(bytes: Uint8Array, tag: Tag, little: boolean, source: string): Float64Array {
  const width = MI_SIZE[tag.type];
  if (width === undefined || tag.type >= MI.UTF8) {
    throw new MatFileError(`${source}: data element type ${tag.type} at byte ${tag.dataStart - 8} is not numeric`);
  }
  const n = Math.floor(tag.size / width);
  const out = new Float64Array(n);
  if (tag.type === MI.DOUBLE && little) {
    // The common case (doubles, little-endian): one copy of the bytes instead of a read per value.
    new Uint8Array(out.buffer).set(bytes.subarray(tag.dataStart, tag.dataStart + n * 8));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + tag.dataStart, tag.size);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    switch (tag.type) {
      case MI.INT8: out[i] = view.getInt8(o); break;
      case MI.UINT8: out[i] = view.getUint8(o); break;
      case MI.INT16: out[i] = view.getInt16(o, little); break;
      case MI.UINT16: out[i] = view.getUint16(o, little); break;
      case MI.INT32: out[i] = view.getInt32(o, little); break;
      case MI.UINT32: out[i] = view.getUint32(o, little); break;
      case MI.SINGLE: out[i] = view.getFloat32(o, little); break;
      case MI.DOUBLE: out[i] = view.getFloat64(o, little); break;
      case MI.INT64: out[i] = Number(view.getBigInt64(o, little)); break;
      case MI.UINT64: out[i] = Number(view.getBigUint64(o, little)); break;
      default: throw new MatFileError(`${source}: unsupported numeric element type ${tag.type}`);
    }
  }
  return out;
}

/** Element `(i, j, k)` of a column-major array with dims `[d0, d1, …]`. */
export function matIndex(dims: readonly number[], i: number, j: number, k = 0): number {
  return i + dims[0]! * (j + dims[1]! * k);
}
