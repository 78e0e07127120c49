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
import { decodeImage, decodeImageRegion, OWN_JPEG_DECODE_MAX_PIXELS } from '../data/image.js';
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
