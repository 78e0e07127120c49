/**
 * Activation statistics for static quantisation: per tensor the exact
 * minimum and maximum, and an evenly strided sample of its values from
 * which a percentile range is read. Pure bookkeeping; the model runs
 * elsewhere.
 */
import { invalidArgument } from '../../core/errors.js';
import type { Range } from './qdq.js';

/** How an activation range is chosen from calibration data. */
export type CalibrationMethod = { readonly kind: 'minmax' } | { readonly kind: 'percentile'; readonly percentile: number };

export function describeMethod(m: CalibrationMethod): string {
  return m.kind === 'minmax' ? 'minmax' : `percentile ${m.percentile}`;
}

/** `minmax`, `percentile` (99.99) or `percentile:P` with 90 < P < 100. */
export function parseMethod(v: string): CalibrationMethod {
  if (v === 'minmax') return { kind: 'minmax' };
  const m = /^percentile(?::(\d+(?:\.\d+)?))?$/.exec(v);
  const p = m ? Number(m[1] ?? 99.99) : Number.NaN;
  if (!m || !(p > 90 && p < 100)) throw invalidArgument('--calibration', 'minmax, percentile or percentile:P with 90 < P < 100', v);
  return { kind: 'percentile', percentile: p };
}

interface TensorStats {
  min: number;
  max: number;
  count: number;
  samples: Float32Array[];
}

export class RangeCollector {
  private readonly stats = new Map<string, TensorStats>();
  private calls = 0;

  /** `samplesPerCall`: values kept from each `add` of a tensor (strided over it). */
  constructor(private readonly samplesPerCall = 16384) {}

  add(name: string, data: Float32Array): void {
    let s = this.stats.get(name);
    if (!s) {
      s = { min: Infinity, max: -Infinity, count: 0, samples: [] };
      this.stats.set(name, s);
    }
    let lo = s.min;
    let hi = s.max;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    s.min = lo;
    s.max = hi;
    s.count += data.length;
    const stride = Math.max(1, Math.floor(data.length / this.samplesPerCall));
    const offset = this.calls++ % stride;
    const n = Math.floor((data.length - offset + stride - 1) / stride);
    const sample = new Float32Array(n);
    for (let i = 0, j = offset; i < n; i++, j += stride) sample[i] = data[j]!;
    s.samples.push(sample);
  }

  names(): string[] {
    return [...this.stats.keys()];
  }

  /** Values seen for `name`. */
  count(name: string): number {
    return this.stats.get(name)?.count ?? 0;
  }

  /**
   * The range of `name` by `method`: minmax is `[min, max]`; percentile P
   * takes the P-th and (100 − P)-th percentiles of the sampled values
   * (clipping the rare extreme activations that would otherwise stretch
   * the uint8 grid).
   */
  range(name: string, method: CalibrationMethod): Range {
    const s = this.stats.get(name);
    if (!s || s.count === 0) throw invalidArgument('calibration tensor', 'a tensor seen during calibration', name);
    if (method.kind === 'minmax') return { lo: s.min, hi: s.max };
    const all = new Float32Array(s.samples.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of s.samples) {
      all.set(x, o);
      o += x.length;
    }
    all.sort();
    const q = (p: number) => all[Math.min(all.length - 1, Math.max(0, Math.round((p / 100) * (all.length - 1))))]!;
    return { lo: Math.max(s.min, q(100 - method.percentile)), hi: Math.min(s.max, q(method.percentile)) };
  }
}
