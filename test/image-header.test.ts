/** The JavaScript header reader agrees with sharp, and hands anything it is unsure of back to sharp. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { readImageHeader } from '../data/image-header.js';
import { probeImage, ImageTooLargeError, UnsupportedImageError } from '../data/image.js';
import { FIXTURES } from './helpers/paths.js';

const base = () => sharp({ create: { width: 37, height: 21, channels: 3, background: { r: 200, g: 10, b: 90 } } });

async function agreesWithSharp(bytes: Uint8Array, label: string): Promise<void> {
  const h = readImageHeader(bytes);
  const m = await sharp(bytes).metadata();
  assert.ok(h, `${label}: read in JS`);
  assert.deepEqual([h.format, h.width, h.height, h.orientation], [m.format, m.width, m.height, m.orientation ?? 1], label);
}

test('JPEG (baseline, progressive, every EXIF orientation), PNG, lossy and lossless WebP: same as sharp', async () => {
  await agreesWithSharp(new Uint8Array(await base().jpeg().toBuffer()), 'baseline jpeg');
  await agreesWithSharp(new Uint8Array(await base().jpeg({ progressive: true }).toBuffer()), 'progressive jpeg');
  for (let o = 1; o <= 8; o++) await agreesWithSharp(new Uint8Array(await base().withMetadata({ orientation: o }).jpeg().toBuffer()), `jpeg orientation ${o}`);
  await agreesWithSharp(new Uint8Array(await base().png().toBuffer()), 'png');
  await agreesWithSharp(new Uint8Array(await base().webp().toBuffer()), 'lossy webp');
  await agreesWithSharp(new Uint8Array(await base().webp({ lossless: true }).toBuffer()), 'lossless webp');
  await agreesWithSharp(new Uint8Array(readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'))), 'LSPET jpeg');
});

test('unsure → undefined (sharp decides): other formats, EXIF in WebP, truncated or garbled headers', async () => {
  assert.equal(readImageHeader(new Uint8Array(await base().gif().toBuffer())), undefined);
  assert.equal(readImageHeader(new Uint8Array(await base().tiff().toBuffer())), undefined);
  assert.equal(readImageHeader(new Uint8Array(await base().withMetadata({ orientation: 6 }).webp().toBuffer())), undefined);
  const jpeg = new Uint8Array(await base().jpeg().toBuffer());
  assert.equal(readImageHeader(jpeg.subarray(0, 30)), undefined);
  const garbled = jpeg.slice();
  garbled[2] = 0xff;
  garbled[3] = 0x00;
  assert.equal(readImageHeader(garbled.subarray(0, 8)), undefined);
  assert.equal(readImageHeader(new Uint8Array([1, 2, 3])), undefined);
});

test('probeImage through the JS path keeps its checks: rotated size, pixel limit, unsupported formats', async () => {
  const rotated = new Uint8Array(await base().withMetadata({ orientation: 6 }).jpeg().toBuffer());
  assert.deepEqual(await probeImage(rotated), { format: 'jpeg', width: 21, height: 37 });
  await assert.rejects(probeImage(rotated, { maxPixels: 700, name: 'r.jpg' }), (e) => e instanceof ImageTooLargeError && e.message === 'r.jpg: 21×37 = 777 pixels exceeds the limit of 700 pixels');
  await assert.rejects(probeImage(new Uint8Array(await base().gif().toBuffer()), { name: 'a.gif' }), (e) => e instanceof UnsupportedImageError && /a\.gif: gif images are not supported/.test(e.message));
});
