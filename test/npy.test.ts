/** The .npy reader: dtypes, byte order, Fortran order, round trip through the writer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNpy, parseNpy } from '../model/io/npy.js';
import { rawNpy } from './helpers/zip.js';

test('big-endian float32 is read correctly', () => {
  const be = Buffer.alloc(8);
  be.writeFloatBE(1.5, 0);
  be.writeFloatBE(-2.25, 4);
  const a = parseNpy(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be), 'be.npy');
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(Array.from(a.data as Float32Array), [1.5, -2.25]);
});

test('Fortran-order arrays come back in C order', () => {
  // The 2×3 matrix [[1,2,3],[4,5,6]] stored column by column.
  const f = new Float64Array([1, 4, 2, 5, 3, 6]);
  const a = parseNpy(rawNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(f.buffer)), 'f.npy');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data as Float64Array), [1, 2, 3, 4, 5, 6]);
});

test('big-endian Fortran-order int32', () => {
  const b = Buffer.alloc(16);
  [1, 3, 2, 4].forEach((v, i) => b.writeInt32BE(v, i * 4));
  const a = parseNpy(rawNpy("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 2), }", b), 'i.npy');
  assert.deepEqual(Array.from(a.data as Int32Array), [1, 2, 3, 4]);
});

test('scalars, int64 and unicode arrays', () => {
  const s = parseNpy(rawNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new Uint8Array(new BigInt64Array([7n]).buffer)), 's.npy');
  assert.deepEqual(s.shape, []);
  assert.equal((s.data as BigInt64Array)[0], 7n);
  const u = new Uint32Array(6);
  [...'ab'].forEach((c, i) => (u[i] = c.codePointAt(0)!));
  [...'xyz'].forEach((c, i) => (u[3 + i] = c.codePointAt(0)!));
  const t = parseNpy(rawNpy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(u.buffer)), 'u.npy');
  assert.deepEqual(t.data, ['ab', 'xyz']);
});

test('encode → parse round trip keeps dtype, shape and values', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  const bytes = Buffer.concat(encodeNpy({ dtype: 'float32', shape: [2, 3, 4], data }));
  assert.equal((bytes.indexOf(0x0a) + 1) % 64, 0, 'header padded to 64 bytes like numpy');
  const back = parseNpy(bytes, 'r.npy');
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
});

test('not an npy at all', () => {
  assert.throws(() => parseNpy(Buffer.from('hello world, not numpy'), 'x.npy'), (e: Error) => /x\.npy: not a \.npy array/.test(e.message));
});
