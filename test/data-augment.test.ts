/** Legacy training augmentations: ranges, seeded draws, joints moving with the image, identity = the evaluation crop. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../data/image.js';
import { createRng, permutation } from '../core/random.js';
import { LSP14 } from '../data/skeletons.js';
import { augmentGeometry, augmentSampleInto, drawAugmentParams, IDENTITY_AUGMENT, warpInto, type AugmentParams } from '../data/transforms/augment.js';
import { jointsBox, legacyCropBox, normaliseJoints, preprocessCrop } from '../data/transforms/legacy.js';
import { openDataset } from '../data/dataset.js';
import { FIXTURES } from './helpers/paths.js';

const S = 220;

test('seeded draws: same key, same numbers; ranges of the legacy recipe', () => {
  const a = Array.from({ length: 5 }, (_, i) => drawAugmentParams(createRng(42, 2, 0, i)));
  const b = Array.from({ length: 5 }, (_, i) => drawAugmentParams(createRng(42, 2, 0, i)));
  assert.deepEqual(a, b);
  assert.notDeepEqual(drawAugmentParams(createRng(43, 2, 0, 0)), a[0]);
  const many = Array.from({ length: 2000 }, (_, i) => drawAugmentParams(createRng(1, i)));
  assert.ok(many.every((p) => Math.abs(p.angleDeg) <= 10 && p.zoom >= 0.8 && p.zoom <= 1.2 && Number.isInteger(p.dx) && Math.abs(p.dx) <= 5 && Math.abs(p.dy) <= 5));
  assert.ok(many.some((p) => p.angleDeg < -9) && many.some((p) => p.angleDeg > 9), 'both directions of rotation');
  assert.ok(many.some((p) => p.dx === -5) && many.some((p) => p.dx === 5));
  const flips = many.filter((p) => p.flip).length;
  assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
  assert.deepEqual(Array.from(permutation(10, createRng(5, 1, 0))).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('the joints move with the image (rotation, zoom, translation, flip with left/right swap)', () => {
  // R = column, G = row: a pixel's colour says where it came from.
  const W = 240;
  const H = 200;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([x, y, 0], (y * W + x) * 3);
  const img = { data, width: W, height: H, channels: 3 };
  const rng = createRng(9);
  const joints: [number, number][] = LSP14.joints.map(() => [rng.uniform(70, 170), rng.uniform(50, 150)]);
  const visible = joints.map(() => true);
  const cases: AugmentParams[] = [
    { angleDeg: 9.5, dx: 4, dy: -3, zoom: 1.18, flip: false },
    { angleDeg: -7, dx: -5, dy: 5, zoom: 0.83, flip: true },
    ...Array.from({ length: 4 }, (_, i) => drawAugmentParams(createRng(3, i))),
  ];
  for (const p of cases) {
    const out = new Float32Array(3 * S * S);
    const a = augmentSampleInto(img, joints, visible, LSP14, p, { size: S, channels: 'rgb' }, out, 0);
    const raw = new Float32Array(3 * S * S);
    warpInto(img, augmentGeometry(jointsBox(joints, visible)!, W, H, S, p).inverse, S, 'rgb', raw, 0);
    const partner = LSP14.joints.map((_, k) => k);
    if (p.flip) for (const [i, j] of LSP14.flipPairs) [partner[i], partner[j]] = [j, i];
    a.jointsNorm.forEach(([tx, ty], k) => {
      const u = Math.floor(S / 2 + S * tx);
      const v = Math.floor(S / 2 + S * ty);
      assert.ok(u >= 0 && u < S && v >= 0 && v < S, `joint ${k} inside the crop`);
      const [ox, oy] = joints[partner[k]!]!;
      const r = raw[v * S + u]!;
      const g = raw[S * S + v * S + u]!;
      assert.ok(Math.abs(r - (ox - 0.5)) < 1.6 && Math.abs(g - (oy - 0.5)) < 1.6, `${JSON.stringify(p)} joint ${k}: crop shows (${r.toFixed(1)}, ${g.toFixed(1)}), joint came from (${ox.toFixed(1)}, ${oy.toFixed(1)})`);
    });
    if (p.flip) assert.equal(a.visible.length, 14);
  }
});

test('identity augmentation = the evaluation crop (same box, same targets, tensors within rounding)', async () => {
  const d = await openDataset(path.join(FIXTURES, 'lspet'), 'legacy-test');
  for (const s of d.samples.slice(0, 4)) {
    const img = await decodeImage(new Uint8Array(readFileSync(s.imagePath)));
    const box = legacyCropBox(jointsBox(s.jointsPx, s.visible)!, img.width, img.height);
    const ref = await preprocessCrop(img, box, { size: S, channels: 'bgr' });
    const out = new Float32Array(3 * S * S);
    const a = augmentSampleInto(img, s.jointsPx, s.visible, LSP14, IDENTITY_AUGMENT, { size: S, channels: 'bgr' }, out, 0);
    assert.deepEqual(a.cropBox, box);
    normaliseJoints(s.jointsPx, box, S).forEach(([x, y], k) => assert.ok(Math.abs(x - a.jointsNorm[k]![0]) < 1e-9 && Math.abs(y - a.jointsNorm[k]![1]) < 1e-9));
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += Math.abs(out[i]! - ref[i]!);
    assert.ok(sum / out.length < 0.02, `${s.image}: mean abs difference ${sum / out.length}`);
  }
});
