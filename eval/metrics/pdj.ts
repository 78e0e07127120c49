/**
 * Percentage of Detected Joints (Toshev & Szegedy, DeepPose, 2014): a joint
 * is detected when its error is ≤ f × the torso diameter of the ground truth,
 * for f = 0, 0.01, …, 0.5 (ties count as detected).
 *
 * - Torso diameter: the distance between the skeleton's torso joints (LSP:
 *   right hip and left shoulder).
 * - An image whose torso diameter cannot be measured (either torso joint not
 *   annotated) is left out entirely.
 * - A measured diameter of 0 makes every annotated joint of that image a
 *   miss at every f, as the reference code does (its threshold is 0, and it
 *   counts such joints as not detected).
 * - Joints not annotated are left out; a missing (null/NaN) prediction is a miss.
 */
import type { Skeleton } from '../../data/skeletons.js';
import { distance, jointError, type PoseSet } from './poses.js';

/** f = 0, 0.01, …, 0.5 (51 values). */
export const PDJ_THRESHOLDS: readonly number[] = Array.from({ length: 51 }, (_, i) => Math.round(i) / 100);

export interface PdjCounts {
  /** `[K][T]` detected counts per joint and threshold. */
  readonly detected: number[][];
  /** `[K]` annotated joints scored. */
  readonly total: number[];
  /** Images left out because their torso diameter could not be measured. */
  readonly imagesWithoutTorso: number;
  /** Images whose measured torso diameter was 0 (all their joints missed). */
  readonly imagesWithZeroTorso: number;
}

/** Torso diameter of image `n`'s ground truth, or null if it cannot be measured. */
export function torsoDiameter(poses: PoseSet, skeleton: Skeleton, n: number): number | null {
  const [a, b] = skeleton.torso;
  const vis = poses.visible[n]!;
  if (!vis[a] || !vis[b]) return null;
  return distance(poses.gtPx[n]![a]!, poses.gtPx[n]![b]!);
}

/**
 * Per image and joint: the error as a fraction of the torso diameter
 * (`Infinity` for a miss or a zero diameter), or null when not scored. `[N][K]`.
 */
export function normalisedErrors(poses: PoseSet, skeleton: Skeleton): (number | null)[][] {
  return poses.gtPx.map((gt, n) => {
    const d = torsoDiameter(poses, skeleton, n);
    return gt.map((g, k) => {
      if (d === null || !poses.visible[n]![k]) return null;
      const e = jointError(poses.predPx[n]![k], g);
      return d > 0 ? e / d : Infinity;
    });
  });
}

export function pdjCounts(poses: PoseSet, skeleton: Skeleton, thresholds: readonly number[] = PDJ_THRESHOLDS): PdjCounts {
  const k = skeleton.joints.length;
  const detected = Array.from({ length: k }, () => new Array<number>(thresholds.length).fill(0));
  const total = new Array<number>(k).fill(0);
  let imagesWithoutTorso = 0;
  let imagesWithZeroTorso = 0;
  const errs = normalisedErrors(poses, skeleton);
  errs.forEach((row, n) => {
    const d = torsoDiameter(poses, skeleton, n);
    if (d === null) {
      imagesWithoutTorso++;
      return;
    }
    if (d === 0) imagesWithZeroTorso++;
    row.forEach((e, j) => {
      if (e === null) return;
      total[j]!++;
      thresholds.forEach((f, t) => {
        if (e <= f) detected[j]![t]!++;
      });
    });
  });
  return { detected, total, imagesWithoutTorso, imagesWithZeroTorso };
}

export interface PdjSummary {
  readonly thresholds: readonly number[];
  /** Pooled over joints, one value per threshold. */
  readonly curve: number[];
  /** Joint name → one value per threshold. */
  readonly joints: Record<string, number[]>;
}

export function summarisePdj(c: PdjCounts, skeleton: Skeleton, thresholds: readonly number[] = PDJ_THRESHOLDS): PdjSummary {
  const all = c.total.reduce((a, b) => a + b, 0);
  const curve = thresholds.map((_, t) => (all > 0 ? c.detected.reduce((a, row) => a + row[t]!, 0) / all : Number.NaN));
  const joints: Record<string, number[]> = {};
  skeleton.joints.forEach((name, j) => {
    joints[name] = thresholds.map((_, t) => (c.total[j]! > 0 ? c.detected[j]![t]! / c.total[j]! : Number.NaN));
  });
  return { thresholds: [...thresholds], curve, joints };
}
