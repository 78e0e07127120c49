/**
 * The legacy DeepPose preprocessing (mitmul/deeppose `PoseDataset`), so a
 * legacy model sees what it was trained on:
 *
 * 1. person box: the caller's, or the box of the annotated joints;
 * 2. crop = 1.5 × that box around its centre, each side clipped to the image
 *    and truncated to an integer (`int(np.clip(c ∓ size/2, 0, W))`);
 * 3. the crop resized to S × S without keeping aspect;
 * 4. channel order BGR for models trained on OpenCV's `imread`;
 * 5. global contrast normalisation per image and channel:
 *    `(v − mean) / (std + 1e-5)` (population std);
 * 6. targets `y = (p·S/w − S/2) / S`, decoded as `p = x0 + (S/2 + S·y)·w/S`.
 */
import { loadSharp } from '../sharp-module.js';
import { DeepPoseError } from '../../core/errors.js';
import { decodeImageRegion, ImageDecodeError } from '../image.js';
import { cvResizeLinearSimd } from './cv-resize-simd.js';
import { planarGcn } from './gcn.js';
import { planarGcnKernel } from './planar-gcn-kernel.js';
import type { RawImage } from './square-crop.js';

/** A crop box `[x0, y0, x1, y1]` in integer pixels (x1, y1 exclusive). */
export type BoxXyxy = [number, number, number, number];

/** Scale of the legacy crop around the person box. */
export const LEGACY_CROP_ZOOM = 1.5;
/** sharp's resize kernels. */
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3' | 'mks2013' | 'mks2021';

/**
 * How the crop is resampled to S × S. `opencv-linear` (the default) is
 * `cv2.resize(INTER_LINEAR)`'s own fixed-point arithmetic, reproduced in
 * JavaScript (./cv-resize.ts) on the decoded image. The others go through
 * sharp: `affine-bilinear` is sharp's affine transform with libvips'
 * bilinear interpolator and OpenCV's half-pixel alignment; the `resize`
 * kernels all antialias when shrinking, which OpenCV does not. Measured
 * against the legacy code's own tensors (README, "Legacy preprocessing"):
 * mean abs difference 2.2e-5 for `opencv-linear`, 0.014 for
 * `affine-bilinear`, 0.090 for the best `resize` kernel (`linear`).
 */
export type Resampler = 'opencv-linear' | 'affine-bilinear' | ResizeKernel;
export const LEGACY_RESAMPLER: Resampler = 'opencv-linear';

export class CropError extends DeepPoseError {
  constructor(message: string) {
    super('E_CROP', message);
  }
}

/** A person box as centre and size, in pixels. */
export interface CentreBox {
  readonly cx: number;
  readonly cy: number;
  readonly w: number;
  readonly h: number;
}

/** `[x, y, w, h]` → centre and size. */
export function centreBoxFromXywh(b: readonly [number, number, number, number]): CentreBox {
  return { cx: b[0] + b[2] / 2, cy: b[1] + b[3] / 2, w: b[2], h: b[3] };
}

/**
 * The box of the annotated joints, as the legacy code computes it: centre
 * `(min + max) / 2`, size `max − min`. `jointsPx` is `[K, 2]`, `visible` `[K]`.
 * Undefined when no joint is annotated.
 */
export function jointsBox(jointsPx: readonly (readonly [number, number])[], visible: readonly boolean[]): CentreBox | undefined {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  jointsPx.forEach(([x, y], i) => {
    if (!visible[i]) return;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  if (minX === Infinity) return undefined;
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, w: maxX - minX, h: maxY - minY };
}

/** The legacy crop box: `zoom` × the person box, clipped to the image, truncated to integers. */
export function legacyCropBox(box: CentreBox, imageWidth: number, imageHeight: number, zoom = LEGACY_CROP_ZOOM): BoxXyxy {
  const w = box.w * zoom;
  const h = box.h * zoom;
  const clip = (v: number, hi: number) => Math.trunc(Math.min(Math.max(v, 0), hi));
  return [clip(box.cx - w / 2, imageWidth), clip(box.cy - h / 2, imageHeight), clip(box.cx + w / 2, imageWidth), clip(box.cy + h / 2, imageHeight)];
}

/** Normalises `[K, 2]` image-pixel joints into the crop's regression targets (`[K, 2]`). */
export function normaliseJoints(jointsPx: readonly (readonly [number, number])[], box: BoxXyxy, size: number): [number, number][] {
  const fx = size / (box[2] - box[0]);
  const fy = size / (box[3] - box[1]);
  return jointsPx.map(([x, y]) => [((x - box[0]) * fx - size / 2) / size, ((y - box[1]) * fy - size / 2) / size]);
}

/** Decodes a raw regression output (`[2K]`: x0, y0, x1, y1, …) to `[K, 2]` image pixels. */
export function decodeJoints(yNorm: ArrayLike<number>, box: BoxXyxy, size: number): [number, number][] {
  const sx = (box[2] - box[0]) / size;
  const sy = (box[3] - box[1]) / size;
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < yNorm.length; i += 2) {
    out.push([box[0] + (size / 2 + size * yNorm[i]!) * sx, box[1] + (size / 2 + size * yNorm[i + 1]!) * sy]);
  }
  return out;
}

