/**
 * `planarGcn` (./gcn.ts) with its two per-pixel passes — the byte
 * histograms and the table lookup — in WebAssembly (./planar-gcn.wat). The
 * tables come from the same `byteGcnTable`, so the output is the same
 * float32 values to the bit (test/planar-gcn-kernel.test.ts). It is the last
 * step of the legacy stage-1 crop of every image `eval`, `predict` and the
 * service see. One instance per thread, created on first use.
 */
import { invalidArgument } from '../../core/errors.js';
import { byteGcnTable, sourceChannels } from './gcn.js';
import { PLANAR_GCN_WASM_BASE64 } from './planar-gcn-wasm.js';
import { ensureBytes, instantiateWasm, layoutBytes, type WasmMemory } from './wasm-instance.js';

/** The module's exports; every pointer is a byte offset into `memory`. */
interface Kernel {
  readonly memory: WasmMemory;
  histogram(srcAt: number, pixels: number, histAt: number): void;
  lookup(srcAt: number, pixels: number, tableAt: number, outAt: number): void;
}

let kernel: Kernel | undefined;

/** Same contract and values as `planarGcn`: interleaved RGB `[S, S, 3]` bytes → planar `[3, S, S]` float32 in `order`. */
export function planarGcnKernel(rgb: Uint8Array, size: number, order: 'bgr' | 'rgb', out: Float32Array = new Float32Array(3 * size * size)): Float32Array {
  const plane = size * size;
  if (rgb.length < 3 * plane) throw invalidArgument('rgb', `at least ${3 * plane} bytes (${size}×${size} RGB)`, rgb);
  if (out.length < 3 * plane) throw invalidArgument('out', `a Float32Array of at least 3×${size}×${size} values`, out);
  kernel ??= instantiateWasm(PLANAR_GCN_WASM_BASE64) as Kernel;
  const { offsets, totalBytes } = layoutBytes([3 * plane, 2 * 4 * 3 * 256, 4 * 3 * 256, 4 * 3 * plane]);
  const [srcAt, histAt, tablesAt, outAt] = offsets as [number, number, number, number];
  const buf = ensureBytes(kernel.memory, totalBytes);
  new Uint8Array(buf, srcAt, 3 * plane).set(rgb.subarray(0, 3 * plane));
  kernel.histogram(srcAt, plane, histAt);
  // The two half-histograms (even and odd pixels) added.
  const halves = new Int32Array(buf, histAt, 2 * 3 * 256);
  const hist = new Int32Array(3 * 256);
  for (let i = 0; i < 3 * 256; i++) hist[i] = halves[i]! + halves[3 * 256 + i]!;
  const src = sourceChannels(order);
  for (let c = 0; c < 3; c++) {
    const ch = src[c]!;
    const tableAt = tablesAt + c * 4 * 256;
    byteGcnTable(hist, ch * 256, plane, new Float32Array(buf, tableAt, 256));
    kernel.lookup(srcAt + ch, plane, tableAt, outAt + c * 4 * plane);
  }
  out.set(new Float32Array(buf, outAt, 3 * plane));
  return out;
}
