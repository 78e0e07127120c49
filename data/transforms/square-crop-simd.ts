/**
 * `cropSquareGcnInto` (./square-crop.ts) on WebAssembly SIMD
 * (./square-crop.wat): the same float64 arithmetic in the same order, so the
 * same float32 crop to the bit (test/square-crop-simd.test.ts), in about a
 * third of the time. The cascade's joint crops — 14 per image per stage —
 * were a quarter of the int8 cascade's CPU time.
 *
 * The kernel reads pixels from its own memory: each call copies the crop's
 * source window there (zeros where the crop reaches past the image, which
 * is what the JavaScript reads outside it). Where that window is much larger
 * than the crop (a big photo's crop, downsampled), copying would cost more
 * than it saves, and the JavaScript path runs instead — the same result.
 * One instance per thread, created on first use.
 */
import { gcnMeanScale } from './legacy.js';
import { cropSquareGcnInto, type RawImage } from './square-crop.js';
import { SQUARE_CROP_WASM_BASE64 } from './square-crop-wasm.js';
import { instantiateWasm } from './wasm-instance.js';

interface Kernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  crop(win: number, stride: number, k0: number, k1: number, k2: number, size: number, colL: number, colR: number, colW: number,
    rowA: number, rowW: number, hA: number, hB: number, out: number, sums: number): void;
  normalise(p: number, n: number, mean: number, scale: number): void;
}

let kernel: Kernel | undefined;

function instance(): Kernel {
  kernel ??= instantiateWasm(SQUARE_CROP_WASM_BASE64) as Kernel;
  return kernel;
}

/** A source window larger than this many times the crop's own pixels goes the JavaScript way. */
const MAX_WINDOW_RATIO = 4;

const align = (n: number) => (n + 15) & ~15;

/**
 * Same contract and result as `cropSquareGcnInto`: the square of side `side`
 * centred at (`cx`, `cy`), resampled to `size × size`, GCN'd, planar
 * `[3, size, size]` in `order`, written into `out` at `offset`.
 */
export function cropSquareGcnSimd(
  img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', out: Float32Array, offset: number,
): void {
  const { data, width, height, channels: cn } = img;
  const scale = side / size;
  const x0 = cx - side / 2;
  const y0 = cy - side / 2;
  // The taps, as the JavaScript computes them, and the window they span.
  const colA = new Int32Array(size);
  const colW = new Float64Array(size);
  const rowA = new Int32Array(size);
  const rowW = new Float64Array(size);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let o = 0; o < size; o++) {
    const sx = x0 + (o + 0.5) * scale - 0.5;
    const xA = Math.floor(sx);
    colA[o] = xA;
    colW[o] = sx - xA;
    const sy = y0 + (o + 0.5) * scale - 0.5;
    const yA = Math.floor(sy);
    rowA[o] = yA;
    rowW[o] = sy - yA;
    if (xA < xMin) xMin = xA;
    if (xA + 1 > xMax) xMax = xA + 1;
    if (yA < yMin) yMin = yA;
    if (yA + 1 > yMax) yMax = yA + 1;
  }
  const winW = xMax - xMin + 1;
  const winH = yMax - yMin + 1;
  if (!(winW * winH <= MAX_WINDOW_RATIO * size * size)) {
    cropSquareGcnInto(img, cx, cy, side, size, order, out, offset);
    return;
  }
  const k = instance();
  // Layout: tables, two interpolated rows, sums, the crop, the window.
  const stride = winW * cn;
  const pColL = 0;
  const pColR = pColL + align(4 * size);
  const pColW = pColR + align(4 * size);
  const pRowA = pColW + align(8 * size);
  const pRowW = pRowA + align(4 * size);
  const pHA = pRowW + align(8 * size);
  const pHB = pHA + align(24 * size);
  const pSums = pHB + align(24 * size);
  const pOut = pSums + 48;
  const pWin = pOut + align(12 * size * size);
  const need = pWin + stride * winH;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const buf = k.memory.buffer;
  const colL = new Int32Array(buf, pColL, size);
  const colR = new Int32Array(buf, pColR, size);
  const rows = new Int32Array(buf, pRowA, size);
  for (let o = 0; o < size; o++) {
    colL[o] = (colA[o]! - xMin) * cn;
    colR[o] = colL[o]! + cn;
    rows[o] = rowA[o]! - yMin;
  }
  new Float64Array(buf, pColW, size).set(colW);
  new Float64Array(buf, pRowW, size).set(rowW);
  // The window: the image's pixels where it has them, zeros elsewhere.
  const win = new Uint8Array(buf, pWin, stride * winH);
  const ix0 = Math.max(xMin, 0);
  const ix1 = Math.min(xMax, width - 1);
  const iy0 = Math.max(yMin, 0);
  const iy1 = Math.min(yMax, height - 1);
  if (xMin < 0 || yMin < 0 || xMax >= width || yMax >= height || ix0 > ix1 || iy0 > iy1) win.fill(0);
  if (ix0 <= ix1) {
    for (let y = iy0; y <= iy1; y++) {
      const src = (y * width + ix0) * cn;
      win.set(data.subarray(src, src + (ix1 - ix0 + 1) * cn), (y - yMin) * stride + (ix0 - xMin) * cn);
    }
  }
  const [k0, k1, k2] = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  k.crop(pWin, stride, k0, k1, k2, size, pColL, pColR, pColW, pRowA, pRowW, pHA, pHB, pOut, pSums);
  const sums = new Float64Array(buf, pSums, 6);
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const { mean, scale: gcnScale } = gcnMeanScale(sums[2 * c]!, sums[2 * c + 1]!, plane);
    k.normalise(pOut + 4 * c * plane, plane, mean, gcnScale);
  }
  out.set(new Float32Array(buf, pOut, 3 * plane), offset);
}
