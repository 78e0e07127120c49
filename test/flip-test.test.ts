/** The flip test's pure parts: mirroring planar crops and merging a mirrored prediction back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKELETONS } from '../data/skeletons.js';
import { mergeFlipped, mirrorPlanar } from '../model/flip-test.js';

test('mirrorPlanar reverses every row of every channel of every image', () => {
  const s = 3;
  const x = Float32Array.from({ length: 2 * 3 * s * s }, (_, i) => i);
  const m = mirrorPlanar(x, s);
  assert.deepEqual(Array.from(m.subarray(0, 3)), [2, 1, 0]);
  assert.deepEqual(Array.from(m.subarray(27, 30)), [29, 28, 27]);
  assert.deepEqual(mirrorPlanar(m, s), x);
});

test('mergeFlipped: a mirrored prediction that is the exact mirror of the direct one merges to the direct one; left and right swap', () => {
  const sk = SKELETONS.lsp14;
  const k = sk.joints.length;
  const size = 220;
  const y = Float32Array.from({ length: 2 * k }, (_, i) => (i % 2 === 0 ? -0.3 + 0.04 * i : 0.1 - 0.01 * i));
  // What a perfectly mirror-equivariant network would output on the mirrored crop.
  const yMirrored = new Float32Array(2 * k);
  const other = (i: number) => { for (const [a, b] of sk.flipPairs) { if (a === i) return b; if (b === i) return a; } return i; };
  for (let i = 0; i < k; i++) {
    yMirrored[2 * other(i)] = -y[2 * i]! - 1 / size;
    yMirrored[2 * other(i) + 1] = y[2 * i + 1]!;
  }
  const merged = mergeFlipped(y, yMirrored, sk, size);
  merged.forEach((v, i) => assert.ok(Math.abs(v - y[i]!) < 1e-6, `value ${i}: ${v} vs ${y[i]}`));
  // With the mirrored half all zero, joint 0 (right ankle) takes its x from the left ankle's slot.
  const half = mergeFlipped(y, Float32Array.from({ length: 2 * k }, (_, i) => (i === 2 * 5 ? 0.2 : 0)), sk, size);
  assert.ok(Math.abs(half[0]! - (y[0]! + (-0.2 - 1 / size)) / 2) < 1e-7);
  assert.ok(Math.abs(half[1]! - y[1]! / 2) < 1e-7);
});
