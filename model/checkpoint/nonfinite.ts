/** Counting and scrubbing NaN / ±Inf in checkpoint tensors. */
import type { NdArray } from '../io/npy.js';

export interface NonFiniteCount {
  readonly key: string;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
}

export function isFloatArray(a: NdArray): a is NdArray & { data: Float32Array | Float64Array } {
  return a.dtype === 'float32' || a.dtype === 'float64';
}

/** Counts NaN, +Inf and −Inf in a float tensor (zeros for other dtypes). */
export function countNonFinite(key: string, a: NdArray): NonFiniteCount {
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  if (isFloatArray(a)) {
    const d = a.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v - v !== 0) {
        if (v !== v) nan++;
        else if (v > 0) posInf++;
        else negInf++;
      }
    }
  }
  return { key, nan, posInf, negInf };
}

export function totalNonFinite(c: NonFiniteCount): number {
  return c.nan + c.posInf + c.negInf;
}

/** One line per affected tensor: `fc6/W: 101 NaN, 0 +Inf, 0 −Inf`. */
export function describeNonFinite(counts: readonly NonFiniteCount[]): string[] {
  return counts.filter((c) => totalNonFinite(c) > 0).map((c) => `${c.key}: ${c.nan} NaN, ${c.posInf} +Inf, ${c.negInf} -Inf`);
}

/**
 * Returns a copy of `a` with every NaN/±Inf replaced by 0 (the input is
 * never modified), or `a` itself when it is already finite.
 */
export function zeroNonFinite(a: NdArray): NdArray {
  if (!isFloatArray(a)) return a;
  const src = a.data;
  let any = false;
  for (let i = 0; i < src.length && !any; i++) any = !Number.isFinite(src[i]!);
  if (!any) return a;
  const out = src.slice();
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) out[i] = 0;
  return { dtype: a.dtype, shape: a.shape, data: out };
}
