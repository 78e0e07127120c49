/** Conversion of floating-point tensors to float32, the dtype of converted models. */
import { ShapeMismatchError } from '../errors.js';
import type { NdArray } from './npy.js';

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The tensor as float32 (no copy when it already is). `name` is for messages. */
export function toFloat32(a: NdArray, name: string): Float32Array {
  if (a.dtype === 'float32') return a.data as Float32Array;
  if (a.dtype === 'float64') return Float32Array.from(a.data as Float64Array);
  if (a.dtype === 'float16') return Float32Array.from(a.data as Uint16Array, halfToFloat);
  throw new ShapeMismatchError(`${name}: expected a floating-point tensor, found dtype ${a.dtype}`);
}
