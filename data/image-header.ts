/**
 * Format, size and EXIF orientation read from the first bytes of a JPEG,
 * PNG or WebP file in JavaScript, without a trip through sharp (whose
 * per-call cost, about 0.2 ms, is more than decoding a small LSPET JPEG's
 * header needs). Anything this reader is not sure about — another format,
 * a PNG or WebP carrying EXIF, a JPEG whose frame header it cannot find —
 * returns `undefined`, and the caller asks sharp instead.
 */

export interface ImageHeader {
  readonly format: 'jpeg' | 'png' | 'webp';
  /** Stored size, before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  readonly orientation: number;
  /**
   * True when the file decodes straight to 8-bit 3-channel sRGB without a
   * colour conversion or an alpha channel to drop (JPEG with 3 components;
   * PNG of colour type 2, 8 bits; lossy WebP without alpha).
   */
  readonly plainRgb: boolean;
}

/** Reads the header of `bytes`, or `undefined` when sharp should be asked. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegHeader(bytes);
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return pngHeader(bytes);
  if (bytes.length >= 30 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return webpHeader(bytes);
  return undefined;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i]!);
  return s;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);

function valid(width: number, height: number): boolean {
  return Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0;
}

function jpegHeader(b: Uint8Array): ImageHeader | undefined {
  let orientation = 1;
  let exifSeen = false;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    let m = b[i + 1]!;
    // Fill bytes.
    while (m === 0xff && i + 2 < b.length) {
      i++;
      m = b[i + 1]!;
    }
    i += 2;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // no length
    if (m === 0xd9 || m === 0xda) return undefined; // end or scan before any frame header
    if (i + 2 > b.length) return undefined;
    const len = u16be(b, i);
    if (len < 2 || i + len > b.length) return undefined;
    if (m === 0xe1 && !exifSeen && len >= 8 && ascii(b, i + 2, 6) === 'Exif\0\0') {
      exifSeen = true;
      const o = exifOrientation(b, i + 8, i + len);
      if (o === undefined) return undefined;
      orientation = o;
    }
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (len < 7) return undefined;
      const height = u16be(b, i + 3);
      const width = u16be(b, i + 5);
      const components = b[i + 7]!;
      return valid(width, height) ? { format: 'jpeg', width, height, orientation, plainRgb: components === 3 && b[i + 2] === 8 } : undefined;
    }
    i += len;
  }
  return undefined;
}

/** The orientation tag of IFD0 in the TIFF structure at `[start, end)`; 1 if absent, undefined if unreadable. */
function exifOrientation(b: Uint8Array, start: number, end: number): number | undefined {
  if (start + 8 > end) return undefined;
  const order = ascii(b, start, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (i: number) => (le ? b[i]! | (b[i + 1]! << 8) : u16be(b, i));
  const u32 = (i: number) => (le ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 2 ** 24 : u32be(b, i));
  if (u16(start + 2) !== 42) return undefined;
  const ifd = start + u32(start + 4);
  if (ifd + 2 > end) return undefined;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > end) return undefined;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

function pngHeader(b: Uint8Array): ImageHeader | undefined {
  if (ascii(b, 12, 4) !== 'IHDR') return undefined;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  // libvips honours an eXIf chunk's orientation: leave those (rare) files to sharp.
  let i = 8;
  while (i + 8 <= b.length) {
    const len = u32be(b, i);
    const type = ascii(b, i + 4, 4);
    if (type === 'eXIf') return undefined;
    if (type === 'IDAT' || type === 'IEND') break;
    i += 12 + len;
  }
  return valid(width, height) ? { format: 'png', width, height, orientation: 1, plainRgb: b[24] === 8 && b[25] === 2 } : undefined;
}

function webpHeader(b: Uint8Array): ImageHeader | undefined {
  const chunk = ascii(b, 12, 4);
  let width: number;
  let height: number;
  let plainRgb = false;
  if (chunk === 'VP8 ') {
    plainRgb = true;
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    width = (b[26]! | (b[27]! << 8)) & 0x3fff;
    height = (b[28]! | (b[29]! << 8)) & 0x3fff;
  } else if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return undefined;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === 'VP8X') {
    // EXIF (orientation) or animation: leave to sharp.
    if (b[20]! & 0x08 || b[20]! & 0x02) return undefined;
    width = (b[24]! | (b[25]! << 8) | (b[26]! << 16)) + 1;
    height = (b[27]! | (b[28]! << 8) | (b[29]! << 16)) + 1;
  } else {
    return undefined;
  }
  return valid(width, height) ? { format: 'webp', width, height, orientation: 1, plainRgb } : undefined;
}
