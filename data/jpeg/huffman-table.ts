/**
 * A JPEG Huffman table (T.81 Annex C) in the form the entropy decoder reads
 * fast: codes up to `LOOKAHEAD_BITS` long resolve with one look-up of the
 * next bits, longer ones through the per-length `maxCode` search.
 */
import type { HuffmanSpec } from './jpeg-layout.js';

/** Bits resolved by one table look-up. */
export const LOOKAHEAD_BITS = 9;

export interface HuffmanTable {
  /**
   * `[2^LOOKAHEAD_BITS]`: for the next bits as an index, `(length << 8) |
   * symbol` of the code they start with, or 0 when that code is longer.
   */
  readonly lookup: Uint16Array;
  /** `[18]`: the largest code of each length l (index l, 1–16), -1 if none; index 17 ends the search. */
  readonly maxCode: Int32Array;
  /** `[17]`: `symbols` index of the first code of length l, minus that code. */
  readonly valOffset: Int32Array;
  readonly symbols: Uint8Array;
}

/**
 * Builds the decoding table of `spec`; undefined for a table libjpeg
 * refuses when it builds it: codes that overflow their lengths, or, for a
 * DC table (`dc`), a symbol over 15.
 */
export function buildHuffmanTable(spec: HuffmanSpec, dc: boolean): HuffmanTable | undefined {
  if (dc && spec.symbols.some((s) => s > 15)) return undefined;
  const lookup = new Uint16Array(1 << LOOKAHEAD_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(17);
  maxCode[17] = 0x7fffffff;
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = spec.counts[len - 1]!;
    if (n > 0) {
      valOffset[len] = k - code;
      for (let c = 0; c < n; c++, k++, code++) {
        if (len <= LOOKAHEAD_BITS) {
          const shift = LOOKAHEAD_BITS - len;
          const entry = (len << 8) | spec.symbols[k]!;
          for (let fill = 0; fill < 1 << shift; fill++) lookup[(code << shift) | fill] = entry;
        }
      }
      maxCode[len] = code - 1;
    }
    // The next code must still fit in `len` bits: no code is all ones (libjpeg refuses such a table).
    if (n > 0 && code >= 1 << len) return undefined;
    code <<= 1;
  }
  return { lookup, maxCode, valOffset, symbols: spec.symbols };
}
