/**
 * Image decoding for every path (predict, serve, evaluate, train): a
 * baseline JPEG of photo size is decoded on the calling thread in
 * WebAssembly (./jpeg/decode-region.ts, sharp's bytes exactly); sharp
 * decodes every other JPEG, PNG and WebP, applies the EXIF orientation, drops alpha, and
 * refuses images over a pixel limit before decoding them (sharp reads the
 * header first), so a decompression bomb never reaches memory.
 */
import type Sharp from 'sharp';
import { loadSharp } from './sharp-module.js';
import { DeepPoseError } from '../core/errors.js';
import { readImageHeader, type ImageHeader } from './image-header.js';
import { endsIntact, minimumEncodedBytes } from './image-plausible.js';
import { decodeJpegRegion } from './jpeg/decode-region.js';
import type { RawImage } from './transforms/square-crop.js';

/** A decoded image: interleaved RGB, 8 bits per channel, EXIF orientation applied. */
export interface DecodedImage extends RawImage {
  readonly channels: 3;
}

/**
 * The largest JPEG (pixels) that `decodeImage` and `decodeImageRegion`
 * decode themselves (./jpeg/decode-region.ts) rather than with sharp. The
 * Huffman decoding, which no region spares, is where sharp's libjpeg-turbo
 * is quicker: at quality 90 the two break even about 800 × 600 (`npm run
 * bench -- jpeg`: 3.4 against 3.1 ms of CPU for a central 36 % region;
 * 1.0 against 1.5 ms at 400 × 300, 19 against 10 ms at 2000 × 1500), while
 * LSPET's 80,000-pixel test images cost 0.45 against 1.3 ms per stage-1
 * crop.
 */
export const OWN_JPEG_DECODE_MAX_PIXELS = 500_000;

/** Default input limit: 40 megapixels. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export const SUPPORTED_FORMATS = ['jpeg', 'png', 'webp'] as const;

export class ImageDecodeError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_IMAGE_DECODE', message, cause === undefined ? undefined : { cause });
  }
}

export class ImageTooLargeError extends DeepPoseError {
  constructor(message: string) {
    super('E_IMAGE_TOO_LARGE', message);
  }
}

export class UnsupportedImageError extends DeepPoseError {
  constructor(message: string) {
    super('E_IMAGE_FORMAT', message);
  }
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default 40 MP). */
  readonly maxPixels?: number;
  /** Name for messages (file name). */
  readonly name?: string;
  /** The bytes already went through `probeImage` (format and pixel limit checked): skip that second header read. */
  readonly probed?: boolean;
}

/** Reads only the header: format and size (after EXIF orientation). */
export async function probeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<{ format: string; width: number; height: number }> {
  const { format, width, height } = await probe(bytes, options);
  return { format, width, height };
}

/** probeImage, also handing back the JavaScript header reader's answer (undefined when sharp had to answer). */
async function probe(bytes: Uint8Array, options: DecodeOptions): Promise<{ format: string; width: number; height: number; header: ImageHeader | undefined }> {
  const name = options.name ?? 'image';
  if (bytes.byteLength === 0) throw new ImageDecodeError(`${name}: empty (0 bytes), expected a JPEG, PNG or WebP image`);
  // The common case is read in JavaScript (./image-header.ts); sharp answers the rest.
  const header = readImageHeader(bytes);
  let meta: { format?: string; width?: number; height?: number; orientation?: number } | undefined = header;
  if (!meta) {
    const sharp = await loadSharp();
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (err) {
      throw new ImageDecodeError(`${name}: not a readable image (${firstLine(err)})`, err);
    }
  }
  const format = meta.format ?? 'unknown';
  if (!(SUPPORTED_FORMATS as readonly string[]).includes(format)) {
    throw new UnsupportedImageError(`${name}: ${format} images are not supported (expected JPEG, PNG or WebP)`);
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? meta.height! : meta.width!;
  const height = rotated ? meta.width! : meta.height!;
  const max = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > max) {
    throw new ImageTooLargeError(`${name}: ${width}×${height} = ${width * height} pixels exceeds the limit of ${max} pixels`);
  }
  const floor = minimumEncodedBytes(bytes, format);
  if (bytes.byteLength < floor) throw new ImageDecodeError(`${name}: truncated or corrupt: ${bytes.byteLength} bytes cannot hold a ${width}×${height} ${format.toUpperCase()} (an intact one has at least ${floor} bytes)`);
  return { format, width, height, header };
}

