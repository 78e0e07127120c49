/**
 * The WebAssembly GCN passes (data/transforms/planar-gcn-kernel.ts, which
 * the legacy crop uses: test/legacy-preprocessing.test.ts checks its tensors
 * against the legacy code's) against the JavaScript definition (planarGcn,
 * data/transforms/gcn.ts): the same float32
 * bits on random crops of both channel orders, odd sizes (an odd pixel
 * count leaves the kernel's histogram one pixel outside its pairs, a size
 * not a multiple of four leaves lookups outside its quads), flat and
 * two-valued images, the kernel's memory reused from large to small, and
 * the BAD CALL messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planarGcn } from '../data/transforms/gcn.js';
import { planarGcnKernel } from '../data/transforms/planar-gcn-kernel.js';
import { InvalidArgumentError } from '../core/errors.js';
import { randomImage, rng } from './helpers/random-image.js';

function compare(rgb: Uint8Array, size: number, order: 'bgr' | 'rgb', what: string): void {
  const want = new Int32Array(planarGcn(rgb, size, order).buffer);
  const gotValues = planarGcnKernel(rgb, size, order);
  const got = new Int32Array(gotValues.buffer, gotValues.byteOffset, gotValues.length);
  assert.equal(got.length, want.length, what);
  const i = want.findIndex((v, j) => got[j] !== v);
  assert.equal(i, -1, `${what}: value ${i} is ${gotValues[i]}, the JavaScript gives ${new Float32Array(want.buffer)[i]}`);
}

test('random crops: the same float32 bits as planarGcn (120 cases, both channel orders)', () => {
  const rnd = rng(33);
  for (let t = 0; t < 120; t++) {
    const size = [220, 1, 2, 3, 5, 7, 33, 219][t % 8]!;
    // Some images from few values: long runs of equal bytes, the histogram's hard case.
    const values = t % 3 === 0 ? [0, 17, 255] : undefined;
    const img = randomImage(rnd, size, size, 3, values);
    compare(img.data, size, t % 2 === 0 ? 'bgr' : 'rgb', `case ${t}: ${size}×${size}${values ? ' (3 values)' : ''}`);
  }
});

test('a flat crop (std 0: the epsilon alone) and memory reused from a large crop to a small one', () => {
  compare(new Uint8Array(3 * 64 * 64).fill(128), 64, 'bgr', 'flat grey');
  const rnd = rng(5);
  compare(randomImage(rnd, 400, 400, 3).data, 400, 'rgb', 'large');
  compare(randomImage(rnd, 9, 9, 3).data, 9, 'bgr', 'small after large');
});

test('channel order: BGR puts the blue bytes in plane 0', () => {
  // Red 10, green 20, blue 30 everywhere but one pixel: each plane has its own mean.
  const rgb = new Uint8Array(3 * 16);
  for (let i = 0; i < 16; i++) rgb.set(i === 0 ? [200, 100, 0] : [10, 20, 30], 3 * i);
  const bgr = planarGcnKernel(rgb, 4, 'bgr');
  const inRgb = planarGcnKernel(rgb, 4, 'rgb');
  // Pixel 0 is below its plane's mean only in the blue plane.
  assert.ok(bgr[0]! < 0 && bgr[16]! > 0 && bgr[32]! > 0, `BGR pixel 0: ${bgr[0]}, ${bgr[16]}, ${bgr[32]}`);
  assert.ok(inRgb[0]! > 0 && inRgb[16]! > 0 && inRgb[32]! < 0, `RGB pixel 0: ${inRgb[0]}, ${inRgb[16]}, ${inRgb[32]}`);
  // The same blue plane either way, in plane 0 or plane 2.
  assert.deepEqual(bgr.subarray(0, 16), inRgb.subarray(32, 48));
});

test('BAD CALL: too few bytes or too small an output is refused with InvalidArgumentError', () => {
  assert.throws(() => planarGcnKernel(new Uint8Array(10), 2, 'bgr'), (e: unknown) => e instanceof InvalidArgumentError && /^rgb: expected at least 12 bytes \(2×2 RGB\), found /.test(e.message));
  assert.throws(() => planarGcnKernel(new Uint8Array(12), 2, 'bgr', new Float32Array(11)), (e: unknown) => e instanceof InvalidArgumentError && /^out: expected a Float32Array of at least 3×2×2 values, found /.test(e.message));
});
