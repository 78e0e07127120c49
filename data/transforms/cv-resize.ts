/**
 * OpenCV's `cv2.resize(crop, (S, S))` — bilinear (`INTER_LINEAR`) on 8-bit
 * images — reproduced in JavaScript, for the legacy crop: the legacy code
 * slices `img[y0:y1, x0:x1]` out of the `imread` result and resizes that
 * slice, so pixels past the crop's edge repeat its border.
 *
 * The arithmetic is OpenCV's own (modules/imgproc/src/resize.cpp, identical
 * in 2.4, 3.x and 4.x for this case), read from its source:
 *
 * - source position of output column `dx`: `fx = float((dx + 0.5)·scale − 0.5)`,
 *   `sx = floor(fx)`, `fx −= sx`; `sx < 0` → `sx = 0, fx = 0`;
 *   `sx ≥ w − 1` → `sx = w − 1, fx = 0` (rows the same, clamped when read);
 * - weights in 11-bit fixed point: `a0 = round(2048·(1 − fx))`,
 *   `a1 = round(2048·fx)` (round half to even);
 * - horizontal pass in integers `h = a0·S[sx] + a1·S[sx + 1]`;
 * - vertical pass as OpenCV's SIMD kernel computes it (x86 SSE2, ARM NEON
 *   and the universal intrinsics alike), 16 then 4 elements at a time:
 *   `((h0 >> 4)·b0 >> 16) + ((h1 >> 4)·b1 >> 16)`, then `(v + 2) >> 2`; the
 *   last elements of a row that no vector covers go through the scalar
 *   kernel `(h0·b0 + h1·b1 + 2²¹) >> 22`;
 * - an exact 2× reduction on both axes is computed as OpenCV's fast area
 *   resize does (OpenCV switches `INTER_LINEAR` to it there):
 *   `(p00 + p01 + p10 + p11 + 2) >> 2`.
 *
 * Against the legacy code's own input tensors (test/legacy-preprocessing)
 * this replaces sharp's affine resampling, which is both slower (sharp's
 * per-call cost dominates for 220 × 220 crops) and further from OpenCV.
 */
import type { RawImage } from './square-crop.js';

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** `cvRound` of a float: nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source offsets and fixed-point weights along one axis. */
function axisTable(srcLen: number, dstLen: number, clampWeights: boolean): { ofs: Int32Array; w0: Int32Array; w1: Int32Array } {
  // OpenCV keeps inv_scale = dst / src and uses scale = 1 / inv_scale.
  const scale = 1 / (dstLen / srcLen);
  const ofs = new Int32Array(dstLen);
  const w0 = new Int32Array(dstLen);
  const w1 = new Int32Array(dstLen);
  for (let d = 0; d < dstLen; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampWeights) {
      if (s < 0) {
        s = 0;
        f = 0;
      }
      if (s >= srcLen - 1) {
        s = srcLen - 1;
        f = 0;
      }
    }
    ofs[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    w1[d] = roundHalfEven(f * COEF_SCALE);
  }
  return { ofs, w0, w1 };
}

/**
 * Everything the resize of an `sw × sh` crop to `dstW × dstH` needs besides
 * the pixels (both implementations, this file's and ./cv-resize-simd.ts,
 * run from it): per output column the byte offsets of its two taps within a
 * source row (`cn` bytes per pixel; where the second weight is 0 — the
 * clamped right edge — it points at the first tap, never past the crop) and
 * their weights; per output row its two source rows, clamped, and weights;
 * and where OpenCV's vector kernels end in a row of `3 · dstW` elements.
 */
export interface ResizePlan {
  /** `[dstW]` byte offsets of each output column's taps in a source row. */
  readonly tap0: Int32Array;
  readonly tap1: Int32Array;
  /** `[dstW]` 11-bit weights of those taps. */
  readonly w0: Int32Array;
  readonly w1: Int32Array;
  /** `[dstH]` source rows of each output row's taps, clamped to the crop. */
  readonly row0: Int32Array;
  readonly row1: Int32Array;
  /** `[dstH]` 11-bit weights of those rows. */
  readonly b0: Int32Array;
  readonly b1: Int32Array;
  /** Elements of an output row (in OpenCV's BGR layout) its vector kernels cover; the rest go through its scalar one. */
  readonly vecEnd: number;
}

/** The resize plan (see `ResizePlan`). */
export function resizePlan(sw: number, sh: number, dstW: number, dstH: number, cn: number): ResizePlan {
  const xt = axisTable(sw, dstW, true);
  const yt = axisTable(sh, dstH, false);
  const tap0 = new Int32Array(dstW);
  const tap1 = new Int32Array(dstW);
  for (let dx = 0; dx < dstW; dx++) {
    tap0[dx] = xt.ofs[dx]! * cn;
    tap1[dx] = xt.w1[dx] === 0 ? tap0[dx]! : tap0[dx]! + cn;
  }
  const row0 = new Int32Array(dstH);
  const row1 = new Int32Array(dstH);
  const last = sh - 1;
  for (let dy = 0; dy < dstH; dy++) {
    const sy = yt.ofs[dy]!;
    row0[dy] = sy < 0 ? 0 : sy > last ? last : sy;
    row1[dy] = sy + 1 < 0 ? 0 : sy + 1 > last ? last : sy + 1;
  }
  const rowLen = dstW * 3;
  let vecEnd = rowLen >= 16 ? Math.floor(rowLen / 16) * 16 : 0;
  while (vecEnd < rowLen - 4) vecEnd += 4;
  return { tap0, tap1, w0: xt.w0, w1: xt.w1, row0, row1, b0: yt.w0, b1: yt.w1, vecEnd };
}

