/**
 * The optimised-graph session cache (model/runtime/session-cache.ts): the
 * first session of a model writes its optimised graph, later ones open it,
 * and the outputs are the same to the bit as a session opened without the
 * cache; a damaged or foreign entry is rebuilt, never used; a changed model
 * file gets a new entry.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpointToFile } from '../model/convert.js';
import { OrtModel } from '../model/runtime/ort.js';
import { CHAINER, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const cacheDir = path.join(tmp.dir, 'sessions');
const entries = () => readdirSync(cacheDir).filter((f) => f.endsWith('.ort')).sort();

async function outputs(model: OrtModel, x: Float32Array, n: number): Promise<Float32Array> {
  const y = await model.run({ x: { data: x.slice(), dims: [n, 3, 220, 220] } });
  return y.y!.data;
}

test('the session cache opens the optimised graph and gives the same outputs to the bit; a damaged entry is rebuilt', async () => {
  const onnx = path.join(tmp.dir, 'alexnet.onnx');
  await convertCheckpointToFile(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), onnx);
  const n = 2;
  const x = Float32Array.from({ length: n * 3 * 220 * 220 }, (_, i) => Math.sin(i * 0.37) * 1.5);
  const plain = await OrtModel.load(onnx, 'plain', { lrn: 'band' });
  const expected = await outputs(plain, x, n);
  await plain.close();

  const first = await OrtModel.load(onnx, 'first', { lrn: 'band', sessionCacheDir: cacheDir });
  assert.deepEqual(await outputs(first, x, n), expected);
  await first.close();
  assert.equal(entries().length, 1);
  const entry = path.join(cacheDir, entries()[0]!);
  const written = readFileSync(entry);

  const cached = await OrtModel.load(onnx, 'cached', { lrn: 'band', sessionCacheDir: cacheDir });
  assert.deepEqual(await outputs(cached, x, n), expected);
  await cached.close();
  assert.deepEqual(readFileSync(entry), written, 'a usable entry is not rewritten');

  // Damaged (its stamp no longer matches the record): rebuilt whole, same outputs.
  writeFileSync(entry, written.subarray(0, 1000));
  const rebuilt = await OrtModel.load(onnx, 'rebuilt', { lrn: 'band', sessionCacheDir: cacheDir });
  assert.deepEqual(await outputs(rebuilt, x, n), expected);
  await rebuilt.close();
  assert.equal(readFileSync(entry).length, written.length);

  // The other LRN form and a changed model file are other entries.
  const onnxForm = await OrtModel.load(onnx, 'onnx-lrn', { lrn: 'onnx', sessionCacheDir: cacheDir });
  await onnxForm.close();
  assert.equal(entries().length, 2);
  const copy = path.join(tmp.dir, 'copy.onnx');
  copyFileSync(onnx, copy);
  const other = await OrtModel.load(copy, 'copy', { lrn: 'band', sessionCacheDir: cacheDir });
  assert.deepEqual(await outputs(other, x, n), expected);
  await other.close();
  assert.equal(entries().length, 3);
});

test('sessions opened without pre-packed weights give the same outputs to float rounding', async () => {
  const onnx = path.join(tmp.dir, 'alexnet-prepack.onnx');
  await convertCheckpointToFile(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), onnx);
  const n = 2;
  const x = Float32Array.from({ length: n * 3 * 220 * 220 }, (_, i) => Math.cos(i * 0.11));
  const packed = await OrtModel.load(onnx, 'packed', { lrn: 'band', sessionCacheDir: cacheDir });
  const unpacked = await OrtModel.load(onnx, 'unpacked', { lrn: 'band', sessionCacheDir: cacheDir, prepackWeights: false });
  try {
    const [a, b] = [await outputs(packed, x, n), await outputs(unpacked, x, n)];
    const scale = Math.max(...Array.from(a, Math.abs));
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * Math.max(1, scale), `output ${i}: ${v} vs ${b[i]}`));
  } finally {
    await packed.close();
    await unpacked.close();
  }
});
