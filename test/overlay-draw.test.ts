/** Skeleton overlays: lines where the skeleton says, in the limb's colour; missing joints not drawn. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { drawOverlay, drawOverlayThumbnail } from '../data/overlay.js';
import { LSP14 } from '../data/skeletons.js';

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { at: (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)), info };
}

test('a limb is drawn along the segment between its joints, in its colour', async () => {
  const bg = await sharp({ create: { width: 200, height: 120, channels: 3, background: '#000000' } }).png().toBuffer();
  const joints: ([number, number] | null)[] = LSP14.joints.map(() => null);
  joints[0] = [20, 60]; // right ankle
  joints[1] = [180, 60]; // right knee: right lower leg, horizontal
  const png = await drawOverlay(bg, joints, LSP14, { lineWidth: 6 });
  const { at, info } = await pixels(png);
  assert.deepEqual([info.width, info.height], [200, 120]);
  const colour = hex(LSP14.limbs.find((l) => l.name === 'rightLowerLeg')!.colour);
  for (const x of [50, 80, 100, 130, 150]) {
    const p = at(x, 60);
    p.forEach((v, i) => assert.ok(Math.abs(v - colour[i]!) < 40, `pixel ${x},60 = ${p}, expected ≈ ${colour}`));
  }
  assert.deepEqual(at(100, 20), [0, 0, 0], 'nothing drawn away from the line');
  assert.deepEqual(at(100, 100), [0, 0, 0]);
});

test('left and right limbs differ in colour; limbs touching a missing joint are skipped; formats', async () => {
  const left = LSP14.limbs.find((l) => l.name === 'leftLowerArm')!.colour;
  const right = LSP14.limbs.find((l) => l.name === 'rightLowerArm')!.colour;
  assert.notEqual(left, right);
  const bg = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000000' } }).jpeg().toBuffer();
  const joints: ([number, number] | null)[] = LSP14.joints.map(() => null);
  joints[6] = [10, 50]; // right wrist, elbow missing → no line
  joints[7] = [Number.NaN, 50];
  const png = await drawOverlay(bg, joints, LSP14, { lineWidth: 4 });
  const { at } = await pixels(png);
  assert.ok(at(50, 50).every((v) => v < 30), 'no line towards a missing elbow');
  for (const format of ['jpeg', 'webp'] as const) {
    const out = await drawOverlay(bg, joints, LSP14, { format, labels: true, box: [5, 5, 50, 50] });
    assert.equal((await sharp(out).metadata()).format, format);
  }
});

test('a thumbnail overlay: the image shrunk to fit, the limb drawn at the thumbnail\'s scale', async () => {
  // 800 × 600 black; the right lower leg from (100, 450) to (700, 450) in the full image's pixels.
  const bg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#000000' } }).jpeg().toBuffer();
  const joints: ([number, number] | null)[] = LSP14.joints.map(() => null);
  joints[0] = [100, 450];
  joints[1] = [700, 450];
  const jpeg = await drawOverlayThumbnail(new Uint8Array(bg), joints, LSP14, 200, { lineWidth: 6 });
  const { at, info } = await pixels(jpeg);
  assert.deepEqual([info.width, info.height], [200, 150], 'fits 200 × 200, aspect kept');
  const colour = hex(LSP14.limbs.find((l) => l.name === 'rightLowerLeg')!.colour);
  // At a quarter of the scale: y 450 → 112.5, x 100…700 → 25…175.
  for (const x of [60, 100, 140]) {
    const p = at(x, 112);
    p.forEach((v, i) => assert.ok(Math.abs(v - colour[i]!) < 60, `pixel ${x},112 = ${p}, expected ≈ ${colour}`));
  }
  for (const [x, y] of [[100, 60], [100, 140], [10, 112], [190, 112]] as const) assert.ok(at(x, y).every((v) => v < 40), `nothing drawn at ${x},${y}: ${at(x, y)}`);
  // A small image is not enlarged.
  const small = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#000000' } }).jpeg().toBuffer();
  assert.equal((await sharp(await drawOverlayThumbnail(new Uint8Array(small), joints, LSP14, 200)).metadata()).width, 120);
});

test('a thumbnail overlay of an EXIF-rotated photo: joints and box in the upright image\'s pixels land where they belong', async () => {
  // Stored 800 × 600 with orientation 6: upright it is 600 × 800, its thumbnail 150 × 200.
  const stored = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#000000' } }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const joints: ([number, number] | null)[] = LSP14.joints.map(() => null);
  joints[0] = [100, 450];
  joints[1] = [500, 450];
  const jpeg = await drawOverlayThumbnail(new Uint8Array(stored), joints, LSP14, 200, { lineWidth: 6, box: [100, 100, 200, 200] });
  const { at, info } = await pixels(jpeg);
  assert.deepEqual([info.width, info.height], [150, 200]);
  const colour = hex(LSP14.limbs.find((l) => l.name === 'rightLowerLeg')!.colour);
  // y 450 → 112.5, x 100…500 → 25…125.
  for (const x of [50, 75, 100]) {
    const p = at(x, 112);
    p.forEach((v, i) => assert.ok(Math.abs(v - colour[i]!) < 60, `pixel ${x},112 = ${p}, expected ≈ ${colour}`));
  }
  assert.ok(at(75, 60).every((v) => v < 40), `nothing drawn at 75,60: ${at(75, 60)}`);
  // The box's top edge, y 100 → 25, starts with a dash at x 25.
  assert.ok(at(30, 25).every((v) => v > 150), `box edge at 30,25: ${at(30, 25)}`);
});

test('contact sheet: a grid of equal cells with captions', async () => {
  const { contactSheet } = await import('../data/contact-sheet.js');
  const red = await sharp({ create: { width: 50, height: 100, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#0000ff' } }).png().toBuffer();
  const png = await contactSheet([{ image: red, caption: 'a' }, { image: blue, caption: 'b' }, { image: red }], { cell: 100, columns: 2 });
  const { at, info } = await pixels(png);
  assert.deepEqual([info.width, info.height], [2 * 106 + 6, 2 * 126 + 6]);
  assert.deepEqual(at(6 + 50, 6 + 50), [255, 0, 0], 'first cell holds the first image, centred');
  assert.deepEqual(at(112 + 50, 6 + 50), [0, 0, 255]);
  await assert.rejects(contactSheet([]), /no images/);
});
