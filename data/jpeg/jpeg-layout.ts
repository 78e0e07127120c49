/**
 * The marker segments of a baseline JPEG (ITU-T T.81), read as far as the
 * start of its one scan: what ./decode-region.ts needs to decode a region
 * itself. Only the form that decoder reproduces to the byte (8-bit
 * Huffman-coded sequential YCbCr, one interleaved scan, 4:2:0 or 4:4:4, no
 * colour profile or Adobe transform) is described; for anything else the
 * answer is a reason, and the caller decodes with sharp as before. Before
 * the scan only the segments libjpeg reads the same way are accepted
 * (APPn, COM, DQT, DHT, DRI, SOF0/1, SOS): a marker without a length (RSTn,
 * TEM), a second SOI or one libjpeg refuses (JPG, JPGn, reserved) is left
 * to sharp, which knows what libjpeg does with it.
 */

/** libjpeg-turbo's largest width or height (JPEG_MAX_DIMENSION). */
export const JPEG_MAX_DIMENSION = 65500;

/** One colour component of the frame header. */
export interface JpegComponent {
  /** Horizontal and vertical sampling factors. */
  readonly h: number;
  readonly v: number;
  /** `[64]` dequantisation table in zig-zag order. */
  readonly quant: Uint16Array;
  /** Huffman tables of the scan (index into `JpegLayout.dc` / `ac`). */
  readonly dcTable: number;
  readonly acTable: number;
}

/** A Huffman table as coded: `counts[l]` codes of length l + 1, then their symbols. */
export interface HuffmanSpec {
  readonly counts: Uint8Array;
  readonly symbols: Uint8Array;
}

export interface JpegLayout {
  readonly width: number;
  readonly height: number;
  /** Y, Cb, Cr in scan order (the frame's order). */
  readonly components: readonly [JpegComponent, JpegComponent, JpegComponent];
  readonly dc: readonly (HuffmanSpec | undefined)[];
  readonly ac: readonly (HuffmanSpec | undefined)[];
  /** MCUs between restart markers (0: none). */
  readonly restartInterval: number;
  /** Byte offset of the entropy-coded data. */
  readonly scanStart: number;
}

const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;

/** The layout of `b`, or why this decoder leaves it to sharp. */
export function readJpegLayout(b: Uint8Array): JpegLayout | { readonly unsupported: string } {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return { unsupported: 'not a JPEG' };
  const quant: (Uint16Array | undefined)[] = [];
  const dc: (HuffmanSpec | undefined)[] = [];
  const ac: (HuffmanSpec | undefined)[] = [];
  let frame: { width: number; height: number; ids: number[]; h: number[]; v: number[]; tq: number[] } | undefined;
  let restartInterval = 0;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return { unsupported: `no marker at byte ${i}` };
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    i += 2;
    const known = m === 0xc0 || m === 0xc1 || m === 0xc4 || m === 0xdb || m === 0xdd || m === 0xda || m === 0xfe || (m >= 0xe0 && m <= 0xef);
    if (!known) return { unsupported: `marker 0x${m.toString(16)} before the scan` };
    const len = u16(b, i);
    if (len < 2 || i + len > b.length) return { unsupported: `segment 0x${m.toString(16)} runs past the end` };
    const s = i + 2;
    const end = i + len;
    if (m === 0xc0 || m === 0xc1) {
      if (frame) return { unsupported: 'two frame headers' };
      if (len < 8 || b[s] !== 8) return { unsupported: 'not 8-bit' };
      const n = b[s + 5]!;
      if (n !== 3 || len !== 8 + 3 * n) return { unsupported: `${n} components` };
      frame = { height: u16(b, s + 1), width: u16(b, s + 3), ids: [], h: [], v: [], tq: [] };
      for (let c = 0; c < 3; c++) {
        frame.ids.push(b[s + 6 + 3 * c]!);
        frame.h.push(b[s + 7 + 3 * c]! >> 4);
        frame.v.push(b[s + 7 + 3 * c]! & 15);
        frame.tq.push(b[s + 8 + 3 * c]!);
      }
    } else if (m === 0xdb) {
      for (let p = s; p < end;) {
        const pq = b[p]! >> 4;
        const tq = b[p]! & 15;
        if (pq !== 0 || tq > 3 || p + 65 > end) return { unsupported: 'a 16-bit or malformed quantisation table' };
        quant[tq] = Uint16Array.from(b.subarray(p + 1, p + 65));
        p += 65;
      }
    } else if (m === 0xc4) {
      for (let p = s; p < end;) {
        const tc = b[p]! >> 4;
        const th = b[p]! & 15;
        if (tc > 1 || th > 3 || p + 17 > end) return { unsupported: 'a malformed Huffman table' };
        const counts = b.slice(p + 1, p + 17);
        let total = 0;
        for (const c of counts) total += c;
        if (total > 256 || p + 17 + total > end) return { unsupported: 'a malformed Huffman table' };
        (tc === 0 ? dc : ac)[th] = { counts, symbols: b.slice(p + 17, p + 17 + total) };
        p += 17 + total;
      }
    } else if (m === 0xdd) {
      if (len !== 4) return { unsupported: 'a malformed restart interval' };
      restartInterval = u16(b, s);
    } else if (m === 0xe2 && len >= 14 && String.fromCharCode(...b.subarray(s, s + 11)) === 'ICC_PROFILE') {
      return { unsupported: 'an ICC profile' };
    } else if (m === 0xee && len >= 7 && String.fromCharCode(...b.subarray(s, s + 5)) === 'Adobe') {
      return { unsupported: 'an Adobe colour transform marker' };
    } else if (m === 0xda) {
      if (!frame) return { unsupported: 'a scan before the frame header' };
      const ns = b[s]!;
      if (ns !== 3 || len !== 6 + 2 * ns) return { unsupported: 'a non-interleaved scan' };
      if (b[s + 7] !== 0 || b[s + 8] !== 63 || b[s + 9] !== 0) return { unsupported: 'a scan that is not sequential' };
      const { width, height, ids, h, v, tq } = frame;
      if (width < 3 || height < 3) return { unsupported: 'an image under 3 pixels wide or high' };
      if (width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) return { unsupported: `a side over ${JPEG_MAX_DIMENSION} pixels` };
      if (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42) return { unsupported: 'RGB components' };
      const sampling = `${h[0]}${v[0]}${h[1]}${v[1]}${h[2]}${v[2]}`;
      if (sampling !== '221111' && sampling !== '111111') return { unsupported: `sampling ${sampling}` };
      const components: JpegComponent[] = [];
      for (let c = 0; c < 3; c++) {
        if (b[s + 1 + 2 * c] !== ids[c]) return { unsupported: 'scan components not in frame order' };
        const td = b[s + 2 + 2 * c]! >> 4;
        const ta = b[s + 2 + 2 * c]! & 15;
        const q = quant[tq[c]!];
        if (!q || !dc[td] || !ac[ta]) return { unsupported: 'a missing table' };
        components.push({ h: h[c]!, v: v[c]!, quant: q, dcTable: td, acTable: ta });
      }
      const [y, cb, cr] = components as [JpegComponent, JpegComponent, JpegComponent];
      return { width, height, components: [y, cb, cr], dc, ac, restartInterval, scanStart: end };
    }
    i = end;
  }
  return { unsupported: 'no scan' };
}