/**
 * Crop, resize, channel order and GCN: the model's input for one image,
 * planar float32 `[3, S, S]`.
 */
export async function preprocessCrop(
  img: RawImage | EncodedImage, box: BoxXyxy, options: { size: number; channels: 'bgr' | 'rgb'; resampler?: Resampler },
  out: Float32Array = new Float32Array(3 * options.size * options.size),
): Promise<Float32Array> {
  const [x0, y0, x1, y1] = box;
  if (!(x1 > x0 && y1 > y0)) throw new CropError(`crop box ${box.join(',')} is empty (the person box lies outside the ${img.width}×${img.height} image or has no size)`);
  const s = options.size;
  const w = x1 - x0;
  const h = y1 - y0;
  const resampler = options.resampler ?? LEGACY_RESAMPLER;
  if (resampler === 'opencv-linear') {
    // Decode (EXIF orientation applied, as imread → our decode), then OpenCV's resize of the slice:
    // an encoded image only as far as the slice (the same pixels; data/image.ts decodeImageRegion).
    if (x1 > img.width || y1 > img.height) throw new CropError(`crop box ${box.join(',')} reaches outside the ${img.width}×${img.height} image`);
    const { image, boxInImage } = 'encoded' in img
      ? await decodeImageRegion(img.encoded, box, { probed: true, maxPixels: Math.max(1, img.width * img.height) })
      : { image: img, boxInImage: box };
    return planarGcnKernel(cvResizeLinearSimd(image, boxInImage, s, s, resizeScratch(s)), s, options.channels, out);
  }
  const sharp = await loadSharp();
  // Encoded input: one pipeline decodes, applies EXIF orientation, crops and resamples.
  let pipeline = ('encoded' in img
    ? sharp(img.encoded, { limitInputPixels: false, failOn: 'error' }).rotate()
    : sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 } }))
    .extract({ left: x0, top: y0, width: w, height: h })
    .removeAlpha();
  if (resampler === 'affine-bilinear') {
    const fx = s / w;
    const fy = s / h;
    // Output pixel centres map to input (x + 0.5) / f − 0.5, as in OpenCV.
    pipeline = pipeline.affine([[fx, 0], [0, fy]], { interpolator: sharp.interpolators.bilinear, idx: 0.5 - 0.5 / fx, idy: 0.5 - 0.5 / fy });
  } else {
    pipeline = pipeline.resize(s, s, { fit: 'fill', kernel: resampler, fastShrinkOnLoad: false });
  }
  let raw: Buffer;
  let info: { width: number; height: number; channels: number };
  try {
    ({ data: raw, info } = await pipeline.raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new ImageDecodeError(`image: corrupt or truncated image (${String((err as Error).message).split('\n')[0]})`, err);
  }
  if (info.width !== s || info.height !== s || info.channels !== 3) {
    throw new CropError(`crop ${box.join(',')} resampled to ${info.width}×${info.height}×${info.channels}, expected ${s}×${s}×3`);
  }
  return planarGcn(raw, s, options.channels, out);
}

const scratch = new Map<number, Uint8Array<ArrayBuffer>>();

/**
 * This thread's buffer for a resized `s × s` crop on its way to
 * `planarGcnKernel` (used and done with before anything else runs, so one per
 * size serves every call): a fresh one per image costs its pages'
 * first-write faults.
 */
function resizeScratch(s: number): Uint8Array<ArrayBuffer> {
  let b = scratch.get(s);
  if (!b) {
    b = new Uint8Array(s * s * 3);
    scratch.set(s, b);
  }
  return b;
}

/**
 * An image still encoded (JPEG/PNG/WebP bytes) with its size after EXIF
 * orientation, as `probeImage` reports it: cropped straight from the bytes.
 */
export interface EncodedImage {
  readonly encoded: Uint8Array;
  readonly width: number;
  readonly height: number;
}
