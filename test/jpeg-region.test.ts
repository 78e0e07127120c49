/**
 * The JPEG region decoder (data/jpeg/decode-region.ts) against sharp, its
 * reference: the same bytes as sharp's decode of the whole image cut to the
 * region, for every form it decodes (4:2:0 and 4:4:4, odd sizes, high and
 * low quality, restart markers); `undefined` — sharp's turn — for every
 * form it does not reproduce and for data a conforming decoder only warns
 * about.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Sharp from 'sharp';
import { decodeJpegRegion } from '../data/jpeg/decode-region.js';
import { decodeImage, decodeImageRegion, ImageDecodeError, OWN_JPEG_DECODE_MAX_PIXELS } from '../data/image.js';
import { JPEG_MAX_DIMENSION, readJpegLayout } from '../data/jpeg/jpeg-layout.js';
import { writeJpeg, type JpegSpec } from './helpers/jpeg-writer.js';
import { loadSharp } from '../data/sharp-module.js';
import { ROOT } from './helpers/paths.js';

const LSPET = path.join(ROOT, 'test', 'fixtures', 'lspet', 'images');
const RESTARTS = path.join(ROOT, 'test', 'fixtures', 'jpeg');
const read = (file: string) => new Uint8Array(readFileSync(file));

/** sharp's pixels of the region (the reference). */
async function sharpRegion(sharp: typeof Sharp, bytes: Uint8Array, [x0, y0, x1, y1]: readonly number[]): Promise<Uint8Array> {
  return new Uint8Array(await sharp(bytes, { failOn: 'error' }).extract({ left: x0!, top: y0!, width: x1! - x0!, height: y1! - y0! }).raw().toBuffer());
}

/** The whole image and `n` regions drawn from a seeded generator, with the edges and one pixel among them. */
function regions(width: number, height: number, n: number, seed: number): [number, number, number, number][] {
  let s = seed;
  const next = (m: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % m;
  };
  const out: [number, number, number, number][] = [[0, 0, width, height], [width - 1, height - 1, width, height], [0, 0, 1, height], [3, 0, width, 1]];
  for (let i = 0; i < n; i++) {
    const x0 = next(width - 1);
    const y0 = next(height - 1);
    out.push([x0, y0, x0 + 1 + next(width - x0), y0 + 1 + next(height - y0)]);
  }
  return out;
}

async function assertSameAsSharp(sharp: typeof Sharp, bytes: Uint8Array, what: string, n = 8): Promise<void> {
  const { width, height } = await sharp(bytes).metadata();
  for (const box of regions(width!, height!, n, width! * 31 + height!)) {
    const mine = decodeJpegRegion(bytes, ...box);
    assert.ok(mine, `${what} ${box}: decoded`);
    assert.deepEqual(mine, await sharpRegion(sharp, bytes, box), `${what} ${box}: sharp's bytes`);
  }
}

test('decodeJpegRegion gives sharp\'s bytes for the 32 vendored LSPET JPEGs, whole and in regions', async () => {
  const sharp = await loadSharp();
  for (const name of readdirSync(LSPET).filter((f) => f.endsWith('.jpg'))) await assertSameAsSharp(sharp, read(path.join(LSPET, name)), name);
});

