/** PCP, PDJ and PCKh on small hand-computed cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSP14 } from '../data/skeletons.js';
import { pcpCounts, pcpPerImage, summarisePcp } from '../eval/metrics/pcp.js';
import { pdjCounts, summarisePdj, PDJ_THRESHOLDS } from '../eval/metrics/pdj.js';
import { pckh } from '../eval/metrics/pckh.js';
import type { MaybePoint, Point } from '../eval/metrics/poses.js';

/** An upright LSP pose: hips at y=100, shoulders at y=50, feet at y=200. */
function gtPose(): Point[] {
  return [
    [40, 200], [40, 150], [40, 100], [60, 100], [60, 150], [60, 200], // legs: R ankle, knee, hip, L hip, knee, ankle
    [20, 100], [20, 75], [40, 50], [60, 50], [80, 75], [80, 100], // arms: R wrist, elbow, shoulder, L shoulder, elbow, wrist
    [50, 40], [50, 20], // neck, head top
  ];
}
const all = () => LSP14.joints.map(() => true);
const stick = (name: string) => LSP14.limbs.filter((l) => l.pcp).findIndex((l) => l.name === name);

test('strict PCP: ties at exactly 0.5 × length count; one endpoint off fails strict but not loose', () => {
  const gt = gtPose();
  const pred: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  // right lower leg: ankle (40,200)–knee (40,150), length 50 → threshold 25.
  pred[0] = [40 + 25, 200]; // exactly at the threshold: correct
  pred[1] = [40, 150 - 24]; // within
  // left lower leg: ankle off by 30 (> 25), knee exact → strict wrong, loose mean 15 ≤ 25 right.
  pred[5] = [60, 230];
  const poses = { predPx: [pred], gtPx: [gt], visible: [all()] };
  const strict = pcpPerImage(poses, LSP14, 'strict')[0]!;
  const loose = pcpPerImage(poses, LSP14, 'loose')[0]!;
  assert.equal(strict[stick('rightLowerLeg')], 1);
  assert.equal(strict[stick('leftLowerLeg')], 0);
  assert.equal(loose[stick('leftLowerLeg')], 1);
  // Upper right leg shares the knee: (40,126) vs (40,150) is 24 ≤ 25, hip exact.
  assert.equal(strict[stick('rightUpperLeg')], 1);
  const s = summarisePcp(pcpCounts(poses, LSP14, 'strict'));
  assert.equal(s.total, 9 / 10);
  assert.equal(s.parts.lowerLegs, 0.5);
  assert.equal(s.parts.torso, 1);
  assert.equal(s.parts.limbMean, (1 + 0.5 + 1 + 1) / 4);
});

test('left/right swapped predictions fail; the torso stick uses mid-hips and mid-shoulders', () => {
  const gt = gtPose();
  const swapped: MaybePoint[] = gt.map((_, i) => gt[[5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13][i]!]!);
  const poses = { predPx: [swapped], gtPx: [gt], visible: [all()] };
  const per = pcpPerImage(poses, LSP14, 'strict')[0]!;
  // Swapping mirrors across x=50: legs are 20 px apart, lower-leg length 50 → 20 ≤ 25 still correct;
  // arms are 60 px apart at the wrists, upper arm length ≈ 32 → wrong.
  assert.equal(per[stick('rightLowerLeg')], 1);
  assert.equal(per[stick('rightLowerArm')], 0);
  assert.equal(per[stick('torso')], 1, 'mid-points are unchanged by a swap');
});

test('NaN and null predictions are misses; sticks touching unannotated joints are left out', () => {
  const gt = gtPose();
  const pred: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  pred[13] = null; // head top
  pred[6] = [Number.NaN, 100]; // right wrist
  const vis = all();
  vis[3] = false; // left hip not annotated → left upper leg and torso not scored
  const poses = { predPx: [pred], gtPx: [gt], visible: [vis] };
  const per = pcpPerImage(poses, LSP14, 'strict')[0]!;
  assert.equal(per[stick('head')], 0);
  assert.equal(per[stick('rightLowerArm')], 0);
  assert.equal(per[stick('leftUpperLeg')], null);
  assert.equal(per[stick('torso')], null);
  const counts = pcpCounts(poses, LSP14, 'strict');
  assert.equal(counts.reduce((a, c) => a + c.total, 0), 8);
  const pdj = pdjCounts(poses, LSP14);
  assert.equal(pdj.imagesWithoutTorso, 0, 'the left hip is not a torso joint: the torso pair is right hip – left shoulder');
});

test('a zero-length ground-truth stick is correct only for exact endpoints', () => {
  const gt = gtPose();
  gt[12] = [50, 20]; // neck on the head top: head stick of length 0
  const exact: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  const off: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  off[13] = [50, 20.5];
  const per = pcpPerImage({ predPx: [exact, off], gtPx: [gt, gt], visible: [all(), all()] }, LSP14, 'strict');
  assert.equal(per[0]![stick('head')], 1);
  assert.equal(per[1]![stick('head')], 0);
});

test('PDJ: thresholds 0…0.5, ties detected, unmeasurable torso left out, zero torso all missed', () => {
  assert.equal(PDJ_THRESHOLDS.length, 51);
  assert.equal(PDJ_THRESHOLDS[20], 0.2);
  const gt = gtPose();
  const d = Math.hypot(40 - 60, 100 - 50); // right hip (40,100) – left shoulder (60,50)
  const pred: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  pred[0] = [40 + 0.2 * d, 200]; // right ankle exactly at 0.2 × d
  const noTorso = all();
  noTorso[9] = false;
  const zero = gtPose();
  zero[9] = [40, 100]; // left shoulder on the right hip: diameter 0
  const poses = { predPx: [pred, pred, zero.map((p) => [p[0], p[1]] as Point)], gtPx: [gt, gt, zero], visible: [all(), noTorso, all()] };
  const c = pdjCounts(poses, LSP14);
  assert.equal(c.imagesWithoutTorso, 1);
  assert.equal(c.imagesWithZeroTorso, 1);
  assert.equal(c.total[0], 2, 'images 1 and 3 score the right ankle');
  assert.equal(c.detected[0]![20], 1, 'tie at f = 0.2 counts (image 3 misses: zero torso)');
  assert.equal(c.detected[0]![19], 0);
  const s = summarisePdj(c, LSP14);
  assert.equal(s.curve[50], 14 / 28, 'image 1: all 14 detected at 0.5; image 3: none');
  assert.equal(s.joints.rightAnkle![20], 0.5);
});

test('PCKh@0.5 uses 0.6 × the head-box diagonal; images without a head box are left out', () => {
  const gt = gtPose();
  const pred: MaybePoint[] = gt.map((p) => [p[0], p[1]]);
  pred[0] = [40 + 15, 200]; // head box diagonal 50 → head size 30 → threshold 15: tie, correct
  pred[1] = [40 + 15.1, 150];
  const r = pckh({ predPx: [pred, pred], gtPx: [gt, gt], visible: [all(), all()] }, [[30, 0, 60, 40], undefined], LSP14)!;
  assert.equal(r.images, 1);
  assert.equal(r.joints.rightAnkle, 1);
  assert.equal(r.joints.rightKnee, 0);
  assert.equal(r.total, 13 / 14);
  assert.equal(pckh({ predPx: [pred], gtPx: [gt], visible: [all()] }, [undefined], LSP14), null);
});
