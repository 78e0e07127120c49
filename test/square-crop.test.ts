/** Joint-centred square crops: exact at scale 1, black outside the image, bilinear in between. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropSquareInto, type RawImage } from '../data/transforms/square-crop.js';

const W = 20;
const H = 10;
const img: RawImage = { data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 7) % 256), width: W, height: H, channels: 3 };
const at = (x: number, y: number, ch: number) => img.data[(y * W + x) * 3 + ch]!;

test('side = size copies pixels (BGR planes), and black outside the image', () => {
  const s = 4;
  const out = new Float32Array(3 * s * s);
  cropSquareInto(img, 10, 5, s, s, 'bgr', out, 0); // covers x 8..11, y 3..6
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
    assert.equal(out[0 * s * s + y * s + x], at(8 + x, 3 + y, 2));
    assert.equal(out[2 * s * s + y * s + x], at(8 + x, 3 + y, 0));
  }
  const edge = new Float32Array(3 * s * s);
  cropSquareInto(img, 0, 0, s, s, 'rgb', edge, 0); // x −2..1, y −2..1
  assert.equal(edge[0], 0);
  assert.equal(edge[3 * s + 3], at(1, 1, 0));
});

test('upsampling by 2 interpolates between neighbours', () => {
  const out = new Float32Array(3 * 4 * 4);
  cropSquareInto(img, 10, 5, 2, 4, 'rgb', out, 0); // source x 9..10, y 4..5 at half-pixel steps
  const v = out[1 * 4 + 1]!; // output (1,1) samples source (9.25, 4.25)
  const want = 0.75 * 0.75 * at(9, 4, 0) + 0.25 * 0.75 * at(10, 4, 0) + 0.75 * 0.25 * at(9, 5, 0) + 0.25 * 0.25 * at(10, 5, 0);
  assert.ok(Math.abs(v - want) < 1e-9, `${v} vs ${want}`);
});
