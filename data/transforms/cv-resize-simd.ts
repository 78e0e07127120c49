/**
 * `cvResizeLinear` (./cv-resize.ts) on WebAssembly SIMD (./cv-resize.wat):
 * OpenCV's integer arithmetic, four elements at a time, from the same
 * `resizePlan`, so the same bytes (test/cv-resize-simd.test.ts) in about a
 * quarter of the time. It is the legacy stage-1 crop of every image that
 * `eval`, `predict` and the service see.
 *
 * The kernel reads the crop's pixels from its own memory: each call copies
 * the crop box there. Where the box holds far more pixels than the output
 * (a big photo, downsampled), copying costs more than it saves, and the
 * JavaScript runs instead — the same bytes; so do OpenCV's exact-2×
 * shortcut and a box that is not whole pixels inside the image (the
 * JavaScript's own handling of it stays the reference). One instance per
 * thread, created on first use.
 */
import { cvResizeLinear, isExactHalf, resizePlan } from './cv-resize.js';
import type { RawImage } from './square-crop.js';
import { CV_RESIZE_WASM_BASE64 } from './cv-resize-wasm.js';
import { ensureBytes, instantiateWasm, layoutBytes, type WasmMemory } from './wasm-instance.js';

/** The module's exports; every pointer is a byte offset into `memory`. */
interface Kernel {
  readonly memory: WasmMemory;
  resize(srcAt: number, strideBytes: number, dstW: number, dstH: number, tap0At: number, tap1At: number, w0At: number, w1At: number,
    row0At: number, row1At: number, b0At: number, b1At: number, hAAt: number, hBAt: number, outAt: number, vecEnd: number): void;
}

let kernel: Kernel | undefined;

/** A crop box with more than this many times the output's pixels goes the JavaScript way. */
const MAX_SOURCE_RATIO = 16;

/** Same contract and bytes as `cvResizeLinear`. */
export function cvResizeLinearSimd(src: RawImage, box: readonly [number, number, number, number], dstW: number, dstH: number, out = new Uint8Array(dstW * dstH * 3)): Uint8Array {
  const [x0, y0, x1, y1] = box;
  const sw = x1 - x0;
  const sh = y1 - y0;
  const { data, width, height, channels: cn } = src;
  const wholePixelsInside = Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1)
    && x0 >= 0 && y0 >= 0 && x1 <= width && y1 <= height && sw > 0 && sh > 0;
  if (!wholePixelsInside || isExactHalf(sw, sh, dstW, dstH) || !(sw * sh <= MAX_SOURCE_RATIO * dstW * dstH)) return cvResizeLinear(src, box, dstW, dstH, out);
  kernel ??= instantiateWasm(CV_RESIZE_WASM_BASE64) as Kernel;
  const plan = resizePlan(sw, sh, dstW, dstH, cn);
  const strideBytes = sw * cn;
  const { offsets, totalBytes } = layoutBytes([
    4 * dstW, 4 * dstW, 4 * dstW, 4 * dstW, // tap0, tap1, w0, w1
    4 * dstH, 4 * dstH, 4 * dstH, 4 * dstH, // row0, row1, b0, b1
    12 * dstW, 12 * dstW, // two interpolated rows
    3 * dstW * dstH, // out
    strideBytes * sh, // the crop box's pixels
  ]);
  const [tap0At, tap1At, w0At, w1At, row0At, row1At, b0At, b1At, hAAt, hBAt, outAt, srcAt] = offsets as [number, number, number, number, number, number, number, number, number, number, number, number];
  const buf = ensureBytes(kernel.memory, totalBytes);
  new Int32Array(buf, tap0At, dstW).set(plan.tap0);
  new Int32Array(buf, tap1At, dstW).set(plan.tap1);
  new Int32Array(buf, w0At, dstW).set(plan.w0);
  new Int32Array(buf, w1At, dstW).set(plan.w1);
  new Int32Array(buf, row0At, dstH).set(plan.row0);
  new Int32Array(buf, row1At, dstH).set(plan.row1);
  new Int32Array(buf, b0At, dstH).set(plan.b0);
  new Int32Array(buf, b1At, dstH).set(plan.b1);
  const mem = new Uint8Array(buf);
  for (let y = 0; y < sh; y++) {
    const from = ((y0 + y) * width + x0) * cn;
    mem.set(data.subarray(from, from + strideBytes), srcAt + y * strideBytes);
  }
  kernel.resize(srcAt, strideBytes, dstW, dstH, tap0At, tap1At, w0At, w1At, row0At, row1At, b0At, b1At, hAAt, hBAt, outAt, plan.vecEnd);
  out.set(mem.subarray(outAt, outAt + 3 * dstW * dstH));
  return out;
}
