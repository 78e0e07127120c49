/**
 * The fewest bytes an intact file of a given size can have, read from its
 * header: a header claiming 6000×6600 pixels in a 5 KB file is a truncated
 * or forged image, refused before 40 MP of filler are decoded.
 *
 * - Huffman-coded JPEG (baseline or progressive): every 8×8 block of the
 *   first component codes at least its DC difference, 1 bit at the least.
 *   Arithmetic-coded JPEG (SOF9–SOF15) has no such floor: 0.
 * - PNG: deflate expands at most 1032:1, so the compressed data is at least
 *   the filtered scanlines (one filter byte + packed samples per row) / 1032.
 * - WebP (VP8, VP8L) codes uniform areas in a fraction of a bit: no floor (0).
 *   Their memory is bounded by the pixel limit and the service's pixel budget.
 */

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number) => b[i]! * 2 ** 24 + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);

/** Lower bound on the byte length of an intact `format` file with this header; 0 when none is known. */
export function minimumEncodedBytes(bytes: Uint8Array, format: string): number {
  if (format === 'jpeg') return jpegMinimum(bytes);
  if (format === 'png') return pngMinimum(bytes);
  return 0;
}

function jpegMinimum(b: Uint8Array): number {
  let i = 2;
  while (i + 4 <= b.length && b[0] === 0xff && b[1] === 0xd8) {
    if (b[i] !== 0xff) return 0;
    let m = b[i + 1]!;
    while (m === 0xff && i + 2 < b.length) {
      i++;
      m = b[i + 1]!;
    }
    i += 2;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m === 0xd9 || m === 0xda || i + 2 > b.length) return 0;
    const len = u16be(b, i);
    if (len < 2) return 0;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m >= 0xc9 || i + 10 > b.length) return 0; // arithmetic coding, or a short header
      const height = u16be(b, i + 3);
      const width = u16be(b, i + 5);
      const components = b[i + 7]!;
      if (components < 1) return 0;
      // Sampling factors of the first component and the largest ones set the block grid.
      let hMax = 1;
      let vMax = 1;
      for (let c = 0; c < components && i + 10 + 3 * c <= b.length; c++) {
        const s = b[i + 9 + 3 * c]!;
        hMax = Math.max(hMax, s >> 4);
        vMax = Math.max(vMax, s & 15);
      }
      const s0 = b[i + 9]!;
      const h0 = Math.max(1, s0 >> 4);
      const v0 = Math.max(1, s0 & 15);
      const blocks = Math.ceil((Math.ceil((width * h0) / hMax)) / 8) * Math.ceil((Math.ceil((height * v0) / vMax)) / 8);
      return Math.floor(blocks / 8);
    }
    i += len;
  }
  return 0;
}

function pngMinimum(b: Uint8Array): number {
  if (b.length < 29) return 0;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  const depth = b[24]!;
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[b[25]!];
  if (!samples || ![1, 2, 4, 8, 16].includes(depth)) return 0;
  if (b[28] === 1) return 0; // interlaced: seven passes, a smaller floor; not worth the arithmetic
  const rowBytes = 1 + Math.ceil((width * samples * depth) / 8);
  return Math.floor((rowBytes * height) / 1032);
}

/**
 * Whether the file ends as an intact `format` file does: a JPEG with its
 * end-of-image marker (FF D9) as the last two bytes, a PNG with its IEND
 * chunk as the last twelve, a WebP whose RIFF size is the file's. A file cut
 * short fails; so does an intact one with bytes after its end (some cameras
 * append them), which only means the caller takes its careful route. Other
 * formats: false.
 */
export function endsIntact(bytes: Uint8Array, format: string): boolean {
  const n = bytes.length;
  if (format === 'jpeg') return n >= 4 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
  if (format === 'png') return n >= 12 && PNG_IEND.every((v, i) => bytes[n - 12 + i] === v);
  if (format === 'webp') {
    if (n < 12) return false;
    const riffBytes = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16)) + bytes[7]! * 2 ** 24;
    return riffBytes + 8 === n;
  }
  return false;
}

/** A PNG's IEND chunk: length 0, type, CRC. */
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82] as const;