test('decodeJpegRegion gives sharp\'s bytes for 4:4:4, odd sizes, quality 3 to 100 and restart markers', async () => {
  const sharp = await loadSharp();
  const src = read(path.join(LSPET, 'im00001.jpg'));
  const variants: [string, Promise<Buffer>][] = [
    ['4:4:4', sharp(src).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer()],
    ['301 × 199, 4:2:0', sharp(src).resize(301, 199, { fit: 'fill' }).jpeg({ quality: 75 }).toBuffer()],
    ['333 × 257, 4:4:4', sharp(src).resize(333, 257, { fit: 'fill' }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer()],
    ['5 × 3 (chroma 3 samples wide)', sharp(src).resize(5, 3, { fit: 'fill' }).jpeg().toBuffer()],
    ['quality 100', sharp(src).resize(240, 180).jpeg({ quality: 100 }).toBuffer()],
    ['quality 3', sharp(src).resize(240, 180).jpeg({ quality: 3 }).toBuffer()],
    ['optimised Huffman tables', sharp(src).jpeg({ optimiseCoding: true }).toBuffer()],
    ['grey in three channels', sharp(src).grayscale().jpeg().toBuffer()],
  ];
  for (const [what, bytes] of variants) await assertSameAsSharp(sharp, new Uint8Array(await bytes), what);
  for (const name of ['restart-every-mcu.jpg', 'restart-every-row-444.jpg']) await assertSameAsSharp(sharp, read(path.join(RESTARTS, name)), name, 20);
});

test('decodeJpegRegion leaves to sharp what it does not reproduce: other codings, colour forms, sizes and regions', async () => {
  const sharp = await loadSharp();
  const src = read(path.join(LSPET, 'im00001.jpg'));
  const make = async (p: ReturnType<typeof Sharp>) => new Uint8Array(await p.toBuffer());
  const cases: [string, Uint8Array][] = [
    ['progressive', await make(sharp(src).jpeg({ progressive: true }))],
    ['one-channel grayscale', await make(sharp(src).toColourspace('b-w').jpeg())],
    ['an ICC profile', await make(sharp(src).withIccProfile('p3').jpeg())],
    ['4:2:0 three pixels wide (libjpeg repeats chroma there)', await make(sharp(src).resize(3, 5, { fit: 'fill' }).jpeg())],
    ['a PNG', await make(sharp(src).png())],
    ['no bytes', new Uint8Array(0)],
  ];
  for (const [what, bytes] of cases) assert.equal(decodeJpegRegion(bytes, 0, 0, 2, 2), undefined, what);
  for (const [x0, y0, x1, y1] of [[0, 0, 0, 5], [-1, 0, 5, 5], [0, 0, 10_000, 5], [0.5, 0, 5, 5]]) {
    assert.equal(decodeJpegRegion(src, x0!, y0!, x1!, y1!), undefined, `region ${[x0, y0, x1, y1]}`);
  }
});

test('decodeJpegRegion leaves to sharp data a conforming decoder only warns about', async () => {
  const src = read(path.join(LSPET, 'im00001.jpg'));
  const scan = scanStart(src);
  // The entropy-coded data cut in the middle (the file still ends with EOI).
  const cut = new Uint8Array([...src.subarray(0, scan + (src.length - scan) / 2), 0xff, 0xd9]);
  const [w, h] = frameSize(src);
  assert.ok(decodeJpegRegion(cut, 0, 0, 8, 8), 'a region above the cut decodes');
  assert.ok(decodeJpegRegion(src, 0, 0, w, h), 'the whole image decodes');
  assert.equal(decodeJpegRegion(cut, 0, 0, w, h), undefined, 'the whole image of the cut file');
  // Ones where a code belongs: 0xFF 0x00 stuffed bytes are all 1 bits, and no JPEG code is all ones.
  const ones = src.slice();
  for (let i = scan; i < scan + 12; i += 2) ones.set([0xff, 0x00], i);
  assert.equal(decodeJpegRegion(ones, 0, 0, 8, 8), undefined, 'an invalid Huffman code');
  // Restart markers out of sequence.
  const rst = read(path.join(RESTARTS, 'restart-every-mcu.jpg'));
  const swapped = rst.slice();
  const first = swapped.findIndex((b, i) => i > scanStart(rst) && b === 0xff && swapped[i + 1] === 0xd1);
  swapped[first + 1] = 0xd2;
  assert.ok(decodeJpegRegion(rst, 0, 0, 40, 40));
  assert.equal(decodeJpegRegion(swapped, 0, 0, 40, 40), undefined, 'RST2 where RST1 belongs');
});

test('decodeImage and decodeImageRegion give sharp\'s bytes through this decoder, and through sharp above its size limit', async () => {
  const sharp = await loadSharp();
  const small = read(path.join(LSPET, 'im00002.jpg'));
  const side = Math.ceil(Math.sqrt(OWN_JPEG_DECODE_MAX_PIXELS)) + 8;
  const large = new Uint8Array(await sharp(small).resize(side, side, { fit: 'fill' }).jpeg().toBuffer());
  for (const [what, bytes] of [['small', small], ['over the limit', large]] as const) {
    const [w, h] = frameSize(bytes);
    assert.equal(decodeJpegRegion(bytes, 0, 0, w, h) !== undefined, true, `${what}: a form the decoder reproduces`);
    const whole = await decodeImage(bytes);
    assert.deepEqual([whole.width, whole.height], [w, h]);
    assert.deepEqual(whole.data, await sharpRegion(sharp, bytes, [0, 0, w, h]), `${what}: decodeImage`);
    const box = [3, 5, Math.min(w, 120), Math.min(h, 90)] as const;
    const { image } = await decodeImageRegion(bytes, box);
    assert.deepEqual(image.data, await sharpRegion(sharp, bytes, box), `${what}: decodeImageRegion`);
  }
});

/** Our bytes equal sharp's, or we leave the file to sharp (undefined); never other bytes. */
async function sameOrLeft(sharp: typeof Sharp, bytes: Uint8Array, box: readonly [number, number, number, number], what: string): Promise<Uint8Array | undefined> {
  const mine = decodeJpegRegion(bytes, ...box);
  if (mine) assert.deepEqual(mine, await sharpRegion(sharp, bytes, box), `${what}: decoded, so sharp's bytes`);
  return mine;
}

/** Coefficients (zig-zag order) all zero but those given. */
const coefficients = (set: Record<number, number>) => Array.from({ length: 64 }, (_, k) => set[k] ?? 0);

test('the test writer\'s files decode to sharp\'s bytes when the coefficients are ordinary', async () => {
  const sharp = await loadSharp();
  for (const sampling of ['420', '444'] as const) {
    const spec: JpegSpec = { width: 37, height: 21, sampling, quant: new Array(64).fill(3), restartInterval: 2, block: (m, c, b) => coefficients({ 0: ((m * 7 + c * 13 + b * 5) % 80) - 40, 1: (m % 5) - 2, 2: c - 1, 9: b, 35: 3 }) };
    assert.ok(await sameOrLeft(sharp, writeJpeg(spec), [0, 0, 37, 21], `writer ${sampling}`), `writer ${sampling}: decoded here`);
  }
});

test('coefficients libjpeg-turbo\'s 16-bit SIMD transform would overflow are left to sharp, never decoded to other bytes', async () => {
  const sharp = await loadSharp();
  const cases: [string, Partial<JpegSpec> & Pick<JpegSpec, 'block'>][] = [
    ['DC 2047 × 5', { quant: new Array(64).fill(5), block: () => coefficients({ 0: 2047 }) }],
    ['AC 2047 × 8 at position 1', { quant: new Array(64).fill(8), block: () => coefficients({ 1: 2047 }) }],
    ['63 AC coefficients of 1200', { block: () => Array.from({ length: 64 }, (_, k) => (k === 0 ? 0 : 1200)) }],
    ['20 AC coefficients of 1200', { block: () => Array.from({ length: 64 }, (_, k) => (k > 0 && k <= 20 ? 1200 : 0)) }],
    ['DC adding up to 30705', { block: (m) => coefficients({ 0: Math.min(30705, 2047 * (m + 1)) }) }],
    ['a dequantised coefficient of 16384', { quant: new Array(64).fill(128), block: () => coefficients({ 0: 128, 5: 128 }) }],
    // Multiples of 65536: 16-bit products of 0 in libjpeg-turbo, 32-bit sums that wrap to small values here.
    ['dequantised 2^17, 2^17, -2^17, 10 x 2^16 in one column', { quant: new Array(64).fill(128), block: () => coefficients({ 0: 1024, 3: 1024, 10: -1024, 21: 5120 }) }],
    ['dequantised 2^18, 3 x 2^19, 2^19', { quant: new Array(64).fill(128), block: () => coefficients({ 0: 2048, 3: 6144, 21: 4096 }) }],
  ];
  for (const [what, spec] of cases) {
    const bytes = writeJpeg({ width: 64, height: 32, sampling: '444', ...spec });
    assert.equal(await sameOrLeft(sharp, bytes, [0, 0, 64, 32], what), undefined, `${what}: left to sharp`);
  }
  // Just inside the bounds: decoded, and sharp's bytes.
  const inside = writeJpeg({ width: 16, height: 8, sampling: '444', quant: new Array(64).fill(2), block: () => coefficients({ 0: 1500, 1: -600, 2: 300 }) });
  assert.ok(await sameOrLeft(sharp, inside, [0, 0, 16, 8], 'large but inside'), 'large but inside the bounds: decoded');
});

test('markers libjpeg reads otherwise, or refuses, before the scan are left to sharp', async () => {
  const sharp = await loadSharp();
  const block = () => coefficients({ 0: 10, 1: 3 });
  const base: JpegSpec = { width: 16, height: 16, sampling: '420', block };
  const redefineQuant = [0xff, 0xdb, 0, 67, 0x00, ...new Array(64).fill(9)];
  const cases: [string, number[]][] = [
    ['RST0 (no length) hiding a DQT', [0xff, 0xd0, 0x00, 0x43, ...redefineQuant.slice(4)]],
    ['TEM', [0xff, 0x01]],
    ['JPG (0xC8)', [0xff, 0xc8, 0, 2]],
    ['JPG0 (0xF0)', [0xff, 0xf0, 0, 2]],
    ['reserved 0x02', [0xff, 0x02, 0, 2]],
    ['a second SOI', [0xff, 0xd8]],
    ['progressive SOF2 beside SOF0', [0xff, 0xc2, 0, 2]],
  ];
  for (const [what, beforeScan] of cases) {
    const bytes = writeJpeg({ ...base, beforeScan });
    assert.ok('unsupported' in readJpegLayout(bytes), `${what}: the layout refuses it`);
    assert.equal(await sameOrLeft(sharp, bytes, [0, 0, 16, 16], what), undefined, what);
  }
  // What sharp refuses, decodeImage still refuses.
  await assert.rejects(decodeImage(writeJpeg({ ...base, beforeScan: [0xff, 0xc8, 0, 2] })), ImageDecodeError, 'JPG marker: refused as by sharp');
  // APPn and COM are read past.
  assert.ok(await sameOrLeft(sharp, writeJpeg({ ...base, beforeScan: [0xff, 0xe5, 0, 4, 1, 2, 0xff, 0xfe, 0, 3, 65] }), [0, 0, 16, 16], 'APP5 + COM'));
});

test('tables and sizes libjpeg refuses are left to sharp; megabytes after the data change nothing', async () => {
  const sharp = await loadSharp();
  const block = () => coefficients({ 0: 4 });
  // A DC table listing a symbol over 15 (never used): libjpeg refuses the table.
  const bogus = writeJpeg({ width: 16, height: 16, sampling: '444', block, dcSymbols: [...Array.from({ length: 16 }, (_, i) => i), 16] });
  assert.equal(decodeJpegRegion(bogus, 0, 0, 16, 16), undefined, 'DC symbol 16');
  await assert.rejects(sharpRegion(sharp, bogus, [0, 0, 16, 16]), 'sharp refuses it too');
  // A side over libjpeg-turbo's limit.
  const wide = writeJpeg({ width: 16, height: 16, sampling: '444', block });
  const sof = wide.findIndex((b, i) => b === 0xff && wide[i + 1] === 0xc0);
  wide.set([JPEG_MAX_DIMENSION >> 8, (JPEG_MAX_DIMENSION + 1) & 255], sof + 7);
  assert.match((readJpegLayout(wide) as { unsupported: string }).unsupported, /over 65500/);
  // 4 MB of comments between the data and EOI: the same bytes (the decoder copies only what the blocks can fill).
  const padded = writeJpeg({ width: 24, height: 16, sampling: '420', block });
  const comments: number[] = [];
  const big = new Uint8Array(padded.length - 2 + 64 * 65537 + 2).fill(0x41);
  big.set(padded.subarray(0, padded.length - 2));
  for (let i = 0, at = padded.length - 2; i < 64; i++, at += 65537) big.set([0xff, 0xfe, 0xff, 0xff], at);
  big.set([0xff, 0xd9], big.length - 2);
  assert.ok(await sameOrLeft(sharp, big, [0, 0, 24, 16], 'trailing comments'), 'trailing comments: decoded');
});

/** Width and height from the frame header (SOF0). */
function frameSize(b: Uint8Array): [number, number] {
  let i = 2;
  while (b[i + 1] !== 0xc0) i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  return [(b[i + 7]! << 8) | b[i + 8]!, (b[i + 5]! << 8) | b[i + 6]!];
}

/** Offset of the entropy-coded data: after the SOS segment. */
function scanStart(b: Uint8Array): number {
  let i = 2;
  while (b[i + 1] !== 0xda) i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  return i + 2 + ((b[i + 2]! << 8) | b[i + 3]!);
}
