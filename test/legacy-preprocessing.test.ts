/**
 * The legacy preprocessing against what the legacy code itself produced for
 * 24 LSPET test images: crop boxes identical, targets within 1e-5, ignore
 * masks identical, input tensors close (mean abs difference measured).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeImageRegion, ImageDecodeError, probeImage } from '../data/image.js';
import { endsIntact } from '../data/image-plausible.js';
import { decodeJoints, jointsBox, legacyCropBox, normaliseJoints, preprocessCrop, CropError, type Resampler } from '../data/transforms/legacy.js';
import { cvResizeLinear } from '../data/transforms/cv-resize.js';
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

test('input tensors match the legacy code\'s (OpenCV\'s resize reproduced; sharp\'s resamplers are far off)', async (t) => {
  const x = ref.get('x')!.data as Float32Array;
  const samples = await Promise.all(names.map((_, i) => sample(i)));
  const compare = async (resampler?: Resampler) => {
    let sum = 0;
    let max = 0;
    for (let i = 0; i < samples.length; i++) {
      const mine = await preprocessCrop(samples[i]!.img, samples[i]!.box, { size: 220, channels: 'bgr', resampler });
      const off = i * mine.length;
      for (let j = 0; j < mine.length; j++) {
        const d = Math.abs(mine[j]! - x[off + j]!);
        sum += d;
        if (d > max) max = d;
      }
    }
    return { mean: sum / x.length, max };
  };
  const ours = await compare();
  const affine = await compare('affine-bilinear');
  const resize = await compare('linear');
  t.diagnostic(`mean abs difference: opencv-linear ${ours.mean.toExponential(2)} (max ${ours.max.toFixed(4)}), affine-bilinear ${affine.mean.toFixed(4)}, resize(linear) ${resize.mean.toFixed(4)}`);
  // One 8-bit level after GCN is 1/std ≈ 0.03 here: the largest difference is a single level.
  assert.ok(ours.mean < 1e-4, `mean abs difference ${ours.mean}`);
  assert.ok(ours.max < 0.05, `max abs difference ${ours.max}`);
  assert.ok(affine.mean > 100 * ours.mean && resize.mean > affine.mean);
});

test('an encoded image decoded only as far as its crop: the same tensor as from the whole decode (24 LSPET JPEGs, a rotated JPEG, a PNG)', async () => {
  const same = async (bytes: Uint8Array, box: [number, number, number, number], what: string) => {
    const probed = await probeImage(bytes);
    const fromBytes = await preprocessCrop({ encoded: bytes, ...probed }, box, { size: 220, channels: 'bgr' });
    const fromPixels = await preprocessCrop(await decodeImage(bytes), box, { size: 220, channels: 'bgr' });
    assert.deepEqual(new Int32Array(fromBytes.buffer), new Int32Array(fromPixels.buffer), what);
  };
  for (let i = 0; i < names.length; i++) {
    const { box } = await sample(i);
    await same(new Uint8Array(readFileSync(path.join(DIR, 'images', names[i]!))), box, names[i]!);
  }
  // The region itself: exactly those rows and columns of the whole decode; then the fallbacks.
  const jpeg = new Uint8Array(readFileSync(path.join(DIR, 'images', names[0]!)));
  const whole = await decodeImage(jpeg);
  const { image, boxInImage } = await decodeImageRegion(jpeg, [10, 20, 110, 70]);
  assert.deepEqual([image.width, image.height, boxInImage], [100, 50, [0, 0, 100, 50]], 'an upright JPEG: the region alone');
  for (let y = 0; y < 50; y++) {
    const row = whole.data.subarray(((20 + y) * whole.width + 10) * 3, ((20 + y) * whole.width + 110) * 3);
    assert.deepEqual(image.data.subarray(y * 300, (y + 1) * 300), row, `region row ${y}`);
  }
  const rotated = new Uint8Array(await sharp(jpeg).withMetadata({ orientation: 6 }).jpeg().toBuffer());
  const r = await decodeImageRegion(rotated, [5, 5, 60, 90]);
  assert.deepEqual(r.boxInImage, [5, 5, 60, 90], 'an EXIF-rotated JPEG is decoded whole (the region is of the upright image)');
  assert.equal(r.image.width, (await probeImage(rotated)).width);
  await same(rotated, [5, 5, 60, 90], 'rotated JPEG');
  await same(new Uint8Array(await sharp(jpeg).png().toBuffer()), [0, 3, whole.width, whole.height], 'PNG, box to the edges');
  assert.deepEqual((await decodeImageRegion(jpeg, [0.5, 0, 20, 20])).boxInImage, [0.5, 0, 20, 20], 'a box that is not whole pixels: the whole image');
});

test('a file cut short is refused by the region decode as by the whole decode, even when the region lies above the cut', async () => {
  const jpeg = new Uint8Array(readFileSync(path.join(DIR, 'images', names[0]!)));
  for (const keep of [0.5, 0.99]) {
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * keep));
    await assert.rejects(decodeImage(cut), ImageDecodeError);
    await assert.rejects(decodeImageRegion(cut, [0, 0, 20, 20]), (e: unknown) => e instanceof ImageDecodeError && /corrupt or truncated image/.test(e.message), `cut at ${keep}`);
  }
});

test('endsIntact: a JPEG, PNG and WebP end as intact files do; cut short, or with bytes after the end, they do not', async () => {
  const jpeg = new Uint8Array(readFileSync(path.join(DIR, 'images', names[0]!)));
  const png = new Uint8Array(await sharp(jpeg).png().toBuffer());
  const webp = new Uint8Array(await sharp(jpeg).webp().toBuffer());
  for (const [bytes, format] of [[jpeg, 'jpeg'], [png, 'png'], [webp, 'webp']] as const) {
    assert.equal(endsIntact(bytes, format), true, `${format} intact`);
    assert.equal(endsIntact(bytes.subarray(0, bytes.length - 1), format), false, `${format} one byte short`);
    assert.equal(endsIntact(new Uint8Array([...bytes, 0, 0]), format), false, `${format} with two bytes after its end`);
  }
  assert.equal(endsIntact(jpeg, 'png'), false, 'a JPEG is not an intact PNG');
  assert.equal(endsIntact(jpeg, 'gif'), false);
});

test('OpenCV\'s resize, by hand: weights, clamped edges, the SIMD and scalar kernels, the 2× area case', () => {
  // A 4 × 1 RGB row (values 0, 100, 200, 250 in every channel) resized to 6 × 1.
  const row = new Uint8Array([0, 0, 0, 100, 100, 100, 200, 200, 200, 250, 250, 250]);
  const img = { data: row, width: 4, height: 1, channels: 3 };
  const out = cvResizeLinear(img, [0, 0, 4, 1], 6, 1);
  // fx = (dx + 0.5)·(4/6) − 0.5 → −0.1667 (clamped: 0), 0.5, 1.1667, 1.8333, 2.5, 3.1667 (clamped: 3).
  // a1 = round(2048·frac): 0, 1024, 341, 1707, 1024, 0; h = a0·S[sx] + a1·S[sx+1]; one row, so b0 = 2048, b1 = 0.
  // The row has 18 elements (BGR order): 0–15 go through the vector kernel, 16–17 (the last pixel's G and R) through the scalar one.
  const h = [0, 1024 * 0 + 1024 * 100, (2048 - 341) * 100 + 341 * 200, (2048 - 1707) * 100 + 1707 * 200, 1024 * 200 + 1024 * 250, 250 * 2048];
  const vec = (v: number) => ((((v >> 4) * 2048) >> 16) + 2) >> 2;
  const scalar = (v: number) => Math.floor((v * 2048 + (1 << 21)) / (1 << 22));
  for (let dx = 0; dx < 6; dx++) {
    for (let c = 0; c < 3; c++) {
      const bgr = dx * 3 + 2 - c;
      assert.equal(out[dx * 3 + c], bgr < 16 ? vec(h[dx]!) : scalar(h[dx]!), `dx ${dx} channel ${c}`);
    }
  }
  assert.deepEqual([...out.subarray(0, 6)], [0, 0, 0, 50, 50, 50]);
  // An exact 2× reduction is OpenCV's fast area resize: the rounded mean of 2 × 2 blocks.
  const sq = { data: new Uint8Array([10, 10, 10, 11, 11, 11, 20, 20, 20, 21, 21, 21]), width: 2, height: 2, channels: 3 };
  assert.deepEqual([...cvResizeLinear(sq, [0, 0, 2, 2], 1, 1)], [16, 16, 16]);
});

test('an empty crop box is refused', async () => {
  const s = await sample(0);
  await assert.rejects(preprocessCrop(s.img, [10, 10, 10, 40], { size: 220, channels: 'bgr' }), (e) => e instanceof CropError && /crop box 10,10,10,40 is empty/.test(e.message));
});