/** Whether OpenCV resizes `sw × sh` to `dstW × dstH` with its exact-2× area shortcut instead of the bilinear kernels. */
export function isExactHalf(sw: number, sh: number, dstW: number, dstH: number): boolean {
  return sw === 2 * dstW && sh === 2 * dstH;
}

/**
 * Resizes the crop `[x0, y0, x1, y1)` of `src` (interleaved, ≥ 3 channels,
 * RGB order) to `dstW × dstH` exactly as `cv2.resize` does with
 * `INTER_LINEAR` on the BGR image OpenCV would hold. Output: interleaved
 * 8-bit RGB `[dstH, dstW, 3]`.
 */
export function cvResizeLinear(src: RawImage, box: readonly [number, number, number, number], dstW: number, dstH: number, out = new Uint8Array(dstW * dstH * 3)): Uint8Array {
  const [x0, y0, x1, y1] = box;
  const sw = x1 - x0;
  const sh = y1 - y0;
  const { data, width, channels: cn } = src;
  if (isExactHalf(sw, sh, dstW, dstH)) return areaHalf(src, box, dstW, dstH, out);
  const { tap0, tap1, w0, w1, row0, row1, b0: wb0, b1: wb1, vecEnd } = resizePlan(sw, sh, dstW, dstH, cn);
  // Horizontal pass results for a source row, cached: consecutive output rows share source rows.
  const rowLen = dstW * 3;
  const hRows = [new Int32Array(rowLen), new Int32Array(rowLen)];
  const hRowOf = [-1, -1];
  const hRow = (sy: number): Int32Array => {
    const slot = hRowOf[0] === sy ? 0 : hRowOf[1] === sy ? 1 : -1;
    if (slot >= 0) return hRows[slot]!;
    // Replace the row not needed next (the older one).
    const victim = hRowOf[0]! < hRowOf[1]! ? 0 : 1;
    const buf = hRows[victim]!;
    hRowOf[victim] = sy;
    const base = ((y0 + sy) * width + x0) * cn;
    for (let dx = 0, o = 0; dx < dstW; dx++, o += 3) {
      const p = base + tap0[dx]!;
      const q = base + tap1[dx]!;
      const a0 = w0[dx]!;
      const a1 = w1[dx]!;
      buf[o] = data[p]! * a0 + data[q]! * a1;
      buf[o + 1] = data[p + 1]! * a0 + data[q + 1]! * a1;
      buf[o + 2] = data[p + 2]! * a0 + data[q + 2]! * a1;
    }
    return buf;
  };
  for (let dy = 0; dy < dstH; dy++) {
    const h0 = hRow(row0[dy]!);
    const h1 = hRow(row1[dy]!);
    const b0 = wb0[dy]!;
    const b1 = wb1[dy]!;
    const o = dy * rowLen;
    // The vector kernel (all operands are non-negative, so the arithmetic shifts are floors).
    for (let e = 0; e < rowLen; e++) {
      const v = ((Math.imul(h0[e]! >> 4, b0) >> 16) + (Math.imul(h1[e]! >> 4, b1) >> 16) + 2) >> 2;
      out[o + e] = v > 255 ? 255 : v;
    }
    // The scalar kernel for the row's tail. Element `bgr` of OpenCV's BGR row is element `e` of ours.
    for (let bgr = vecEnd; bgr < rowLen; bgr++) {
      const px = (bgr / 3) | 0;
      const e = px * 3 + 2 - (bgr - px * 3);
      const v = Math.floor((h0[e]! * b0 + h1[e]! * b1 + (1 << 21)) / (1 << 22));
      out[o + e] = v > 255 ? 255 : v;
    }
  }
  return out;
}

/** OpenCV's fast area resize for an exact 2× reduction: the rounded mean of each 2 × 2 block. */
function areaHalf(src: RawImage, box: readonly [number, number, number, number], dstW: number, dstH: number, out: Uint8Array): Uint8Array {
  const { data, width, channels: cn } = src;
  const [x0, y0] = box;
  for (let dy = 0; dy < dstH; dy++) {
    const r0 = ((y0 + 2 * dy) * width + x0) * cn;
    const r1 = r0 + width * cn;
    for (let dx = 0; dx < dstW; dx++) {
      const p = 2 * dx * cn;
      for (let c = 0; c < 3; c++) {
        out[(dy * dstW + dx) * 3 + c] = (data[r0 + p + c]! + data[r0 + p + cn + c]! + data[r1 + p + c]! + data[r1 + p + cn + c]! + 2) >> 2;
      }
    }
  }
  return out;
}
