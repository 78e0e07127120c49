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

/** The direct form, one output pixel at a time (zero outside the image): what the separable crop must equal exactly. */
function directCrop(im: RawImage, cx: number, cy: number, side: number, size: number, out: Float32Array): void {
  const px = (x: number, y: number, ch: number) => (x < 0 || y < 0 || x >= im.width || y >= im.height ? 0 : im.data[(y * im.width + x) * im.channels + ch]!);
  const scale = side / size;
  for (let oy = 0; oy < size; oy++) for (let ox = 0; ox < size; ox++) {
    const sx = cx - side / 2 + (ox + 0.5) * scale - 0.5;
    const sy = cy - side / 2 + (oy + 0.5) * scale - 0.5;
    const xA = Math.floor(sx);
    const yA = Math.floor(sy);
    const fx = sx - xA;
    const fy = sy - yA;
    for (let c = 0; c < 3; c++) {
      const ch = 2 - c; // BGR planes
      const top = px(xA, yA, ch) + fx * (px(xA + 1, yA, ch) - px(xA, yA, ch));
      const bottom = px(xA, yA + 1, ch) + fx * (px(xA + 1, yA + 1, ch) - px(xA, yA + 1, ch));
      out[c * size * size + oy * size + ox] = top + fy * (bottom - top);
    }
  }
}

test('the separable crop equals the direct form bit for bit: up- and downsampling, inside, across and outside the borders, RGBA input', () => {
  const rgba: RawImage = { data: Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 13 + 5) % 256), width: W, height: H, channels: 4 };
  const cases: [RawImage, number, number, number, number][] = [
    [img, 10, 5, 4, 4], [img, 10.3, 4.7, 3.1, 9], [img, 0, 0, 12, 7], [img, 19.5, 9.5, 6, 11],
    [img, 10, 5, 40, 16], [img, -30, -30, 8, 5], [img, 7.25, 2.5, 17.3, 23], [rgba, 9, 4, 7.5, 13],
  ];
  for (const [im, cx, cy, side, size] of cases) {
    const got = new Float32Array(3 * size * size + 5).fill(-1);
    const want = new Float32Array(3 * size * size);
    cropSquareInto(im, cx, cy, side, size, 'bgr', got, 5);
    directCrop(im, cx, cy, side, size, want);
    assert.deepEqual([...got.subarray(5)], [...want], `crop at ${cx},${cy} side ${side} → ${size}`);
    assert.deepEqual([...got.subarray(0, 5)], [-1, -1, -1, -1, -1], 'writes nothing before offset');
  }
});
