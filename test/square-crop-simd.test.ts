/**
 * The WebAssembly joint crop (data/transforms/square-crop-simd.ts) against
 * the JavaScript definition (cropSquareGcnInto): the same float32 values to
 * the bit, on random images and crops (inside, across and outside the
 * border, RGB and RGBA, BGR and RGB order, even and odd sizes), on the
 * route through the kernel and the route a huge window takes
 * (test/wasm-kernels.test.ts checks the embedded bytes against the .wat).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropSquareGcnInto, type RawImage } from '../data/transforms/square-crop.js';
import { randomImage, rng } from './helpers/random-image.js';
import { cropSquareGcnSimd } from '../data/transforms/square-crop-simd.js';



/**
 * Index of the first value whose bits differ, or -1. Two NaNs count as the
 * same: a NaN's sign and payload bits are not fixed by the arithmetic (this
 * test failed now and then on a NaN against a NaN with other bits, the
 * JavaScript's depending on how V8 compiled it), and no caller can tell
 * NaNs apart.
 */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function compare(img: RawImage, cx: number, cy: number, side: number, size: number, order: 'bgr' | 'rgb', what: string): void {
  const offset = 7;
  const want = new Float32Array(offset + 3 * size * size + 3).fill(-9);
  const got = new Float32Array(offset + 3 * size * size + 3).fill(-9);
  cropSquareGcnInto(img, cx, cy, side, size, order, want, offset);
  cropSquareGcnSimd(img, cx, cy, side, size, order, got, offset);
  const i = firstDifference(want, got);
  assert.equal(i, -1, `${what}: value ${i} is ${got[i]}, the JavaScript crop gives ${want[i]}`);
}

test('random crops: the same float32 bits as the JavaScript crop (300 cases, both routes)', () => {
  const rnd = rng(11);
  for (let t = 0; t < 300; t++) {
    const width = 8 + Math.floor(rnd() * 300);
    const height = 8 + Math.floor(rnd() * 300);
    const img = randomImage(rnd, width, height, rnd() < 0.25 ? 4 : 3);
    const size = [220, 219, 64, 5, 2, 1][t % 6]!;
    const cx = rnd() * width * 1.6 - width * 0.3;
    const cy = rnd() * height * 1.6 - height * 0.3;
    const side = 1 + rnd() * Math.max(width, height) * 1.3;
    compare(img, cx, cy, side, size, rnd() < 0.5 ? 'bgr' : 'rgb', `case ${t}: ${width}×${height}×${img.channels}, centre ${cx.toFixed(2)},${cy.toFixed(2)} side ${side.toFixed(2)} → ${size}`);
  }
});

test('the kernel route: a joint crop upsampled inside the image, across its corner, and wholly outside it (all zeros → GCN of zeros)', () => {
  const rnd = rng(5);
  const img = randomImage(rnd, 290, 310, 3);
  compare(img, 150.3, 160.7, 120.5, 220, 'bgr', 'inside');
  compare(img, 3.2, 300.9, 140, 220, 'bgr', 'across the corner');
  compare(img, -500, -500, 100, 220, 'rgb', 'outside');
  const outside = new Float32Array(3 * 220 * 220);
  cropSquareGcnSimd(img, -500, -500, 100, 220, 'rgb', outside, 0);
  assert.ok(outside.every((v) => v === 0), 'a crop wholly outside the image is all zeros');
});

test('the JavaScript route for a window far larger than the crop (a big photo downsampled) gives the same values', () => {
  const rnd = rng(3);
  const img = randomImage(rnd, 900, 700, 3);
  compare(img, 450, 350, 880, 16, 'bgr', 'downsampled 55×');
});

test('a crop right after one from a larger image (the kernel memory reused) is not affected by what that left behind', () => {
  const rnd = rng(9);
  const big = randomImage(rnd, 400, 400, 4);
  const small = randomImage(rnd, 30, 40, 3);
  compare(big, 200, 200, 380, 220, 'bgr', 'large window');
  compare(small, 25, 35, 30, 220, 'bgr', 'small window across the border after it');
});

test('a centre or side that is not a number gives what the JavaScript gives (no exception)', () => {
  const rnd = rng(2);
  const img = randomImage(rnd, 60, 50, 3);
  compare(img, Number.NaN, 20, 30, 64, 'bgr', 'cx NaN');
  compare(img, 20, Number.NaN, 30, 64, 'bgr', 'cy NaN');
  compare(img, 20, 20, Number.NaN, 64, 'bgr', 'side NaN');
  compare(img, Number.POSITIVE_INFINITY, 20, 30, 64, 'bgr', 'cx infinite');
});
