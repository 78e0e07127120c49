/**
 * The inputs every metric takes. Shapes: N images, K joints.
 *
 * - `predPx`: `[N][K]` predicted joints in pixels; `null` (or a NaN
 *   coordinate) for a missing prediction, which counts as a miss.
 * - `gtPx`: `[N][K]` ground-truth joints in pixels.
 * - `visible`: `[N][K]` true where the ground truth is annotated; joints
 *   that are not annotated are left out of numerator and denominator.
 */
export type Point = readonly [number, number];
export type MaybePoint = Point | null;

export interface PoseSet {
  readonly predPx: readonly (readonly MaybePoint[])[];
  readonly gtPx: readonly (readonly Point[])[];
  readonly visible: readonly (readonly boolean[])[];
}

export function isValidPoint(p: MaybePoint | undefined): p is Point {
  return !!p && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Mean of the given joints; null if any is missing. */
export function meanPoint(points: readonly MaybePoint[], idx: readonly number[]): Point | null {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    const p = points[i];
    if (!isValidPoint(p)) return null;
    x += p[0];
    y += p[1];
  }
  return [x / idx.length, y / idx.length];
}

/** Error of a predicted joint against its ground truth; Infinity when the prediction is missing. */
export function jointError(pred: MaybePoint | undefined, gt: Point): number {
  return isValidPoint(pred) ? distance(pred, gt) : Infinity;
}
