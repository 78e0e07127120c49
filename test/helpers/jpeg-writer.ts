/**
 * A minimal baseline JPEG writer for the decoder's hostile-input tests: the
 * caller gives each block's quantised coefficients (zig-zag order, DC
 * absolute), and gets a file with one quantisation table, a flat DC table
 * (categories 0–15, 5-bit codes), a flat AC table (every run/size up to
 * size 15, EOB and ZRL, 8-bit codes), one interleaved scan and optional
 * restart markers — coefficients no real encoder would write included.
 */

export interface JpegSpec {
  readonly width: number;
  readonly height: number;
  /** `420` (Y sampled 2 × 2) or `444`. */
  readonly sampling: '420' | '444';
  /** `[64]` quantisers, zig-zag order (default all 1). */
  readonly quant?: readonly number[];
  /** Quantised coefficients of block `b` (0–3 for Y in 4:2:0) of component `c` in MCU `mcu`: `[64]`, zig-zag order. */
  readonly block: (mcu: number, c: number, b: number) => readonly number[];
  /** Restart interval in MCUs (default none). */
  readonly restartInterval?: number;
  /** Bytes inserted before the SOS segment (markers under test). */
  readonly beforeScan?: readonly number[];
  /** The DC table's symbols (default 0–15; others can be listed but not written). */
  readonly dcSymbols?: readonly number[];
}

const segment = (marker: number, payload: readonly number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload];

/** `symbols` all coded with `bits`-bit codes in order: the DHT counts and each symbol's code. */
function flatTable(symbols: readonly number[], bits: number): { counts: number[]; code: Map<number, number> } {
  const counts = new Array<number>(16).fill(0);
  counts[bits - 1] = symbols.length;
  return { counts, code: new Map(symbols.map((s, i) => [s, i])) };
}

const AC_SYMBOLS = [0x00, 0xf0, ...Array.from({ length: 16 }, (_, r) => Array.from({ length: 15 }, (_, s) => (r << 4) | (s + 1))).flat()];

export function writeJpeg(spec: JpegSpec): Uint8Array {
  const { width, height, sampling } = spec;
  const dcSymbols = spec.dcSymbols ?? Array.from({ length: 16 }, (_, i) => i);
  const dc = flatTable(dcSymbols, 5);
  const ac = flatTable(AC_SYMBOLS, 8);
  const out: number[] = [0xff, 0xd8];
  out.push(...segment(0xdb, [0x00, ...(spec.quant ?? new Array<number>(64).fill(1))]));
  out.push(...segment(0xc0, [8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, sampling === '420' ? 0x22 : 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]));
  out.push(...segment(0xc4, [0x00, ...dc.counts, ...dcSymbols]));
  out.push(...segment(0xc4, [0x10, ...ac.counts, ...AC_SYMBOLS]));
  if (spec.restartInterval) out.push(...segment(0xdd, [spec.restartInterval >> 8, spec.restartInterval & 255]));
  out.push(...(spec.beforeScan ?? []));
  out.push(...segment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]));
  let bits = '';
  const put = (value: number, n: number) => {
    if (n > 0) bits += (value >>> 0).toString(2).padStart(32, '0').slice(32 - n);
  };
  const flush = () => {
    while (bits.length % 8) bits += '1';
    for (let i = 0; i < bits.length; i += 8) {
      const byte = parseInt(bits.slice(i, i + 8), 2);
      out.push(byte);
      if (byte === 0xff) out.push(0x00);
    }
    bits = '';
  };
  const category = (v: number) => (v === 0 ? 0 : Math.floor(Math.log2(Math.abs(v))) + 1);
  const valueBits = (v: number, s: number) => put(v >= 0 ? v : v + (1 << s) - 1, s);
  const mcuSize = sampling === '420' ? 16 : 8;
  const mcus = Math.ceil(width / mcuSize) * Math.ceil(height / mcuSize);
  const perComponent = sampling === '420' ? [4, 1, 1] : [1, 1, 1];
  const pred = [0, 0, 0];
  let restart = 0;
  for (let m = 0; m < mcus; m++) {
    if (spec.restartInterval && m > 0 && m % spec.restartInterval === 0) {
      flush();
      out.push(0xff, 0xd0 + (restart++ & 7));
      pred.fill(0);
    }
    for (let c = 0; c < 3; c++) {
      for (let b = 0; b < perComponent[c]!; b++) {
        const z = spec.block(m, c, b);
        const diff = z[0]! - pred[c]!;
        pred[c] = z[0]!;
        const s = category(diff);
        put(dc.code.get(s)!, 5);
        valueBits(diff, s);
        let run = 0;
        let last = 63;
        while (last > 0 && z[last] === 0) last--;
        for (let k = 1; k <= last; k++) {
          if (z[k] === 0) {
            run++;
            continue;
          }
          while (run > 15) {
            put(ac.code.get(0xf0)!, 8);
            run -= 16;
          }
          const size = category(z[k]!);
          put(ac.code.get((run << 4) | size)!, 8);
          valueBits(z[k]!, size);
          run = 0;
        }
        if (last < 63) put(ac.code.get(0x00)!, 8);
      }
    }
  }
  flush();
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}
