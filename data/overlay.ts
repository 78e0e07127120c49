/**
 * Skeleton overlays drawn with sharp (an SVG composited over the image):
 * lines between joints from the skeleton table in each limb's colour (a hue
 * per side, a shade per limb type), joint dots in the side colour, optional
 * joint labels and person box. Missing joints (null or non-finite) and the
 * limbs touching them are not drawn.
 */
import { loadSharp } from './sharp-module.js';
import { isValidPoint as valid, meanPoint as endpoint, type MaybePoint } from '../core/points.js';
import type { Skeleton } from './skeletons.js';
import { probeImage } from './image.js';
import type { RawImage } from './transforms/square-crop.js';

export type OverlayFormat = 'png' | 'jpeg' | 'webp';

export interface OverlayOptions {
  /** Person box `x, y, w, h` in pixels, drawn dashed. */
  readonly box?: readonly [number, number, number, number];
  /** Write joint names beside the dots. */
  readonly labels?: boolean;
  readonly format?: OverlayFormat;
  /** Line width in pixels (default: scaled to the image, at least 2). */
  readonly lineWidth?: number;
  /** JPEG or WebP quality, 1–100 (default 90). */
  readonly quality?: number;
}

type Point = MaybePoint | undefined;

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG layer alone (`width × height`), for callers that composite it themselves. */
export function skeletonSvg(width: number, height: number, jointsPx: readonly Point[], skeleton: Skeleton, options: OverlayOptions = {}): string {
  const lw = options.lineWidth ?? Math.max(2, Math.round(Math.min(width, height) / 120));
  const r = Math.max(2.5, lw * 1.2);
  const parts: string[] = [];
  if (options.box) {
    const [x, y, w, h] = options.box;
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#ffffff" stroke-opacity="0.85" stroke-width="${Math.max(1, lw / 2)}" stroke-dasharray="${lw * 3},${lw * 2}"/>`);
  }
  for (const limb of skeleton.limbs) {
    const a = endpoint(jointsPx, limb.from);
    const b = endpoint(jointsPx, limb.to);
    if (!a || !b) continue;
    parts.push(`<line x1="${a[0].toFixed(2)}" y1="${a[1].toFixed(2)}" x2="${b[0].toFixed(2)}" y2="${b[1].toFixed(2)}" stroke="${limb.colour}" stroke-width="${lw}" stroke-linecap="round"/>`);
  }
  jointsPx.forEach((p, i) => {
    if (!valid(p)) return;
    const colour = skeleton.sideColours[skeleton.sides[i] ?? 'center'];
    parts.push(`<circle cx="${p[0].toFixed(2)}" cy="${p[1].toFixed(2)}" r="${r.toFixed(1)}" fill="${colour}" stroke="#000000" stroke-width="1"/>`);
    if (options.labels) {
      const fs = Math.max(9, Math.round(lw * 4));
      parts.push(`<text x="${(p[0] + r + 2).toFixed(1)}" y="${(p[1] - r).toFixed(1)}" font-family="sans-serif" font-size="${fs}" fill="#ffffff" stroke="#000000" stroke-width="0.6" paint-order="stroke">${escapeXml(skeleton.joints[i] ?? String(i))}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/**
 * Draws the skeleton over an image (encoded bytes or decoded RGB) and
 * encodes the result. `jointsPx` is `[K, 2]` in the image's pixels (after
 * EXIF orientation), `null` for a joint that is not to be drawn.
 */
export async function drawOverlay(image: Uint8Array | RawImage, jointsPx: readonly Point[], skeleton: Skeleton, options: OverlayOptions = {}): Promise<Buffer> {
  const sharp = await loadSharp();
  const base = image instanceof Uint8Array
    ? sharp(image).rotate()
    : sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 3 | 4 } });
  const { data, info } = await base.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const svg = skeletonSvg(info.width, info.height, jointsPx, skeleton, options);
  const out = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  const format = options.format ?? 'png';
  const quality = options.quality ?? 90;
  return format === 'jpeg' ? out.jpeg({ quality }).toBuffer() : format === 'webp' ? out.webp({ quality }).toBuffer() : out.png().toBuffer();
}

/**
 * `drawOverlay` on a thumbnail: the image (encoded bytes, EXIF orientation
 * applied) shrunk to fit `maxSide` × `maxSide` (never enlarged), then the
 * skeleton — `jointsPx` in the full image's pixels — drawn at the
 * thumbnail's scale. One decode and one encode, where drawing on the full
 * image and shrinking the result would take two of each.
 */
export async function drawOverlayThumbnail(bytes: Uint8Array, jointsPx: readonly Point[], skeleton: Skeleton, maxSide: number, options: OverlayOptions = {}): Promise<Buffer> {
  const sharp = await loadSharp();
  const { width, height } = await probeImage(bytes);
  const { data, info } = await sharp(bytes).rotate().resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sx = info.width / width;
  const sy = info.height / height;
  const scaled = jointsPx.map((p) => (valid(p) ? ([p[0] * sx, p[1] * sy] as const) : p));
  const box = options.box ? ([options.box[0] * sx, options.box[1] * sy, options.box[2] * sx, options.box[3] * sy] as const) : undefined;
  return drawOverlay({ data, width: info.width, height: info.height, channels: info.channels }, scaled, skeleton, { format: 'jpeg', ...options, ...(box ? { box } : {}) });
}
