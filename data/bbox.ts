/**
 * The person box, `[x, y, w, h]` in pixels: the one place that parses it
 * (CLI `--bbox`, HTTP `bbox`, the library's `bboxPx`) and checks it against
 * an image. Every failure is an `E_BBOX` `BoxError` naming what was given.
 */
import { DeepPoseError, describeValue } from '../core/errors.js';
import { parseDecimal } from '../core/decimal.js';

/** `[x, y, w, h]` in pixels. */
export type BoxXywhPx = [number, number, number, number];

export class BoxError extends DeepPoseError {
  constructor(message: string) {
    super('E_BBOX', message);
  }
}

const EXPECTED = 'x,y,w,h in pixels (plain decimals) with w > 0 and h > 0';

/** Parses `"x,y,w,h"`; `name` is how the caller calls it (`--bbox`, `bbox`). */
export function parseBboxText(text: string, name = 'bbox'): BoxXywhPx {
  const parts = text.split(',').map((s) => parseDecimal(s.trim()));
  if (parts.length !== 4 || parts.some((n) => n === undefined)) {
    throw new BoxError(`${name}: expected ${EXPECTED}, found ${describeValue(text)}`);
  }
  return checkBbox(parts as BoxXywhPx, name);
}

/** Checks an `[x, y, w, h]` array given through the library API. */
export function checkBbox(bboxPx: readonly number[], name = 'bbox'): BoxXywhPx {
  const [x, y, w, h] = bboxPx as BoxXywhPx;
  if (!Array.isArray(bboxPx) || bboxPx.length !== 4 || ![x, y, w, h].every((v) => typeof v === 'number' && Number.isFinite(v)) || w <= 0 || h <= 0) {
    throw new BoxError(`${name}: expected ${EXPECTED}, found ${Array.isArray(bboxPx) ? JSON.stringify(bboxPx) : describeValue(bboxPx)}`);
  }
  return [x, y, w, h];
}

/** The box checked against the image it is for; absent: the whole image. */
export function personBoxIn(bboxPx: readonly number[] | undefined, image: { readonly width: number; readonly height: number }, name = 'bbox'): BoxXywhPx {
  if (!bboxPx) return [0, 0, image.width, image.height];
  const [x, y, w, h] = checkBbox(bboxPx, name);
  if (x < 0 || y < 0 || x + w > image.width || y + h > image.height) {
    throw new BoxError(`${name}: ${x},${y},${w},${h} reaches outside the ${image.width}×${image.height} image`);
  }
  return [x, y, w, h];
}

/**
 * The person box implied by estimated joints `[K, 2]` (a person finder's
 * output): their bounding box about its centre, each side × `scale`,
 * clipped to the image, at least 8 px. Null when no joint is finite.
 */
export function boxFromJoints(jointsPx: readonly (readonly [number, number])[], scale: number, image: { readonly width: number; readonly height: number }): BoxXywhPx | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of jointsPx) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) return null;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const w = Math.max(8, (x1 - x0) * scale);
  const h = Math.max(8, (y1 - y0) * scale);
  const bx0 = Math.max(0, Math.min(image.width - 8, cx - w / 2));
  const by0 = Math.max(0, Math.min(image.height - 8, cy - h / 2));
  const bx1 = Math.min(image.width, Math.max(bx0 + 8, cx + w / 2));
  const by1 = Math.min(image.height, Math.max(by0 + 8, cy + h / 2));
  return [bx0, by0, bx1 - bx0, by1 - by0];
}
