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
import { gcnMeanScale } from './gcn.js';
import { cropSquareGcnInto, cropTaps, type RawImage } from './square-crop.js';
import { SQUARE_CROP_WASM_BASE64 } from './square-crop-wasm.js';
import { ensureBytes, instantiateWasm, layoutBytes, type WasmMemory } from './wasm-instance.js';

/** The module's exports; every pointer is a byte offset into `memory`. */
interface Kernel {
  readonly memory: WasmMemory;
  crop(winAt: number, strideBytes: number, k0: number, k1: number, k2: number, size: number, colLAt: number, colRAt: number, colWAt: number,
    rowAAt: number, rowWAt: number, hAAt: number, hBAt: number, outAt: number, sumsAt: number): void;
  normalise(valuesAt: number, n: number, mean: number, scale: number): void;
}

let kernel: Kernel | undefined;

/** A source window larger than this many times the crop's own pixels goes the JavaScript way. */
const MAX_WINDOW_RATIO = 4;

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
  const cols = cropTaps(cx - side / 2, scale, size);
  const rows = cropTaps(cy - side / 2, scale, size);
  // The window the taps span.
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let o = 0; o < size; o++) {
    const xA = cols.first[o]!;
    const yA = rows.first[o]!;
    if (xA < xMin) xMin = xA;
    if (xA + 1 > xMax) xMax = xA + 1;
    if (yA < yMin) yMin = yA;
    if (yA + 1 > yMax) yMax = yA + 1;
  }
  const winW = xMax - xMin + 1;
  const winH = yMax - yMin + 1;
  // NaN anywhere (a crop centre or side that is not a number) fails this too: the JavaScript defines that case.
  if (!(winW > 0 && winH > 0 && winW * winH <= MAX_WINDOW_RATIO * size * size)) {
    cropSquareGcnInto(img, cx, cy, side, size, order, out, offset);
    return;
  }
  kernel ??= instantiateWasm(SQUARE_CROP_WASM_BASE64) as Kernel;
  const strideBytes = winW * cn;
  const plane = size * size;
  const { offsets, totalBytes } = layoutBytes([
    4 * size, 4 * size, 8 * size, // colL, colR, colW
    4 * size, 8 * size, // rowA, rowW
    24 * size, 24 * size, // two interpolated rows, planar f64
    48, // sums
    12 * plane, // the crop, planar f32
    strideBytes * winH, // the window
  ]);
  const [colLAt, colRAt, colWAt, rowAAt, rowWAt, hAAt, hBAt, sumsAt, outAt, winAt] = offsets as [number, number, number, number, number, number, number, number, number, number];
  const buf = ensureBytes(kernel.memory, totalBytes);
  const colL = new Int32Array(buf, colLAt, size);
  const colR = new Int32Array(buf, colRAt, size);
  const rowA = new Int32Array(buf, rowAAt, size);
  for (let o = 0; o < size; o++) {
    colL[o] = (cols.first[o]! - xMin) * cn;
    colR[o] = colL[o]! + cn;
    rowA[o] = rows.first[o]! - yMin;
  }
  new Float64Array(buf, colWAt, size).set(cols.weight);
  new Float64Array(buf, rowWAt, size).set(rows.weight);
  // The window: the image's pixels where it has them, zeros elsewhere (what the JavaScript reads outside it).
  const win = new Uint8Array(buf, winAt, strideBytes * winH);
  const ix0 = Math.max(xMin, 0);
  const ix1 = Math.min(xMax, width - 1);
  const iy0 = Math.max(yMin, 0);
  const iy1 = Math.min(yMax, height - 1);
  if (xMin < 0 || yMin < 0 || xMax >= width || yMax >= height || ix0 > ix1 || iy0 > iy1) win.fill(0);
  if (ix0 <= ix1) {
    for (let y = iy0; y <= iy1; y++) {
      const from = (y * width + ix0) * cn;
      win.set(data.subarray(from, from + (ix1 - ix0 + 1) * cn), (y - yMin) * strideBytes + (ix0 - xMin) * cn);
    }
  }
  const [k0, k1, k2] = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  kernel.crop(winAt, strideBytes, k0, k1, k2, size, colLAt, colRAt, colWAt, rowAAt, rowWAt, hAAt, hBAt, outAt, sumsAt);
  const sums = new Float64Array(buf, sumsAt, 6);
  for (let c = 0; c < 3; c++) {
    const { mean, scale: gcnScale } = gcnMeanScale(sums[2 * c]!, sums[2 * c + 1]!, plane);
    kernel.normalise(outAt + 4 * c * plane, plane, mean, gcnScale);
  }
  out.set(new Float32Array(buf, outAt, 3 * plane), offset);
}
