/**
 * The legacy training augmentations (mitmul/deeppose `PoseDataset`, with
 * its defaults `--rotate_range 10 --zoom_range 0.2 --translate_range 5
 * --base_zoom 1.5 --fliplr`), composed into ONE affine map and one
 * bilinear resampling, with the joints moving with the image:
 *
 * 1. rotate the image by θ ~ U(−10°, 10°) about the centre of the
 *    annotated joints' box (legacy: `randint(0, 10)`, i.e. 0…9° one way only);
 * 2. translate it by integer (dx, dy) ~ U{−5 … 5} px, zero fill (legacy
 *    moved the image; the crop centre stays, so the person shifts in the crop);
 * 3. zoom the whole image by z ~ 1 + U(−0.2, 0.2) (`cv.resize(fx=z)`; the
 *    joint centre scales with it, the box size does not);
 * 4. the legacy crop: 1.5 × the (unscaled) joint box around the zoomed
 *    centre, clipped to the zoomed image with the legacy integer arithmetic,
 *    resized to S × S;
 * 5. horizontal flip with probability ½: the image mirrored, x → S − x in
 *    crop pixels and the skeleton's left/right pairs swapped (legacy used
 *    S − 1 − x, a pixel off the mirror of a continuous coordinate).
 *
 * Outside the image the crop is black (the legacy rotate and translate fill
 * with 0). Random draws, in this order: θ, dx, dy, z, flip.
 */
import type { Rng } from '../../core/random.js';
import type { Skeleton } from '../skeletons.js';
import { gcnInPlace } from './gcn.js';
import { jointsBox, legacyCropBox, type BoxXyxy, type CentreBox } from './legacy.js';
import type { RawImage } from './square-crop.js';

export interface AugmentOptions {
  /** Flip with probability ½. */
  readonly flip: boolean;
  /** Maximum rotation, degrees (uniform in ±). */
  readonly rotateDeg: number;
  /** Maximum relative zoom (uniform 1 ± zoom). */
  readonly zoom: number;
  /** Maximum translation, integer pixels (uniform in ±). */
  readonly translatePx: number;
}

/** The legacy recipe. */
export const LEGACY_AUGMENT: AugmentOptions = { flip: true, rotateDeg: 10, zoom: 0.2, translatePx: 5 };

/** One draw of the augmentation parameters. */
export interface AugmentParams {
  readonly angleDeg: number;
  readonly dx: number;
  readonly dy: number;
  readonly zoom: number;
  readonly flip: boolean;
}

export const IDENTITY_AUGMENT: AugmentParams = { angleDeg: 0, dx: 0, dy: 0, zoom: 1, flip: false };

/** Draws parameters from `rng` (θ, dx, dy, z, flip, in that order). */
export function drawAugmentParams(rng: Rng, o: AugmentOptions = LEGACY_AUGMENT): AugmentParams {
  const angleDeg = o.rotateDeg > 0 ? rng.uniform(-o.rotateDeg, o.rotateDeg) : 0;
  const t = Math.floor(o.translatePx);
  const dx = t > 0 ? rng.int(-t, t) : 0;
  const dy = t > 0 ? rng.int(-t, t) : 0;
  const zoom = o.zoom > 0 ? 1 + rng.uniform(-o.zoom, o.zoom) : 1;
  const flip = o.flip ? rng.bool(0.5) : false;
  return { angleDeg, dx, dy, zoom, flip };
}

/**
 * The augmented sample's geometry: `forward` maps an original-image point
 * (pixels) to crop pixels (`[0, S)`, before any joint swap); `inverse` maps
 * crop pixels back. `cropBox` is the legacy crop box in the zoomed frame.
 */
export interface AugmentGeometry {
  readonly cropBox: BoxXyxy;
  readonly forward: (x: number, y: number) => [number, number];
  readonly inverse: (u: number, v: number) => [number, number];
  readonly params: AugmentParams;
}

/**
 * Geometry for an image of `width × height` whose person box is `box`
 * (centre and size, original pixels), output side `size`.
 */
