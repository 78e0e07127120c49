/**
 * PCKh (Andriluka et al., MPII 2014): a joint is correct when its error is
 * ≤ α × the head size, head size = 0.6 × the diagonal of the ground-truth
 * head box (α = 0.5 for PCKh@0.5; ties count). Images without a head box
 * are left out; so are joints not annotated. Missing predictions are misses.
 */
import type { Skeleton } from '../../data/skeletons.js';
import { jointError, type PoseSet } from './poses.js';

export const HEAD_SIZE_FACTOR = 0.6;

export interface PckhResult {
  readonly total: number;
  readonly joints: Record<string, number>;
  readonly images: number;
}

/** `headBoxes[n]` is `[x0, y0, x1, y1]` or undefined; returns null when no image has one. */
export function pckh(poses: PoseSet, headBoxes: readonly (readonly [number, number, number, number] | undefined)[], skeleton: Skeleton, alpha = 0.5): PckhResult | null {
  const k = skeleton.joints.length;
  const correct = new Array<number>(k).fill(0);
  const total = new Array<number>(k).fill(0);
  let images = 0;
  poses.gtPx.forEach((gt, n) => {
    const hb = headBoxes[n];
    if (!hb) return;
    images++;
    const head = HEAD_SIZE_FACTOR * Math.hypot(hb[2] - hb[0], hb[3] - hb[1]);
    gt.forEach((g, j) => {
      if (!poses.visible[n]![j]) return;
      total[j]!++;
      if (jointError(poses.predPx[n]![j], g) <= alpha * head) correct[j]!++;
    });
  });
  if (images === 0) return null;
  const all = total.reduce((a, b) => a + b, 0);
  return {
    total: all > 0 ? correct.reduce((a, b) => a + b, 0) / all : Number.NaN,
    joints: Object.fromEntries(skeleton.joints.map((name, j) => [name, total[j]! > 0 ? correct[j]! / total[j]! : Number.NaN])),
    images,
  };
}
