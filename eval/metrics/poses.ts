/**
 * The inputs every metric takes. Shapes: N images, K joints.
 *
 * - `predPx`: `[N][K]` predicted joints in pixels; `null` (or a NaN
 *   coordinate) for a missing prediction, which counts as a miss.
 * - `gtPx`: `[N][K]` ground-truth joints in pixels.
 * - `visible`: `[N][K]` true where the ground truth is annotated; joints
 *   that are not annotated are left out of numerator and denominator.
 */
import { isValidPoint, meanPoint, type MaybePoint, type Point } from '../../core/points.js';

export { isValidPoint, meanPoint, type MaybePoint, type Point };

export interface PoseSet {
  readonly predPx: readonly (readonly MaybePoint[])[];
  readonly gtPx: readonly (readonly Point[])[];
  readonly visible: readonly (readonly boolean[])[];
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Error of a predicted joint against its ground truth; Infinity when the prediction is missing. */
export function jointError(pred: MaybePoint | undefined, gt: Point): number {
  return isValidPoint(pred) ? distance(pred, gt) : Infinity;
}
