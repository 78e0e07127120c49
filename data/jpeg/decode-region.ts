/**
 * Decodes one region of a baseline JPEG on the calling thread, to the same
 * bytes as sharp's (libvips', libjpeg-turbo's) decode of the whole image
 * cut to that region (test/jpeg-region.test.ts; all 10,000 LSPET images,
 * whole and in random regions, checked the same way). The Huffman data is
 * read up to the region's last row of blocks, and only the blocks the
 * region touches — with, for 4:2:0, the one chroma sample around it that
 * libjpeg's upsampling reads — are transformed and converted
 * (./jpeg-decode.wat). No trip through libuv's thread pool and a libvips
 * pipeline: the module's memory is reused from call to call, and what is
 * allocated per call is the output and the small Huffman tables.
 *
 * `undefined` — decode with sharp — for any file outside the form it
 * reproduces exactly (./jpeg-layout.ts), whose data a conforming decoder
 * would only warn about, or whose coefficients are too large for
 * libjpeg-turbo's 16-bit SIMD transform to agree with this one (the module
 * traps: ./jpeg-decode.wat).
 */
import { buildHuffmanTable, type HuffmanTable } from './huffman-table.js';
import { readJpegLayout } from './jpeg-layout.js';
import { JPEG_DECODE_WASM_BASE64 } from './jpeg-decode-wasm.js';
import { ensureBytes, instantiateWasm, isWasmTrap, layoutBytes, type WasmMemory } from '../transforms/wasm-instance.js';

/** The module's exports; every pointer is a byte offset into `memory` (layout: ./jpeg-decode.wat). */
interface Decoder {
  readonly memory: WasmMemory;
  decode(start: number, end: number, mcusX: number, rows: number, interval: number): void;
  rgb420(yp: number, ys: number, yc0: number, yr0: number, cbp: number, crp: number, cs: number, cc0: number, cr0: number,
    cw: number, ch: number, x0: number, y0: number, x1: number, y1: number, out: number, sums: number): void;
  rgb444(yp: number, ys: number, yc0: number, yr0: number, cbp: number, crp: number, cs: number, cc0: number, cr0: number,
    x0: number, y0: number, x1: number, y1: number, out: number): void;
}

const DESCRIPTORS = 64;
const ZIGZAG = 768;
const COLOUR_TABLES = 1024;
const SATURATE = 5120;
const QUANT = 6144;
const HUFFMAN = 8192;
const HUFFMAN_STRIDE = 1536;
const DYNAMIC = 20480;

/** Natural (row-major) index of each zig-zag position. */
const ZIGZAG_TO_NATURAL = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

let decoder: Decoder | undefined;

/**
 * Entropy-coded bytes one 8 × 8 block can take at most: 64 codes of at most
 * 16 bits, each followed by at most 15 bits of value (248 bytes), twice that
 * were every byte a stuffed 0xFF 0x00, and a restart marker.
 */
const MAX_SCAN_BYTES_PER_BLOCK = 512;

/** The module, with its constant tables written (libjpeg's `build_ycc_rgb_table`, 16-bit fixed point). */
function instance(): Decoder {
  if (decoder) return decoder;
  const d = instantiateWasm(JPEG_DECODE_WASM_BASE64) as Decoder;
  const buf = d.memory.buffer;
  new Uint8Array(buf, ZIGZAG, 64).set(ZIGZAG_TO_NATURAL);
  const fix = (x: number) => Math.floor(x * 65536 + 0.5);
  const t = new Int32Array(buf, COLOUR_TABLES, 4 * 256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    t[i] = (fix(1.402) * x + 32768) >> 16; // Cr → R
    t[256 + i] = (fix(1.772) * x + 32768) >> 16; // Cb → B
    t[512 + i] = -fix(0.71414) * x; // Cr → G
    t[768 + i] = -fix(0.34414) * x + 32768; // Cb → G
  }
  new Uint8Array(buf, SATURATE, 1024).set(Uint8Array.from({ length: 1024 }, (_, i) => Math.min(255, Math.max(0, i - 384))));
  decoder = d;
  return d;
}

/** Blocks `[b0, b1]` (inclusive) of one component that the region needs, per axis. */
interface BlockWindow {
  readonly bx0: number;
  readonly bx1: number;
  readonly by0: number;
  readonly by1: number;
}

/**
 * The RGB pixels `[y1 - y0, x1 - x0, 3]` of the region `[x0, x1) × [y0,
 * y1)` (whole pixels inside the image) of the JPEG `bytes`, or `undefined`
 * when this decoder does not reproduce that file exactly.
 */
