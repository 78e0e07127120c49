/**
 * `cvResizeLinear` (./cv-resize.ts) on WebAssembly SIMD (./cv-resize.wat):
 * OpenCV's integer arithmetic, four elements at a time, so the same bytes
 * (test/cv-resize-simd.test.ts). It is the legacy stage-1 crop of every
 * image that `eval`, `predict` and the service see.
 *
 * The kernel reads the crop's pixels from its own memory: each call copies
 * the crop box there. Where the box holds far more pixels than the output
 * (a big photo, downsampled), copying costs more than it saves and the
 * JavaScript path runs instead — the same bytes. The exact 2× reduction
 * (OpenCV's area shortcut) stays in JavaScript too. One instance per
 * thread, created on first use.
 */
import { axisTable, cvResizeLinear } from './cv-resize.js';
import type { RawImage } from './square-crop.js';
import { CV_RESIZE_WASM_BASE64 } from './cv-resize-wasm.js';
import { instantiateWasm } from './wasm-instance.js';

interface Kernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  resize(src: number, stride: number, dstW: number, dstH: number, tap0: number, tap1: number, w0: number, w1: number,
    r0: number, r1: number, b0: number, b1: number, hA: number, hB: number, out: number, vecEnd: number): void;
}

let kernel: Kernel | undefined;

/** A crop box with more than this many times the output's pixels goes the JavaScript way. */
const MAX_SOURCE_RATIO = 16;

const align = (n: number) => (n + 15) & ~15;

/** Same contract and bytes as `cvResizeLinear`. */
export function cvResizeLinearSimd(src: RawImage, box: readonly [number, number, number, number], dstW: number, dstH: number, out = new Uint8Array(dstW * dstH * 3)): Uint8Array {
  const [x0, y0, x1, y1] = box;
  const sw = x1 - x0;
  const sh = y1 - y0;
  const { data, width, channels: cn } = src;
  if ((sw === 2 * dstW && sh === 2 * dstH) || !(sw * sh <= MAX_SOURCE_RATIO * dstW * dstH)) return cvResizeLinear(src, box, dstW, dstH, out);
  kernel ??= instantiateWasm(CV_RESIZE_WASM_BASE64) as Kernel;
  const k = kernel;
  const xt = axisTable(sw, dstW, true);
  const yt = axisTable(sh, dstH, false);
  const stride = sw * cn;
  const pTap0 = 0;
  const pTap1 = pTap0 + align(4 * dstW);
  const pW0 = pTap1 + align(4 * dstW);
  const pW1 = pW0 + align(4 * dstW);
  const pR0 = pW1 + align(4 * dstW);
  const pR1 = pR0 + align(4 * dstH);
  const pB0 = pR1 + align(4 * dstH);
  const pB1 = pB0 + align(4 * dstH);
  const pHA = pB1 + align(4 * dstH);
  const pHB = pHA + align(12 * dstW);
  const pOut = pHB + align(12 * dstW);
  const pSrc = pOut + align(3 * dstW * dstH);
  const need = pSrc + stride * sh;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const buf = k.memory.buffer;
  const tap0 = new Int32Array(buf, pTap0, dstW);
  const tap1 = new Int32Array(buf, pTap1, dstW);
  for (let dx = 0; dx < dstW; dx++) {
    tap0[dx] = xt.ofs[dx]! * cn;
    // Where the second weight is 0 (the clamped right edge) it reads the first tap, never past the crop.
    tap1[dx] = xt.w1[dx] === 0 ? tap0[dx]! : tap0[dx]! + cn;
  }
  new Int32Array(buf, pW0, dstW).set(xt.w0);
  new Int32Array(buf, pW1, dstW).set(xt.w1);
  const r0 = new Int32Array(buf, pR0, dstH);
  const r1 = new Int32Array(buf, pR1, dstH);
  const last = sh - 1;
  for (let dy = 0; dy < dstH; dy++) {
    const sy = yt.ofs[dy]!;
    r0[dy] = sy < 0 ? 0 : sy > last ? last : sy;
    r1[dy] = sy + 1 < 0 ? 0 : sy + 1 > last ? last : sy + 1;
  }
  new Int32Array(buf, pB0, dstH).set(yt.w0);
  new Int32Array(buf, pB1, dstH).set(yt.w1);
  // The crop box's rows, packed.
  const mem = new Uint8Array(buf);
  for (let y = 0; y < sh; y++) {
    const from = ((y0 + y) * width + x0) * cn;
    mem.set(data.subarray(from, from + stride), pSrc + y * stride);
  }
  // Elements of an output row (in OpenCV's BGR layout) its vector kernels cover; the rest go through its scalar one.
  const rowLen = dstW * 3;
  let vecEnd = rowLen >= 16 ? Math.floor(rowLen / 16) * 16 : 0;
  while (vecEnd < rowLen - 4) vecEnd += 4;
  k.resize(pSrc, stride, dstW, dstH, pTap0, pTap1, pW0, pW1, pR0, pR1, pB0, pB1, pHA, pHB, pOut, vecEnd);
  out.set(mem.subarray(pOut, pOut + 3 * dstW * dstH));
  return out;
}
