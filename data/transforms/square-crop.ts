/**
 * Square crops of a decoded image, resampled to S × S by bilinear
 * interpolation; pixels outside the image are black. Used for the cascade's
 * joint-centred crops (inference and training alike), where the crop may
 * reach past the image border.
 */
import { normalisePlane } from './gcn.js';

/** A decoded image: interleaved 8-bit pixels, row-major. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Interleaved channels (3 = RGB, 4 = RGBA; RGB order). */
  readonly channels: number;
}

/**
 * Crops the square of side `side` centred at (`cx`, `cy`) (image pixels) and
 * resamples it to `size × size`. Output is planar float32 `[3, size, size]`
 * in `order` (BGR for legacy models), values 0–255, written into `out` at
 * `offset` (so K crops fill one batch tensor without copies).
 */
export function cropSquareInto(
  img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', out: Float32Array, offset: number,
): void {
  cropSquare(img, cx, cy, side, size, order, out, offset, undefined);
}

/**
 * `cropSquareInto` followed by the legacy global contrast normalisation of
 * the crop (what `gcnInPlace` computes, to the bit: the per-channel sums are
 * taken in the same order while the crop is written, saving a pass).
 */
export function cropSquareGcnInto(
  img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', out: Float32Array, offset: number,
): void {
  const sums = new Float64Array(6);
  cropSquare(img, cx, cy, side, size, order, out, offset, sums);
  const plane = size * size;
  for (let c = 0; c < 3; c++) normalisePlane(out.subarray(offset + c * plane, offset + (c + 1) * plane), sums[2 * c]!, sums[2 * c + 1]!);
}

/**
 * Where each of the `size` output pixels along one axis samples the source
 * (at pixel centres, as resamplers do): the first of its two taps
 * (`floor(start + (o + 0.5) · scale − 0.5)`, image pixels) and the second
 * tap's weight. Shared with ./square-crop-simd.ts.
 */
export function cropTaps(start: number, scale: number, size: number): { first: Float64Array; weight: Float64Array } {
  // Float64: a crop far outside the image (a wild estimate) has taps beyond 32-bit integers.
  const first = new Float64Array(size);
  const weight = new Float64Array(size);
  for (let o = 0; o < size; o++) {
    const sp = start + (o + 0.5) * scale - 0.5;
    const a = Math.floor(sp);
    first[o] = a;
    weight[o] = sp - a;
  }
  return { first, weight };
}

/** The crop; with `sums`, also each output channel's sum and sum of squares (`[s0, q0, s1, q1, s2, q2]`). */
function cropSquare(
  img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', out: Float32Array, offset: number, sums: Float64Array | undefined,
): void {
  const { data, width, height, channels } = img;
  const scale = side / size;
  const x0 = cx - side / 2;
  const y0 = cy - side / 2;
  const plane = size * size;
  const chans = order === 'bgr' ? [2, 1, 0] as const : [0, 1, 2] as const;
  const [c0, c1, c2] = chans;
  // Source columns and rows and their weights, once per crop. A tap outside the image reads 0: its offset is -1.
  const cols = cropTaps(x0, scale, size);
  const rows = cropTaps(y0, scale, size);
  const colW = cols.weight;
  const left = new Int32Array(size);
  const right = new Int32Array(size);
  for (let ox = 0; ox < size; ox++) {
    const xA = cols.first[ox]!;
    left[ox] = xA >= 0 && xA < width ? xA * channels : -1;
    right[ox] = xA + 1 >= 0 && xA + 1 < width ? (xA + 1) * channels : -1;
  }
  // Separable: each source row is interpolated horizontally once (`h[ox·3 + c]`, channels
  // in output order), then pairs of rows vertically — the same arithmetic per pixel
  // (`top + fy·(bottom − top)`, top and bottom interpolated along x) as the direct form.
  const rowLen = size * 3;
  let hTop = new Float64Array(rowLen);
  let hBottom = new Float64Array(rowLen);
  let rowTop = Number.NaN;
  let rowBottom = Number.NaN;
  const hRow = (y: number, h: Float64Array): void => {
    if (y < 0 || y >= height) {
      h.fill(0);
      return;
    }
    const base = y * width * channels;
    for (let ox = 0, o = 0; ox < size; ox++, o += 3) {
      const l = left[ox]!;
      const r = right[ox]!;
      const fx = colW[ox]!;
      if (l >= 0 && r >= 0) {
        const p = base + l;
        const q = base + r;
        let v = data[p + c0]!;
        h[o] = v + fx * (data[q + c0]! - v);
        v = data[p + c1]!;
        h[o + 1] = v + fx * (data[q + c1]! - v);
        v = data[p + c2]!;
        h[o + 2] = v + fx * (data[q + c2]! - v);
      } else {
        for (let c = 0; c < 3; c++) {
          const ch = chans[c]!;
          const p0 = l >= 0 ? data[base + l + ch]! : 0;
          const p1 = r >= 0 ? data[base + r + ch]! : 0;
          h[o + c] = p0 + fx * (p1 - p0);
        }
      }
    }
  };
  for (let oy = 0; oy < size; oy++) {
    const yA = rows.first[oy]!;
    const fy = rows.weight[oy]!;
    if (rowTop !== yA) {
      if (rowBottom === yA) {
        [hTop, hBottom] = [hBottom, hTop];
        [rowTop, rowBottom] = [rowBottom, rowTop];
      } else {
        hRow(yA, hTop);
        rowTop = yA;
      }
    }
    if (rowBottom !== yA + 1) {
      hRow(yA + 1, hBottom);
      rowBottom = yA + 1;
    }
    const o = offset + oy * size;
    const p0 = o;
    const p1 = o + plane;
    const p2 = o + 2 * plane;
    if (!sums) {
      for (let ox = 0, i = 0; ox < size; ox++, i += 3) {
        const t0 = hTop[i]!;
        const t1 = hTop[i + 1]!;
        const t2 = hTop[i + 2]!;
        out[p0 + ox] = t0 + fy * (hBottom[i]! - t0);
        out[p1 + ox] = t1 + fy * (hBottom[i + 1]! - t1);
        out[p2 + ox] = t2 + fy * (hBottom[i + 2]! - t2);
      }
      continue;
    }
    // Running sums per channel in plane order, as gcnInPlace takes them over the stored
    // (float32) values; the three channels' chains are independent, so one pass serves them.
    let s0 = sums[0]!;
    let q0 = sums[1]!;
    let s1 = sums[2]!;
    let q1 = sums[3]!;
    let s2 = sums[4]!;
    let q2 = sums[5]!;
    for (let ox = 0, i = 0; ox < size; ox++, i += 3) {
      const t0 = hTop[i]!;
      const t1 = hTop[i + 1]!;
      const t2 = hTop[i + 2]!;
      const v0 = Math.fround(t0 + fy * (hBottom[i]! - t0));
      const v1 = Math.fround(t1 + fy * (hBottom[i + 1]! - t1));
      const v2 = Math.fround(t2 + fy * (hBottom[i + 2]! - t2));
      out[p0 + ox] = v0;
      out[p1 + ox] = v1;
      out[p2 + ox] = v2;
      s0 += v0;
      q0 += v0 * v0;
      s1 += v1;
      q1 += v1 * v1;
      s2 += v2;
      q2 += v2 * v2;
    }
    sums[0] = s0;
    sums[1] = q0;
    sums[2] = s1;
    sums[3] = q1;
    sums[4] = s2;
    sums[5] = q2;
  }
}
