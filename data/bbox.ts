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
