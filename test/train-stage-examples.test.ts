/** Cascade stage ≥ 2 training examples: the error model and the joint-centred targets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openDataset } from '../data/dataset.js';
import { createRng } from '../core/random.js';
import { LSP14 } from '../data/skeletons.js';
import { displacementStats, sampleDisplacement, sampleScaleRatio, SCALE_RATIO_RANGE, StageExampleSource } from '../model/train/stage-examples.js';
import { FIXTURES } from './helpers/paths.js';

test('the error model: per-joint mean and covariance in torso diameters, sampled through its Cholesky factor', () => {
  const gt = [LSP14.joints.map((_, i) => [100 + 3 * i, 50 + 7 * i] as [number, number])];
  const d = Math.hypot(gt[0]![2]![0] - gt[0]![9]![0], gt[0]![2]![1] - gt[0]![9]![1]);
  const preds = [0.1, -0.1].map((s) => gt[0]!.map(([x, y], j) => [x + (j === 0 ? s * d : 0), y + (j === 0 ? 2 * s * d : 0.05 * d)] as [number, number]));
  const stats = displacementStats(preds, [gt[0]!, gt[0]!], [LSP14.joints.map(() => true), LSP14.joints.map(() => true)], LSP14);
  assert.deepEqual(stats.counts[0], 2);
  assert.ok(Math.abs(stats.mean[0]![0]) < 1e-9 && Math.abs(stats.mean[1]![1] - 0.05) < 1e-9);
  const [xx, xy, yy] = stats.cov[0]!;
  assert.ok(Math.abs(xx - 0.01) < 1e-9 && Math.abs(xy - 0.02) < 1e-9 && Math.abs(yy - 0.04) < 1e-9);
  // Sampling reproduces the fitted moments.
  const rng = createRng(3);
  const draws = Array.from({ length: 20000 }, () => sampleDisplacement({ ...stats, cov: stats.cov.map(() => [0.04, 0.01, 0.09]) }, 1, rng));
  const mx = draws.reduce((a, p) => a + p[0], 0) / draws.length;
  const my = draws.reduce((a, p) => a + p[1], 0) / draws.length;
  const cxy = draws.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / draws.length;
  const vy = draws.reduce((a, p) => a + (p[1] - my) ** 2, 0) / draws.length;
  assert.ok(Math.abs(my - 0.05) < 0.01 && Math.abs(cxy - 0.01) < 0.005 && Math.abs(vy - 0.09) < 0.01, `${mx} ${my} ${cxy} ${vy}`);
});

test('examples: one per annotated joint, target = (joint − crop centre) / side, only that joint unmasked', async () => {
  const ds = await openDataset(path.join(FIXTURES, 'lspet'), 'legacy-test');
  const k = 14;
  const zero = { mean: Array.from({ length: k }, () => [0.1, -0.2] as [number, number]), cov: Array.from({ length: k }, () => [0, 0, 0] as [number, number, number]), counts: [], scaleRatios: [] };
  const src = new StageExampleSource(ds.samples, LSP14, zero, { sigma: 0.5, size: 32, channels: 'bgr', seed: 1, batch: 20 });
  const b = await src.next();
  assert.equal(b.x.length, 20 * 3 * 32 * 32);
  for (let i = 0; i < 20; i++) {
    const on = [...b.mask.subarray(i * 28, (i + 1) * 28)].map((v, j) => (v ? j : -1)).filter((j) => j >= 0);
    assert.equal(on.length, 2);
    assert.equal(on[1], on[0]! + 1);
    // Displacement (0.1, −0.2) × d, side 0.5 × d → target (−0.2, 0.4), up to the 1e-8 the variance floor allows.
    assert.ok(Math.abs(b.t[i * 28 + on[0]!]! + 0.2) < 1e-3 && Math.abs(b.t[i * 28 + on[1]!]! - 0.4) < 1e-3);
  }
});

test('the crop scale follows the previous stage: estimated ÷ true torso diameter kept per image and drawn per training image', async () => {
  const gt = LSP14.joints.map((_, i) => [100 + 3 * i, 50 + 7 * i] as [number, number]);
  // A prediction shrunk by 0.8 about joint 0, and one with both torso joints on one point (ratio 0, clamped when drawn).
  const shrunk = gt.map(([x, y]) => [100 + 0.8 * (x - 100), 50 + 0.8 * (y - 50)] as [number, number]);
  const collapsed = gt.map(() => [120, 80] as [number, number]);
  const all = LSP14.joints.map(() => true);
  const stats = displacementStats([shrunk, collapsed], [gt, gt], [all, all], LSP14);
  assert.equal(stats.scaleRatios.length, 2);
  assert.ok(Math.abs(stats.scaleRatios[0]! - 0.8) < 1e-9 && stats.scaleRatios[1] === 0);
  const rng = createRng(5);
  const draws = Array.from({ length: 400 }, () => sampleScaleRatio(stats, rng));
  assert.ok(draws.some((r) => Math.abs(r - 0.8) < 1e-9) && draws.some((r) => r === SCALE_RATIO_RANGE[0]));
  assert.ok(draws.every((r) => Math.abs(r - 0.8) < 1e-9 || r === SCALE_RATIO_RANGE[0]));
  assert.equal(sampleScaleRatio({ ...stats, scaleRatios: [] }, rng), 1);

  // Ratio 0.5 halves the crop side, which doubles the normalised target of the same displacement.
  const ds = await openDataset(path.join(FIXTURES, 'lspet'), 'legacy-test');
  const k = 14;
  const half = { mean: Array.from({ length: k }, () => [0.1, -0.2] as [number, number]), cov: Array.from({ length: k }, () => [0, 0, 0] as [number, number, number]), counts: [], scaleRatios: [0.5] };
  const b = await new StageExampleSource(ds.samples, LSP14, half, { sigma: 0.5, size: 32, channels: 'bgr', seed: 1, batch: 6 }).next();
  for (let i = 0; i < 6; i++) {
    const on = [...b.mask.subarray(i * 28, (i + 1) * 28)].map((v, j) => (v ? j : -1)).filter((j) => j >= 0);
    assert.ok(Math.abs(b.t[i * 28 + on[0]!]! + 0.4) < 2e-3 && Math.abs(b.t[i * 28 + on[1]!]! - 0.8) < 2e-3, `${b.t[i * 28 + on[0]!]} ${b.t[i * 28 + on[1]!]}`);
  }
});

test('--inside-crop: displacements conditioned on the true joint lying inside the crop', async () => {
  const ds = await openDataset(path.join(FIXTURES, 'lspet'), 'legacy-test');
  const k = 14;
  const fixed = (mean: [number, number], v: number) => ({ mean: Array.from({ length: k }, () => mean), cov: Array.from({ length: k }, () => [v, 0, v] as [number, number, number]), counts: [], scaleRatios: [] });
  const targets = async (stats: ReturnType<typeof fixed>, sigma: number) => {
    const b = await new StageExampleSource(ds.samples, LSP14, stats, { sigma, size: 16, channels: 'bgr', seed: 2, batch: 40, insideCrop: true }).next();
    return [...b.t].filter((_, j) => b.mask[j] === 1);
  };
  // (0.1, −0.2) d lies inside a crop of side 0.5 d (half 0.25 d): kept, targets (−0.2, 0.4).
  const kept = await targets(fixed([0.1, -0.2], 0), 0.5);
  assert.ok(kept.every((t, j) => Math.abs(t - (j % 2 ? 0.4 : -0.2)) < 1e-3));
  // Outside a crop of side 0.3 d (half 0.15 d) on every draw: no displacement, target 0.
  assert.ok((await targets(fixed([0.1, -0.2], 0), 0.3)).every((t) => Math.abs(t) < 1e-9));
  // A wide distribution: every kept target within the crop, and not all at its centre.
  const wide = await targets(fixed([0, 0], 0.09), 0.5);
  assert.ok(wide.every((t) => Math.abs(t) <= 0.5 + 1e-9) && wide.some((t) => Math.abs(t) > 0.1));
});
