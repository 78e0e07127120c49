/** Worker-thread batch iterators: identical batches whatever the thread count, epochs, prefetch bound, errors, close. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDataset, type PoseDataset } from '../data/dataset.js';
import { SampleLoadError } from '../data/dataset-errors.js';
import { InvalidArgumentError } from '../core/errors.js';
import { createBatchIterator, type IteratorOptions, type PoseBatch } from '../data/iterator.js';
import { decodeImage } from '../data/image.js';
import { decodeJoints, jointsBox, legacyCropBox, preprocessCrop } from '../data/transforms/legacy.js';
import { FIXTURES, scratch } from './helpers/paths.js';

const LSPET = path.join(FIXTURES, 'lspet');
const train = await openDataset(LSPET, 'legacy-train');

async function take(d: PoseDataset, o: IteratorOptions, n = Infinity): Promise<PoseBatch[]> {
  const it = createBatchIterator(d, o);
  const out: PoseBatch[] = [];
  try {
    for await (const b of it) {
      assert.ok(it.pendingBatches <= it.prefetch, 'never more batches pending than prefetch');
      out.push(b);
      if (out.length >= n) break;
    }
  } finally {
    await it.close();
  }
  return out;
}

function same(a: PoseBatch[], b: PoseBatch[], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => {
    const y = b[i]!;
    assert.deepEqual(x.names, y.names, `${what} batch ${i} names`);
    assert.ok(Buffer.from(x.x.buffer, x.x.byteOffset, x.x.byteLength).equals(Buffer.from(y.x.buffer, y.x.byteOffset, y.x.byteLength)), `${what} batch ${i} x`);
    assert.deepEqual(x.jointsNorm, y.jointsNorm, `${what} batch ${i} jointsNorm`);
    assert.deepEqual(x.visible, y.visible);
    assert.deepEqual(x.cropBoxes, y.cropBoxes);
  });
}

test('evaluation: one pass in split order, the legacy crop, same batches with 0, 1 and 2 threads', async () => {
  const o = { batchSize: 5, mode: 'eval' } as const;
  const inThread = await take(train, { ...o, threads: 0 });
  assert.deepEqual(inThread.map((b) => b.size), [5, 5, 5, 1]);
  assert.deepEqual(inThread.flatMap((b) => b.names), train.samples.map((s) => s.image));
  const b0 = inThread[0]!;
  assert.equal(b0.x.length, 5 * 3 * 220 * 220);
  assert.equal(b0.jointsNorm.length, 5 * 14 * 2);
  // Sample 0 is exactly the inference path's preprocessing.
  const s = train.samples[0]!;
  const img = await decodeImage(new Uint8Array(readFileSync(s.imagePath)));
  const box = legacyCropBox(jointsBox(s.jointsPx, s.visible)!, img.width, img.height);
  assert.deepEqual(Array.from(b0.cropBoxes.subarray(0, 4)), box);
  const ref = await preprocessCrop({ encoded: new Uint8Array(readFileSync(s.imagePath)), width: img.width, height: img.height }, box, { size: 220, channels: 'bgr' });
  assert.deepEqual(b0.x.subarray(0, ref.length), ref);
  // Targets decode back to the original joints through the batch's crop box.
  decodeJoints(b0.jointsNorm.subarray(0, 28), box, 220).forEach(([x, y], k) => {
    assert.ok(Math.abs(x - s.jointsPx[k]![0]) < 1e-3 && Math.abs(y - s.jointsPx[k]![1]) < 1e-3, `joint ${k}`);
    assert.equal(b0.jointsPx[2 * k], s.jointsPx[k]![0]);
  });
  same(inThread, await take(train, { ...o, threads: 1 }), '1 thread');
  same(inThread, await take(train, { ...o, threads: 2, prefetch: 1 }), '2 threads');
});

test('training: shuffled endless epochs, seeded augmentation, same batches with 1 and 2 threads', async () => {
  const o = { batchSize: 5, mode: 'train', repeat: true, seed: 11 } as const;
  const one = await take(train, { ...o, threads: 1 }, 5);
  const two = await take(train, { ...o, threads: 2, prefetch: 3 }, 5);
  same(one, two, 'train');
  const firstEpoch = one.flatMap((b) => Array.from(b.indices)).slice(0, 16);
  assert.deepEqual([...firstEpoch].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i), 'epoch 0 is a permutation');
  assert.notDeepEqual(firstEpoch, Array.from({ length: 16 }, (_, i) => i), 'shuffled');
  assert.equal(one[3]!.epoch, 0);
  assert.equal(one[4]!.epoch, 1);
  const other = await take(train, { ...o, seed: 12, threads: 0 }, 1);
  assert.notDeepEqual(other[0]!.names, one[0]!.names);
  // Targets of flipped/rotated samples still lie around the crop centre.
  for (const b of one) b.jointsNorm.forEach((v, i) => assert.ok(!b.visible[i >> 1] || Math.abs(v) < 1, `target ${v}`));
});

test('a corrupt or missing image fails with its path, or is skipped and counted', async () => {
  const { dir, cleanup } = scratch();
  try {
    cpSync(LSPET, dir, { recursive: true });
    const bad = path.join(dir, 'images', 'im00006.jpg');
    writeFileSync(bad, readFileSync(bad).subarray(0, 600));
    rmSync(path.join(dir, 'images', 'im00009.jpg'));
    const d = await openDataset(dir, 'legacy-train');
    for (const mode of ['eval', 'train'] as const) {
      await assert.rejects(take(d, { batchSize: 4, mode, threads: 1 }), (e) => e instanceof SampleLoadError && e.imagePath === bad && e.message.startsWith(`${bad}: `) && /(corrupt or truncated|not a readable) image/.test(e.message));
    }
    await assert.rejects(take({ ...d, samples: d.samples.filter((s) => s.image === 'im00009.jpg') }, { batchSize: 4, mode: 'eval', threads: 0 }),
      (e) => e instanceof SampleLoadError && /im00009\.jpg: cannot read image \(file not found\)/.test(e.message));
    const it = createBatchIterator(d, { batchSize: 4, mode: 'eval', threads: 2, onError: 'skip' });
    let n = 0;
    for await (const b of it) n += b.size;
    assert.equal(n, 14);
    assert.equal(it.skippedCount, 2);
    assert.deepEqual(it.skipped.map((s) => path.basename(s.imagePath)).sort(), ['im00006.jpg', 'im00009.jpg']);
    await it.close();
  } finally {
    cleanup();
  }
});

test('close() ends the iterator early and twice is fine; BAD CALL options', async () => {
  const it = createBatchIterator(train, { batchSize: 2, mode: 'train', repeat: true, threads: 2 });
  await it.next();
  await it.close();
  await it.close();
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  assert.throws(() => createBatchIterator(train, { batchSize: 0, mode: 'eval' }), (e) => e instanceof InvalidArgumentError && /^batchSize: expected a positive integer, found 0$/.test(e.message));
  assert.throws(() => createBatchIterator(train, { batchSize: 2, mode: 'eval', onError: 'ignore' as 'skip' }), (e) => e instanceof InvalidArgumentError && /^onError: expected "fail" or "skip", found "ignore"$/.test(e.message));
});
