/**
 * The legacy preprocessing against what the legacy code itself produced for
 * 24 LSPET test images: crop boxes identical, targets within 1e-5, ignore
 * masks identical, input tensors close (mean abs difference measured).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../data/image.js';
import { decodeJoints, jointsBox, legacyCropBox, normaliseJoints, preprocessCrop, CropError } from '../data/transforms/legacy.js';
import { readNpz } from '../model/io/npz.js';
import { FIXTURES } from './helpers/paths.js';

const DIR = path.join(FIXTURES, 'legacy-preprocessing');
const ref = await readNpz(path.join(DIR, 'legacy-preprocessing-lspet-test24.npz'));
const names = ref.get('names')!.data as string[];
const rows = new Map(readFileSync(path.join(DIR, 'legacy-test-rows.csv'), 'utf8').trim().split('\n').map((l) => {
  const p = l.split(',');
  return [p[0]!, p.slice(1).map(Number)] as const;
}));

async function sample(i: number) {
  const c = rows.get(names[i]!)!;
  const joints: [number, number][] = [];
  const visible: boolean[] = [];
  for (let k = 0; k < 14; k++) {
    joints.push([c[2 * k]!, c[2 * k + 1]!]);
    visible.push(c[2 * k] !== -1 && c[2 * k + 1] !== -1);
  }
  const img = await decodeImage(new Uint8Array(readFileSync(path.join(DIR, 'images', names[i]!))));
  return { joints, visible, img, box: legacyCropBox(jointsBox(joints, visible)!, img.width, img.height) };
}

test('crop boxes are identical, targets within 1e-5, masks identical, decode inverts normalise', async () => {
  const boxes = ref.get('box_xyxy')!.data as Int32Array;
  const t = ref.get('t')!.data as Float32Array;
  const ignore = ref.get('ignore')!.data as Int32Array;
  for (let i = 0; i < names.length; i++) {
    const s = await sample(i);
    assert.deepEqual(s.box, Array.from(boxes.subarray(i * 4, i * 4 + 4)), names[i]);
    const mine = normaliseJoints(s.joints, s.box, 220);
    for (let k = 0; k < 14; k++) {
      assert.equal(ignore[i * 28 + 2 * k], s.visible[k] ? 1 : 0);
      if (!s.visible[k]) continue;
      assert.ok(Math.abs(mine[k]![0] - t[i * 28 + 2 * k]!) < 1e-5);
      assert.ok(Math.abs(mine[k]![1] - t[i * 28 + 2 * k + 1]!) < 1e-5);
    }
    const back = decodeJoints(mine.flat(), s.box, 220);
    back.forEach(([x, y], k) => assert.ok(Math.abs(x - s.joints[k]![0]) < 1e-6 && Math.abs(y - s.joints[k]![1]) < 1e-6));
  }
});

test('input tensors are close to the legacy code\'s (affine bilinear beats every resize kernel)', async (t) => {
  const x = ref.get('x')!.data as Float32Array;
  const samples = await Promise.all(names.map((_, i) => sample(i)));
  const meanAbs = async (resampler?: 'linear') => {
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
      const mine = await preprocessCrop(samples[i]!.img, samples[i]!.box, { size: 220, channels: 'bgr', resampler });
      const off = i * mine.length;
      for (let j = 0; j < mine.length; j++) sum += Math.abs(mine[j]! - x[off + j]!);
    }
    return sum / x.length;
  };
  const ours = await meanAbs();
  const resize = await meanAbs('linear');
  t.diagnostic(`mean abs difference: affine-bilinear ${ours.toFixed(4)}, resize(linear) ${resize.toFixed(4)}`);
  assert.ok(ours < 0.02, `mean abs difference ${ours}`);
  assert.ok(ours < resize / 3);
});

test('an empty crop box is refused', async () => {
  const s = await sample(0);
  await assert.rejects(preprocessCrop(s.img, [10, 10, 10, 40], { size: 220, channels: 'bgr' }), (e) => e instanceof CropError && /crop box 10,10,10,40 is empty/.test(e.message));
});