/** Decodes to interleaved RGB with EXIF orientation applied (an upright baseline JPEG up to `OWN_JPEG_DECODE_MAX_PIXELS` on this thread). */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const header = options.probed ? readImageHeader(bytes) : (await probe(bytes, options)).header;
  const name = options.name ?? 'image';
  // Upright 3-channel sRGB (most photos): no rotation or colour conversion steps, each of
  // which costs sharp about 0.3 ms; anything else takes the full chain below.
  if (header && header.plainRgb && header.orientation === 1) {
    // A file that does not end intact goes to sharp, which refuses it.
    const own = endsIntact(bytes, header.format) ? ownJpegRegion(bytes, header, 0, 0, header.width, header.height) : undefined;
    if (own) return own;
    const plain = await rawPixels(await sharpInput(bytes, options), name);
    if (plain.channels === 3) return plain as DecodedImage;
  }
  const img = await rawPixels((await sharpInput(bytes, options)).rotate().removeAlpha().toColourspace('srgb'), name);
  if (img.channels !== 3) throw new ImageDecodeError(`${name}: corrupt or truncated image (decoded to ${img.channels} channels)`);
  return img as DecodedImage;
}

/**
 * Decodes the region `box` (`[x0, y0, x1, y1]`, whole pixels inside the
 * upright image) of an encoded image, for a caller that reads nothing else
 * (the legacy stage-1 crop): the pixels are those of the same region of
 * `decodeImage`'s output, to the byte. A baseline JPEG up to
 * `OWN_JPEG_DECODE_MAX_PIXELS` is decoded right here, in WebAssembly
 * (./jpeg/decode-region.ts: only the region's blocks are transformed, and
 * no sharp is loaded); any other upright 3-channel image (most photos) is
 * decoded by sharp, and only the region written out — on LSPET's test split the crop
 * is about a third of the image, so the output buffer, its page faults and
 * the copies after it shrink with it, and the decoder stops after the
 * region's last row; `image` is then the region alone and `boxInImage`
 * `[0, 0, w, h]`. Any other image, a file that does not end intact (cut
 * short: `endsIntact`), or a box that is not whole pixels inside the image,
 * is decoded whole and the box handed back unchanged — so a truncated file
 * is refused here as everywhere. What the shortcut cannot see is damage
 * inside an intact-ending file below the region: such a file can give its
 * crop here where a whole decode refuses it.
 */
export async function decodeImageRegion(bytes: Uint8Array, box: readonly [number, number, number, number], options: DecodeOptions = {}): Promise<{ image: DecodedImage; boxInImage: [number, number, number, number] }> {
  const header = options.probed ? readImageHeader(bytes) : (await probe(bytes, options)).header;
  const [x0, y0, x1, y1] = box;
  const inside = header && Number.isInteger(x0) && Number.isInteger(y0) && Number.isInteger(x1) && Number.isInteger(y1)
    && x0 >= 0 && y0 >= 0 && x1 <= header.width && y1 <= header.height && x1 > x0 && y1 > y0;
  // Only a file that ends intact: the decoder stops after the region's last row, so a file cut
  // short below it would otherwise pass here where a whole decode refuses it.
  if (header && inside && header.plainRgb && header.orientation === 1 && endsIntact(bytes, header.format)) {
    const own = ownJpegRegion(bytes, header, x0, y0, x1, y1);
    if (own) return { image: own, boxInImage: [0, 0, own.width, own.height] };
    const region = await rawPixels((await sharpInput(bytes, options)).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }), options.name ?? 'image');
    if (region.channels === 3) return { image: region as DecodedImage, boxInImage: [0, 0, region.width, region.height] };
  }
  return { image: await decodeImage(bytes, { ...options, probed: true }), boxInImage: [x0, y0, x1, y1] };
}

/**
 * A region of an upright plain-RGB JPEG of photo size (that the caller
 * found to end intact), decoded on this thread to sharp's bytes
 * (./jpeg/decode-region.ts); undefined for any other image or one that
 * decoder leaves to sharp.
 */
function ownJpegRegion(bytes: Uint8Array, header: ImageHeader, x0: number, y0: number, x1: number, y1: number): DecodedImage | undefined {
  if (header.format !== 'jpeg' || header.width * header.height > OWN_JPEG_DECODE_MAX_PIXELS) return undefined;
  const data = decodeJpegRegion(bytes, x0, y0, x1, y1);
  return data && { data, width: x1 - x0, height: y1 - y0, channels: 3 };
}

/** A sharp pipeline. */
type SharpPipeline = ReturnType<typeof Sharp>;

/** sharp on encoded bytes, with the pixel limit and refusing corrupt data (every decode's start). */
async function sharpInput(bytes: Uint8Array, options: DecodeOptions): Promise<SharpPipeline> {
  const sharp = await loadSharp();
  return sharp(bytes, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'error' });
}

/** A sharp pipeline's output as 8-bit interleaved pixels (any channel count); its failure an ImageDecodeError naming the image. */
async function rawPixels(pipeline: SharpPipeline, name: string): Promise<RawImage> {
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw new ImageDecodeError(`${name}: corrupt or truncated image (${firstLine(err)})`, err);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.replace(/^Input buffer /, '');
}
