/**
 * Percentage of Correct Parts (Ferrari et al. 2008, as used by DeepPose and
 * the LSP literature), over the sticks of a skeleton table (`limb.pcp`).
 *
 * - strict PCP: a stick is correct when **both** predicted endpoints lie
 *   within `factor` (0.5) × the ground-truth stick length of their true
 *   positions; loose PCP: when the **mean** of the two endpoint errors does.
 *   Ties (`<=`) count as correct.
 * - An endpoint may be the mean of several joints (LSP's torso runs from
 *   mid-hips to mid-shoulders).
 * - A stick is scored only when every joint it touches is annotated in the
 *   ground truth (the torso needs both hips and both shoulders); otherwise it
 *   is left out of numerator and denominator.
 * - A missing (null/NaN) prediction makes the stick incorrect.
 * - A ground-truth stick of length 0 is correct only if both predicted
 *   endpoints are exactly on it (errors ≤ 0).
 */
import { LIMB_PARTS, type PartName, type Skeleton } from '../../data/skeletons.js';
import { distance, meanPoint, type PoseSet } from './poses.js';

export type PcpMode = 'strict' | 'loose';

export interface StickCount {
  readonly name: string;
  readonly part: PartName;
  readonly correct: number;
  readonly total: number;
}

/**
 * Per image and stick: 1 correct, 0 incorrect, null not scored. Shape
 * `[N][S]` for the skeleton's PCP sticks, in table order.
 */
export function pcpPerImage(poses: PoseSet, skeleton: Skeleton, mode: PcpMode, factor = 0.5): (0 | 1 | null)[][] {
  const sticks = skeleton.limbs.filter((l) => l.pcp);
  return poses.gtPx.map((gt, n) => {
    const vis = poses.visible[n]!;
    const pred = poses.predPx[n]!;
    return sticks.map((s) => {
      if (![...s.from, ...s.to].every((j) => vis[j])) return null;
      const ga = meanPoint(gt, s.from)!;
      const gb = meanPoint(gt, s.to)!;
      const pa = meanPoint(pred, s.from);
      const pb = meanPoint(pred, s.to);
      if (!pa || !pb) return 0;
      const limit = factor * distance(ga, gb);
      const ea = distance(pa, ga);
      const eb = distance(pb, gb);
      const ok = mode === 'strict' ? ea <= limit && eb <= limit : (ea + eb) / 2 <= limit;
      return ok ? 1 : 0;
    });
  });
}

/** Counts per stick over all images. */
export function pcpCounts(poses: PoseSet, skeleton: Skeleton, mode: PcpMode, factor = 0.5): StickCount[] {
  const sticks = skeleton.limbs.filter((l) => l.pcp);
  const per = pcpPerImage(poses, skeleton, mode, factor);
  return sticks.map((s, i) => {
    let correct = 0;
    let total = 0;
    for (const row of per) {
      const v = row[i];
      if (v === null || v === undefined) continue;
      total++;
      correct += v;
    }
    return { name: s.name, part: s.part, correct, total };
  });
}

export interface PcpSummary {
  /** Pooled over every scored stick of every image. */
  readonly total: number;
  /** Left and right pooled; `limbMean` is the mean of the four limb parts present. */
  readonly parts: Partial<Record<PartName | 'limbMean', number>>;
  readonly sticks: Record<string, number>;
  readonly counts: readonly StickCount[];
}

const frac = (c: number, t: number) => (t > 0 ? c / t : Number.NaN);

export function summarisePcp(counts: readonly StickCount[]): PcpSummary {
  const byPart = new Map<PartName, { c: number; t: number }>();
  for (const s of counts) {
    const p = byPart.get(s.part) ?? { c: 0, t: 0 };
    p.c += s.correct;
    p.t += s.total;
    byPart.set(s.part, p);
  }
  const parts: Partial<Record<PartName | 'limbMean', number>> = {};
  for (const [part, v] of byPart) parts[part] = frac(v.c, v.t);
  const limbs = LIMB_PARTS.map((p) => parts[p]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (limbs.length > 0) parts.limbMean = limbs.reduce((a, b) => a + b, 0) / limbs.length;
  const c = counts.reduce((a, s) => a + s.correct, 0);
  const t = counts.reduce((a, s) => a + s.total, 0);
  return { total: frac(c, t), parts, sticks: Object.fromEntries(counts.map((s) => [s.name, frac(s.correct, s.total)])), counts };
}
