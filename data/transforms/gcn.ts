/**
 * Global contrast normalisation, the legacy preprocessing's last step
 * (./legacy.ts): each channel of a crop becomes `(v − mean) / (std + 1e-5)`
 * with its own mean and population std. The definitions every route shares —
 * the JavaScript below, the WebAssembly crops (./square-crop-simd.ts,
 * ./planar-gcn-kernel.ts) — so all give the same float32 values.
 */

/** GCN's epsilon. */
export const GCN_EPSILON = 1e-5;

/** Global contrast normalisation of one planar `[3, S, S]` image, in place. */
export function gcnInPlace(x: Float32Array, size: number): void {
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const p = x.subarray(c * plane, (c + 1) * plane);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < plane; i++) {
      const v = p[i]!;
      sum += v;
      sq += v * v;
    }
    normalisePlane(p, sum, sq);
  }
}

/**
 * GCN of a plane of `n` values from their sum and sum of squares: the mean
 * and the factor `1 / (std + eps)` (population std), so that
 * `(v − mean) · scale` normalises `v`.
 */
export function gcnMeanScale(sum: number, sq: number, n: number): { mean: number; scale: number } {
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  return { mean, scale: 1 / (std + GCN_EPSILON) };
}

/** `(v − mean) / (std + eps)` given the plane's sum and sum of squares (population std), in place. */
export function normalisePlane(p: Float32Array, sum: number, sq: number): void {
  const n = p.length;
  const { mean, scale } = gcnMeanScale(sum, sq, n);
  for (let i = 0; i < n; i++) p[i] = (p[i]! - mean) * scale;
}

/**
 * The float32 value GCN gives each byte value of one channel, from the
 * channel's byte histogram (`hist[offset + v]` pixels of value v, `n` in
 * all): the same arithmetic as `normalisePlane`, once per value instead of
 * once per pixel. Writes the 256 values into `table`.
 */
export function byteGcnTable(hist: Int32Array, offset: number, n: number, table: Float32Array): Float32Array {
  let sum = 0;
  let sq = 0;
  for (let v = 0; v < 256; v++) {
    const count = hist[offset + v]!;
    sum += count * v;
    sq += count * v * v;
  }
  const { mean, scale } = gcnMeanScale(sum, sq, n);
  for (let v = 0; v < 256; v++) table[v] = (v - mean) * scale;
  return table;
}

/** Where each output plane's bytes sit in an interleaved RGB pixel, for a channel order. */
export function sourceChannels(order: 'bgr' | 'rgb'): readonly [number, number, number] {
  return order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
}

/**
 * Interleaved 8-bit RGB `[S, S, 3]` → planar float32 `[3, S, S]` in `order`,
 * GCN'd. The values are bytes: a histogram per channel gives the exact sums,
 * and a table per channel (`byteGcnTable`) each byte's normalised value. The
 * reference definition; `planarGcnKernel` (./planar-gcn-kernel.ts) gives the
 * same values faster.
 */
export function planarGcn(rgb: Uint8Array, size: number, order: 'bgr' | 'rgb', out: Float32Array = new Float32Array(3 * size * size)): Float32Array {
  const plane = size * size;
  const hist = new Int32Array(3 * 256);
  for (let j = 0; j < 3 * plane; j += 3) {
    hist[rgb[j]!]!++;
    hist[256 + rgb[j + 1]!]!++;
    hist[512 + rgb[j + 2]!]!++;
  }
  const table = new Float32Array(256);
  // The table's float32 values are copied as their bit patterns (no float conversions per pixel).
  const tableBits = new Int32Array(table.buffer);
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  const src = sourceChannels(order);
  for (let c = 0; c < 3; c++) {
    const ch = src[c]!;
    byteGcnTable(hist, ch * 256, plane, table);
    const p = c * plane;
    for (let i = 0, j = ch; i < plane; i++, j += 3) outBits[p + i] = tableBits[rgb[j]!]!;
  }
  return out;
}