export function augmentGeometry(box: CentreBox, width: number, height: number, size: number, p: AugmentParams): AugmentGeometry {
  const { cx, cy } = box;
  const zw = Math.round(width * p.zoom);
  const zh = Math.round(height * p.zoom);
  const cropBox = legacyCropBox({ cx: cx * p.zoom, cy: cy * p.zoom, w: box.w, h: box.h }, zw, zh);
  const [x0, y0, x1, y1] = cropBox;
  const fx = size / Math.max(x1 - x0, 1e-9);
  const fy = size / Math.max(y1 - y0, 1e-9);
  const th = (p.angleDeg * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const forward = (x: number, y: number): [number, number] => {
    const rx = cos * (x - cx) - sin * (y - cy) + cx + p.dx;
    const ry = sin * (x - cx) + cos * (y - cy) + cy + p.dy;
    let u = (rx * p.zoom - x0) * fx;
    const v = (ry * p.zoom - y0) * fy;
    if (p.flip) u = size - u;
    return [u, v];
  };
  const inverse = (u: number, v: number): [number, number] => {
    const uu = p.flip ? size - u : u;
    const qx = (x0 + uu / fx) / p.zoom - p.dx - cx;
    const qy = (y0 + v / fy) / p.zoom - p.dy - cy;
    return [cos * qx + sin * qy + cx, -sin * qx + cos * qy + cy];
  };
  return { cropBox, forward, inverse, params: p };
}

/**
 * Bilinear resampling of `img` through `inverse` (crop pixels → image
 * pixels, continuous coordinates, pixel centres at .5) into planar float32
 * `[3, S, S]` at `out[offset…]`, values 0–255 in `channels` order, black outside.
 */
export function warpInto(img: RawImage, inverse: (u: number, v: number) => [number, number], size: number, channels: 'bgr' | 'rgb', out: Float32Array, offset: number): void {
  const { data, width, height, channels: ch } = img;
  const plane = size * size;
  const order = channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  // The map is affine: p(u, v) = o + u·a + v·b.
  const [ox, oy] = inverse(0.5, 0.5);
  const [ux, uy] = inverse(1.5, 0.5);
  const [vx, vy] = inverse(0.5, 1.5);
  const ax = ux - ox;
  const ay = uy - oy;
  const bx = vx - ox;
  const by = vy - oy;
  const c0 = order[0]!;
  const c1 = order[1]!;
  const c2 = order[2]!;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const sx = ox + u * ax + v * bx - 0.5;
      const sy = oy + u * ay + v * by - 0.5;
      const xa = Math.floor(sx);
      const ya = Math.floor(sy);
      const tx = sx - xa;
      const ty = sy - ya;
      let r0 = 0;
      let r1 = 0;
      let r2 = 0;
      for (let j = 0; j < 2; j++) {
        const yy = ya + j;
        if (yy < 0 || yy >= height) continue;
        const wy = j ? ty : 1 - ty;
        for (let i = 0; i < 2; i++) {
          const xx = xa + i;
          if (xx < 0 || xx >= width) continue;
          const w = wy * (i ? tx : 1 - tx);
          const at = (yy * width + xx) * ch;
          r0 += w * data[at + c0]!;
          r1 += w * data[at + c1]!;
          r2 += w * data[at + c2]!;
        }
      }
      const o = offset + v * size + u;
      out[o] = r0;
      out[o + plane] = r1;
      out[o + 2 * plane] = r2;
    }
  }
}

/** Result of augmenting one sample. */
export interface AugmentedSample {
  /** `[K, 2]` regression targets `(p − S/2) / S` in crop pixels. */
  readonly jointsNorm: [number, number][];
  /** `[K]` mask after the flip's swap. */
  readonly visible: boolean[];
  readonly cropBox: BoxXyxy;
  readonly params: AugmentParams;
}

/**
 * Augments one sample into `out[offset … offset + 3·S·S)` (planar, GCN'd,
 * `channels` order) and returns its targets. `jointsPx` `[K, 2]` and
 * `visible` `[K]` are the original annotation. The person box is
 * `options.personBox` (pixels, centre and size), else the box of the visible
 * joints, else the whole image.
 */
export function augmentSampleInto(
  img: RawImage, jointsPx: readonly (readonly [number, number])[], visible: readonly boolean[], skeleton: Skeleton,
  params: AugmentParams, options: { size: number; channels: 'bgr' | 'rgb'; personBox?: CentreBox }, out: Float32Array, offset: number,
): AugmentedSample {
  const S = options.size;
  const box = options.personBox ?? jointsBox(jointsPx, visible) ?? { cx: img.width / 2, cy: img.height / 2, w: img.width / 1.5, h: img.height / 1.5 };
  const g = augmentGeometry(box, img.width, img.height, S, params);
  warpInto(img, g.inverse, S, options.channels, out, offset);
  gcnInPlace(out.subarray(offset, offset + 3 * S * S), S);
  const moved = jointsPx.map(([x, y]) => g.forward(x, y));
  const vis = [...visible];
  if (params.flip) {
    for (const [a, b] of skeleton.flipPairs) {
      [moved[a], moved[b]] = [moved[b]!, moved[a]!];
      [vis[a], vis[b]] = [vis[b]!, vis[a]!];
    }
  }
  return { jointsNorm: moved.map(([u, v]) => [(u - S / 2) / S, (v - S / 2) / S]), visible: vis, cropBox: g.cropBox, params };
}
