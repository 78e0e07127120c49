/**
 * Collects predictions and ground truth batch by batch and turns them into
 * every metric at the end (the metric functions themselves are pure, in
 * eval/metrics/).
 */
import type { Skeleton } from '../data/skeletons.js';
import { pckh, type PckhResult } from './metrics/pckh.js';
import { pcpCounts, summarisePcp, type PcpSummary } from './metrics/pcp.js';
import { normalisedErrors, pdjCounts, summarisePdj, type PdjCounts, type PdjSummary } from './metrics/pdj.js';
import type { MaybePoint, Point, PoseSet } from './metrics/poses.js';

export interface EvalImage {
  readonly image: string;
  /** `[K]` prediction in pixels, null where missing. */
  readonly predPx: readonly MaybePoint[];
  readonly gtPx: readonly Point[];
  readonly visible: readonly boolean[];
  readonly headBoxXyxy?: readonly [number, number, number, number];
  /** Where the image file is, for overlays. */
  readonly imagePath?: string;
}

export interface RankedImage {
  readonly image: string;
  readonly imagePath?: string;
  /** Mean joint error as a fraction of the torso diameter (lower is better). */
  readonly meanNormalisedError: number;
  /** Fraction of annotated joints within 0.2 × torso diameter. */
  readonly pdj20: number;
}

export interface EvalResult {
  readonly skeleton: Skeleton;
  readonly images: number;
  readonly annotatedJoints: number;
  readonly pcp: { readonly strict: PcpSummary; readonly loose: PcpSummary };
  readonly pdj: PdjSummary;
  readonly pdjCounts: PdjCounts;
  readonly pckh: PckhResult | null;
  /** Images ranked best first (those with a measurable torso). */
  readonly ranked: readonly RankedImage[];
}

export class EvalCollector {
  private readonly items: EvalImage[] = [];

  constructor(readonly skeleton: Skeleton) {}

  add(item: EvalImage): void {
    const k = this.skeleton.joints.length;
    if (item.predPx.length !== k || item.gtPx.length !== k || item.visible.length !== k) {
      throw new RangeError(`${item.image}: expected ${k} joints in prediction, ground truth and mask, found ${item.predPx.length}, ${item.gtPx.length}, ${item.visible.length}`);
    }
    this.items.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  get entries(): readonly EvalImage[] {
    return this.items;
  }

  result(): EvalResult {
    const poses: PoseSet = { predPx: this.items.map((i) => i.predPx), gtPx: this.items.map((i) => i.gtPx), visible: this.items.map((i) => i.visible) };
    const counts = pdjCounts(poses, this.skeleton);
    const errs = normalisedErrors(poses, this.skeleton);
    const ranked: RankedImage[] = [];
    errs.forEach((row, n) => {
      const scored = row.filter((e): e is number => e !== null);
      if (scored.length === 0) return;
      const finite = scored.map((e) => (Number.isFinite(e) ? e : 10));
      ranked.push({
        image: this.items[n]!.image,
        imagePath: this.items[n]!.imagePath,
        meanNormalisedError: finite.reduce((a, b) => a + b, 0) / finite.length,
        pdj20: scored.filter((e) => e <= 0.2).length / scored.length,
      });
    });
    ranked.sort((a, b) => a.meanNormalisedError - b.meanNormalisedError);
    return {
      skeleton: this.skeleton,
      images: this.items.length,
      annotatedJoints: this.items.reduce((a, i) => a + i.visible.filter(Boolean).length, 0),
      pcp: { strict: summarisePcp(pcpCounts(poses, this.skeleton, 'strict')), loose: summarisePcp(pcpCounts(poses, this.skeleton, 'loose')) },
      pdj: summarisePdj(counts, this.skeleton),
      pdjCounts: counts,
      pckh: pckh(poses, this.items.map((i) => i.headBoxXyxy), this.skeleton),
      ranked,
    };
  }
}
