/** MATLAB 5 reader and joints.mat: the real LSPET file, both orientations, both byte orders, and bad files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MatFileError } from '../data/dataset-errors.js';
import { readMat5 } from '../data/mat.js';
import { jointsMatIndex, parseJointsMat, readJointsMat } from '../data/lsp-joints.js';
import { parseLegacyCsv } from '../data/legacy-csv.js';
import { writeMat5 } from './helpers/mat5.js';
import { FIXTURES, scratch } from './helpers/paths.js';

const LSPET = path.join(FIXTURES, 'lspet');

test('the real LSPET joints.mat (compressed element): 14×3×10000, values equal the legacy CSV, visibility from column 3', async () => {
  const t = await readJointsMat(path.join(LSPET, 'joints.mat'));
  assert.equal(t.layout, 'lspet');
  assert.equal(t.count, 10000);
  const rows = parseLegacyCsv(readFileSync(path.join(LSPET, 'splits', 'legacy-train.csv'), 'utf8'));
  let compared = 0;
  for (const r of rows) {
    const n = jointsMatIndex(r.image)!;
    r.jointsPx.forEach(([x, y], k) => {
      if (!r.visible[k]) return;
      assert.equal(t.jointsPx[(n * 14 + k) * 2], x, `${r.image} joint ${k} x`);
      assert.equal(t.jointsPx[(n * 14 + k) * 2 + 1], y, `${r.image} joint ${k} y`);
      compared++;
    });
  }
  assert.ok(compared > 150);
  // im00005: joints 2, 6, 7, 8 are not annotated (junk x = 0, y = −27.29).
  const vis = Array.from(t.visible.subarray(4 * 14, 5 * 14)).join('');
  assert.equal(vis, '11011100011111');
  assert.ok(Math.abs(t.jointsPx[(4 * 14 + 2) * 2 + 1]! + 27.293) < 1e-3);
});

test('LSP orientation 3×14×N, uncompressed and big-endian files read the same values', () => {
  const N = 2;
  const data: number[] = [];
  // Column-major 3×14×N: element (c, k, n) at c + 3·(k + 14·n).
  for (let n = 0; n < N; n++) for (let k = 0; k < 14; k++) data.push(10 * k + n, 100 + k, n);
  for (const opts of [{ compress: false }, { compress: true }, { compress: false, littleEndian: false }]) {
    const t = parseJointsMat(writeMat5([{ name: 'joints', dims: [3, 14, N], data }], opts));
    assert.equal(t.layout, 'lsp');
    assert.equal(t.count, N);
    assert.deepEqual([t.jointsPx[(1 * 14 + 5) * 2], t.jointsPx[(1 * 14 + 5) * 2 + 1]], [51, 105]);
    assert.ok(t.visible.every((v) => v === 1), 'every LSP joint is annotated');
  }
});

test('several variables and classes: names and dims reported', () => {
  const m = readMat5(writeMat5([{ name: 'a', dims: [1, 3], data: [1, 2, 3] }, { name: 'joints', dims: [14, 3], data: new Array(42).fill(1) }], { compress: true }));
  assert.deepEqual([...m.variables.keys()], ['a', 'joints']);
  assert.deepEqual(Array.from(m.variables.get('a')!.data!), [1, 2, 3]);
  assert.equal(m.variables.get('joints')!.className, 'double');
});

test('BAD CALL: no "joints" variable names what was found', () => {
  const bytes = writeMat5([{ name: 'poses', dims: [14, 3, 1], data: new Array(42).fill(0) }]);
  assert.throws(() => parseJointsMat(bytes, 'x.mat'), (e) => e instanceof MatFileError && /x\.mat: no variable "joints" \(found "poses"\)/.test(e.message));
});

test('BAD CALL: a v7.3 (HDF5) MAT-file is refused as such', async () => {
  const { dir, cleanup } = scratch();
  try {
    const header = Buffer.alloc(600, 0);
    header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .', 0, 'latin1');
    Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 512);
    const file = path.join(dir, 'joints.mat');
    writeFileSync(file, header);
    await assert.rejects(readJointsMat(file), (e) => e instanceof MatFileError && /joints\.mat: a MATLAB v7\.3 MAT-file \(HDF5 inside\) is not supported/.test(e.message));
  } finally {
    cleanup();
  }
});

test('BAD CALL: wrong shape, truncated file, not a MAT-file, missing file', async () => {
  assert.throws(() => parseJointsMat(writeMat5([{ name: 'joints', dims: [2, 14, 1], data: new Array(28).fill(0) }]), 'w.mat'),
    (e) => e instanceof MatFileError && /w\.mat: variable "joints" has shape 2×14×1, expected 3×14×N \(LSP\) or 14×3×N \(LSPET\)/.test(e.message));
  const good = readFileSync(path.join(LSPET, 'joints.mat'));
  assert.throws(() => readMat5(good.subarray(0, 5000), 't.mat'), (e) => e instanceof MatFileError && /t\.mat: data element at byte 128 \(type 15\) claims \d+ bytes but only 4864 remain; the file is truncated/.test(e.message));
  assert.throws(() => readMat5(Buffer.alloc(200, 0x41), 'a.mat'), (e) => e instanceof MatFileError && /a\.mat: not a MATLAB 5 MAT-file/.test(e.message));
  await assert.rejects(readJointsMat('/nonexistent/joints.mat'), (e) => e instanceof MatFileError && /\/nonexistent\/joints\.mat: cannot read \(ENOENT\)/.test(e.message));
});