export function decodeJpegRegion(bytes: Uint8Array, x0: number, y0: number, x1: number, y1: number): Uint8Array | undefined {
  const layout = readJpegLayout(bytes);
  if ('unsupported' in layout) return undefined;
  const { width, height, components, restartInterval } = layout;
  if (!(Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1))) return undefined;
  if (!(x0 >= 0 && y0 >= 0 && x1 <= width && y1 <= height && x1 > x0 && y1 > y0)) return undefined;
  const sub = components[0].h === 2; // 4:2:0, else 4:4:4
  const chromaWidth = sub ? (width + 1) >> 1 : width;
  const chromaHeight = sub ? (height + 1) >> 1 : height;
  // libjpeg upsamples chroma two samples wide or less by repeating each sample, not by its fancy filter.
  if (sub && chromaWidth <= 2) return undefined;
  // Each Huffman table the scan uses, once (the two chroma components usually share theirs).
  const tables = new Map<number, HuffmanTable>();
  for (const c of components) {
    for (const [slot, spec, dc] of [[huffmanSlot('dc', c.dcTable), layout.dc[c.dcTable]!, true], [huffmanSlot('ac', c.acTable), layout.ac[c.acTable]!, false]] as const) {
      if (tables.has(slot)) continue;
      const t = buildHuffmanTable(spec, dc);
      if (!t) return undefined;
      tables.set(slot, t);
    }
  }
  const luma: BlockWindow = { bx0: x0 >> 3, bx1: (x1 - 1) >> 3, by0: y0 >> 3, by1: (y1 - 1) >> 3 };
  // 4:2:0: the fancy upsampling reads one chroma sample beyond the region on every side.
  const cx0 = sub ? Math.max(0, (x0 >> 1) - 1) : x0;
  const cx1 = sub ? Math.min(chromaWidth - 1, ((x1 - 1) >> 1) + 1) : x1 - 1;
  const cy0 = sub ? Math.max(0, (y0 >> 1) - 1) : y0;
  const cy1 = sub ? Math.min(chromaHeight - 1, ((y1 - 1) >> 1) + 1) : y1 - 1;
  const chroma: BlockWindow = { bx0: cx0 >> 3, bx1: cx1 >> 3, by0: cy0 >> 3, by1: cy1 >> 3 };
  const windows = [luma, chroma, chroma];
  const planeBytes = windows.map((w) => (w.bx1 - w.bx0 + 1) * 8 * (w.by1 - w.by0 + 1) * 8);
  const outBytes = (x1 - x0) * (y1 - y0) * 3;
  const sumsBytes = 2 * 4 * (((x1 - 1) >> 1) - (x0 >> 1) + 3);
  // Only the entropy-coded data goes into the module's memory (not the headers, EXIF thumbnails and
  // all), and no more of it than the image's blocks can fill (MAX_SCAN_BYTES_PER_BLOCK): a file
  // padded with megabytes after its data cannot grow the memory this thread keeps; were data cut
  // off by that bound, the decoder would run out of it and trap.
  const blocks = (sub ? 6 : 3) * Math.ceil(width / (sub ? 16 : 8)) * Math.ceil(height / (sub ? 16 : 8));
  const scan = bytes.subarray(layout.scanStart, layout.scanStart + blocks * MAX_SCAN_BYTES_PER_BLOCK + 1024);
  const { offsets, totalBytes } = layoutBytes([scan.length, ...planeBytes, sumsBytes, outBytes]);
  const [dataAt, yAt, cbAt, crAt, sumsAt, outAt] = offsets.map((o) => o + DYNAMIC) as [number, number, number, number, number, number];
  const d = instance();
  const buf = ensureBytes(d.memory, DYNAMIC + totalBytes);
  new Uint8Array(buf, dataAt, scan.length).set(scan);
  const desc = new Int32Array(buf, DESCRIPTORS, 3 * 16);
  const quant = new Int32Array(buf, QUANT, 3 * 64);
  const planes = [yAt, cbAt, crAt];
  for (const [slot, t] of tables) writeHuffman(buf, t, slot);
  for (let c = 0; c < 3; c++) {
    const comp = components[c]!;
    const w = windows[c]!;
    quant.set(comp.quant, 64 * c);
    desc.set([comp.h, comp.v, HUFFMAN + huffmanSlot('dc', comp.dcTable) * HUFFMAN_STRIDE, HUFFMAN + huffmanSlot('ac', comp.acTable) * HUFFMAN_STRIDE, QUANT + 256 * c,
      w.bx0, w.bx1, w.by0, w.by1, planes[c]!, (w.bx1 - w.bx0 + 1) * 8, w.bx0 * 8, w.by0 * 8], 16 * c);
  }
  const mcuSize = sub ? 16 : 8;
  // Through the last MCU row holding a needed block of any component.
  const rows = Math.min(Math.ceil(height / mcuSize), Math.max(sub ? luma.by1 >> 1 : luma.by1, chroma.by1) + 1);
  try {
    d.decode(dataAt, dataAt + scan.length, Math.ceil(width / mcuSize), rows, restartInterval);
  } catch (err) {
    // A trap: data libjpeg would decode only with a warning, or differently in its SIMD code.
    if (isWasmTrap(err)) return undefined;
    throw err;
  }
  const ys = (luma.bx1 - luma.bx0 + 1) * 8;
  const cs = (chroma.bx1 - chroma.bx0 + 1) * 8;
  if (sub) d.rgb420(yAt, ys, luma.bx0 * 8, luma.by0 * 8, cbAt, crAt, cs, chroma.bx0 * 8, chroma.by0 * 8, chromaWidth, chromaHeight, x0, y0, x1, y1, outAt, sumsAt);
  else d.rgb444(yAt, ys, luma.bx0 * 8, luma.by0 * 8, cbAt, crAt, cs, chroma.bx0 * 8, chroma.by0 * 8, x0, y0, x1, y1, outAt);
  return new Uint8Array(buf, outAt, outBytes).slice();
}

/** The module's Huffman slot of a table: DC tables 0–3, AC tables 4–7, by their index in the file. */
function huffmanSlot(cls: 'dc' | 'ac', index: number): number {
  return (cls === 'dc' ? 0 : 4) + index;
}

/** Table `slot` (`huffmanSlot`) into the module's Huffman area. */
function writeHuffman(buf: ArrayBuffer, t: HuffmanTable, slot: number): void {
  const at = HUFFMAN + slot * HUFFMAN_STRIDE;
  new Uint16Array(buf, at, 512).set(t.lookup);
  new Int32Array(buf, at + 1024, 18).set(t.maxCode);
  new Int32Array(buf, at + 1096, 17).set(t.valOffset);
  new Uint8Array(buf, at + 1164, t.symbols.length).set(t.symbols);
}
