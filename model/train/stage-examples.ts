/**
 * Training examples for cascade stage s ≥ 2, as in the DeepPose paper
 * (§3.2): for a ground-truth joint y_i, a simulated previous-stage estimate
 * y_i + δ with δ drawn from the previous stage's error distribution on
 * training data (per joint, a 2-d normal fitted to its errors in units of
 * the torso diameter); the crop is a square of side σ × torso diameter
 * centred on the simulated estimate, and the target is the true joint's
 * position in that crop, `(y_i − centre) / side`, for joint i only (the
 * other outputs are masked out of the loss).
 *
 * At inference the crop side is σ × the torso diameter *of the current
 * estimate*, which is not the true one: the embedded stage 1 shrinks poses
 * (on LSPET legacy-test its torso diameter is 0.81 × the true one at the
 * median, sd 0.35). So the error model also keeps the previous stage's
 * empirical ratios estimated ÷ true torso diameter, and each training image
 * draws one, so stage s learns at the scales it will be shown.
 */
import { readFile } from 'node:fs/promises';
import type { PoseSample } from '../../data/dataset.js';
import { decodeImage } from '../../data/image.js';
import { createRng, type Rng } from '../../core/random.js';
import type { Skeleton } from '../../data/skeletons.js';
import { cropSquareGcnSimd } from '../../data/transforms/square-crop-simd.js';

/** Per joint: mean `[2]` and covariance `[2, 2]` of the previous stage's error / torso diameter. */
export interface DisplacementStats {
  readonly mean: [number, number][];
  readonly cov: [number, number, number][];
  readonly counts: number[];
  /**
   * Per training image, the previous stage's torso diameter ÷ the true one
   * (the empirical distribution of the crop scale error); empty = always 1.
   */
  readonly scaleRatios: number[];
}

/** Rejection-sampling tries for an inside-the-crop displacement before falling back to none. */
const MAX_INSIDE_TRIES = 64;

/** Drawn scale ratios are kept within this range (a degenerate estimate must not make a 0-pixel or whole-image crop). */
export const SCALE_RATIO_RANGE: readonly [number, number] = [0.25, 3];

/** Fits the per-joint error distribution from predictions and ground truth (`[N][K]` pixels, `[N][K]` mask). */
export function displacementStats(pred: readonly (readonly [number, number][])[], gt: readonly (readonly (readonly [number, number])[])[], visible: readonly (readonly boolean[])[], skeleton: Skeleton): DisplacementStats {
  const k = skeleton.joints.length;
  const s = Array.from({ length: k }, () => ({ n: 0, x: 0, y: 0, xx: 0, xy: 0, yy: 0 }));
  const [ta, tb] = skeleton.torso;
  const scaleRatios: number[] = [];
  gt.forEach((g, n) => {
    const v = visible[n]!;
    if (!v[ta] || !v[tb]) return;
    const d = Math.hypot(g[ta]![0] - g[tb]![0], g[ta]![1] - g[tb]![1]);
    if (!(d > 1)) return;
    const pa = pred[n]![ta]!;
    const pb = pred[n]![tb]!;
    const ratio = Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) / d;
    if (Number.isFinite(ratio)) scaleRatios.push(ratio);
    for (let j = 0; j < k; j++) {
      if (!v[j]) continue;
      const p = pred[n]![j]!;
      const ex = (p[0] - g[j]![0]) / d;
      const ey = (p[1] - g[j]![1]) / d;
      if (!Number.isFinite(ex) || !Number.isFinite(ey)) continue;
      const a = s[j]!;
      a.n++;
      a.x += ex;
      a.y += ey;
      a.xx += ex * ex;
      a.xy += ex * ey;
      a.yy += ey * ey;
    }
  });
  return {
    scaleRatios,
    counts: s.map((a) => a.n),
    mean: s.map((a) => (a.n ? [a.x / a.n, a.y / a.n] : [0, 0])),
    cov: s.map((a) => {
      if (a.n < 2) return [0.01, 0, 0.01];
      const mx = a.x / a.n;
      const my = a.y / a.n;
      return [a.xx / a.n - mx * mx, a.xy / a.n - mx * my, a.yy / a.n - my * my];
    }),
  };
}

