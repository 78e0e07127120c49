/**
 * The WebAssembly legacy resize (data/transforms/cv-resize-simd.ts) against
 * the JavaScript one (cvResizeLinear, itself checked against OpenCV's own
 * output in test/legacy-preprocessing.test.ts): the same bytes on random
 * images and crop boxes (up- and downsampling, RGB and RGBA, output sizes
 * whose rows end in OpenCV's scalar tail, non-square outputs, boxes
 * reaching the right and bottom edges), on the kernel's route and on the
 * JavaScript routes (an exact 2× reduction, a box far larger than the
 * output, a box that is not whole pixels inside the image).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cvResizeLinear } from '../data/transforms/cv-resize.js';
import { cvResizeLinearSimd } from '../data/transforms/cv-resize-simd.js';
import type { RawImage } from '../data/transforms/square-crop.js';
import { randomImage, rng } from './helpers/random-image.js';



function compare(img: RawImage, box: [number, number, number, number], dstW: number, dstH: number, what: string): void {
  const want = cvResizeLinear(img, box, dstW, dstH);
  const got = cvResizeLinearSimd(img, box, dstW, dstH);
  const i = want.findIndex((v, j) => got[j] !== v);
  assert.equal(i, -1, `${what}: byte ${i} is ${got[i]}, the JavaScript resize gives ${want[i]}`);
  assert.equal(got.length, want.length);
}

test('random crop boxes: the same bytes as the JavaScript resize (400 cases)', () => {
  const rnd = rng(21);
  for (let t = 0; t < 400; t++) {
    const width = 2 + Math.floor(rnd() * 400);
    const height = 2 + Math.floor(rnd() * 400);
    const img = randomImage(rnd, width, height, rnd() < 0.25 ? 4 : 3);
    const x0 = Math.floor(rnd() * (width - 1));
    const y0 = Math.floor(rnd() * (height - 1));
    // A third of the boxes reach the right and bottom edges (what legacyCropBox's clipping gives most often).
    const toEdge = t % 3 === 0;
    const box: [number, number, number, number] = [x0, y0, toEdge ? width : x0 + 1 + Math.floor(rnd() * (width - x0)), toEdge ? height : y0 + 1 + Math.floor(rnd() * (height - y0))];
    const dstW = [220, 219, 7, 1, 2, 3, 33][t % 7]!;
    const dstH = t % 5 === 0 ? dstW + 4 : dstW;
    compare(img, box, dstW, dstH, `case ${t}: ${width}×${height}×${img.channels} box ${box.join(',')} → ${dstW}×${dstH}`);
  }
});

test('a legacy crop (box 1.5× a person, 290×310 image → 220×220), then the JavaScript routes: exact 2× and a huge box', () => {
  const rnd = rng(4);
  const img = randomImage(rnd, 290, 310, 3);
  compare(img, [12, 0, 287, 301], 220, 220, 'legacy crop');
  compare(img, [10, 10, 230, 230], 110, 110, 'exact 2× reduction');
  const big = randomImage(rnd, 1200, 900, 3);
  compare(big, [0, 0, 1200, 900], 40, 30, 'box 900× the output');
  // And the kernel's memory reused after that: a small crop is not affected by what the large one left.
  compare(img, [100, 120, 180, 200], 220, 220, 'small crop after large');
});

test('a box that is not whole pixels inside the image gives what the JavaScript gives', () => {
  const rnd = rng(8);
  const img = randomImage(rnd, 40, 30, 3);
  compare(img, [-2, 0, 20, 20], 16, 16, 'left of the image');
  compare(img, [0, -1, 20, 20], 16, 16, 'above the image');
  compare(img, [1.5, 0, 21, 20], 16, 16, 'fractional left edge');
});