function gauss(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** One draw of the crop scale ratio (estimated ÷ true torso diameter), clamped to {@link SCALE_RATIO_RANGE}. */
export function sampleScaleRatio(stats: DisplacementStats, rng: Rng): number {
  const r = stats.scaleRatios;
  if (r.length === 0) return 1;
  const v = r[Math.min(r.length - 1, Math.floor(rng.next() * r.length))]!;
  return Math.min(SCALE_RATIO_RANGE[1], Math.max(SCALE_RATIO_RANGE[0], v));
}

/** One draw of δ for joint j (Cholesky of its 2 × 2 covariance). */
export function sampleDisplacement(stats: DisplacementStats, j: number, rng: Rng): [number, number] {
  const [sxx, sxy, syy] = stats.cov[j]!;
  const l11 = Math.sqrt(Math.max(sxx, 1e-8));
  const l21 = sxy / l11;
  const l22 = Math.sqrt(Math.max(syy - l21 * l21, 1e-8));
  const z1 = gauss(rng);
  const z2 = gauss(rng);
  return [stats.mean[j]![0] + l11 * z1, stats.mean[j]![1] + l21 * z1 + l22 * z2];
}

export interface StageBatch {
  /** `[B, 3, S, S]` GCN'd crops. */
  readonly x: Float32Array;
  /** `[B, 2K]` targets (only joint i's pair is meaningful). */
  readonly t: Float32Array;
  /** `[B, 2K]` 1 on joint i's two coordinates. */
  readonly mask: Float32Array;
}

/**
 * Makes batches of joint-centred examples from a dataset split. Images are
 * decoded once per batch and every annotated joint of each image yields an
 * example, so a batch of 32 needs about three images.
 */
export class StageExampleSource {
  private cursor = 0;
  private readonly order: number[];
  private readonly rng: Rng;

  constructor(
    private readonly samples: readonly PoseSample[],
    private readonly skeleton: Skeleton,
    private readonly stats: DisplacementStats,
    private readonly options: {
      sigma: number; size: number; channels: 'bgr' | 'rgb'; seed: number; batch: number;
      /**
       * Draw δ from the error distribution conditioned on the true joint lying
       * inside the crop (rejection sampling): a refinement stage can only
       * correct what it sees, and with a weak previous stage the hopeless
       * draws otherwise dominate the squared loss.
       */
      insideCrop?: boolean;
    },
  ) {
    this.rng = createRng(options.seed, 2, 0xcafe);
    this.order = samples.map((_, i) => i).filter((i) => {
      const v = samples[i]!.visible;
      return v[skeleton.torso[0]] && v[skeleton.torso[1]];
    });
  }

  /** Images usable (measurable torso). */
  get imageCount(): number {
    return this.order.length;
  }

  private nextSample(): PoseSample {
    if (this.cursor % this.order.length === 0) {
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = Math.floor(this.rng.next() * (i + 1));
        [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
      }
    }
    return this.samples[this.order[this.cursor++ % this.order.length]!]!;
  }

  async next(): Promise<StageBatch> {
    const { batch: B, size: S, sigma } = this.options;
    const k = this.skeleton.joints.length;
    const x = new Float32Array(B * 3 * S * S);
    const t = new Float32Array(B * 2 * k);
    const mask = new Float32Array(B * 2 * k);
    let b = 0;
    while (b < B) {
      const s = this.nextSample();
      const img = await decodeImage(new Uint8Array(await readFile(s.imagePath)), { name: s.imagePath });
      const [ta, tb] = this.skeleton.torso;
      const d = Math.hypot(s.jointsPx[ta]![0] - s.jointsPx[tb]![0], s.jointsPx[ta]![1] - s.jointsPx[tb]![1]);
      if (!(d > 1)) continue;
      // As cascadeCrops does at inference: σ × the estimate's torso diameter, at least 4 px.
      const side = Math.max(4, sigma * d * sampleScaleRatio(this.stats, this.rng));
      for (let j = 0; j < k && b < B; j++) {
        if (!s.visible[j]) continue;
        let [dx, dy] = sampleDisplacement(this.stats, j, this.rng);
        if (this.options.insideCrop) {
          const half = side / 2 / d;
          for (let tries = 0; Math.abs(dx) > half || Math.abs(dy) > half; tries++) {
            if (tries === MAX_INSIDE_TRIES) {
              dx = 0;
              dy = 0;
              break;
            }
            [dx, dy] = sampleDisplacement(this.stats, j, this.rng);
          }
        }
        const cx = s.jointsPx[j]![0] + dx * d;
        const cy = s.jointsPx[j]![1] + dy * d;
        const off = b * 3 * S * S;
        cropSquareGcnSimd(img, cx, cy, side, S, this.options.channels, x, off);
        t[b * 2 * k + 2 * j] = (s.jointsPx[j]![0] - cx) / side;
        t[b * 2 * k + 2 * j + 1] = (s.jointsPx[j]![1] - cy) / side;
        mask[b * 2 * k + 2 * j] = 1;
        mask[b * 2 * k + 2 * j + 1] = 1;
        b++;
      }
    }
    return { x, t, mask };
  }
}
