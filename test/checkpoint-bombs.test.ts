/**
 * Checkpoint bombs: an npz entry is checked against the architecture and the
 * zip's declared sizes from its `.npy` header before its payload is
 * inflated, and inflation stops at the declared size; duplicate entry names
 * are refused by name.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants as zc, crc32, deflateRawSync } from 'node:zlib';
import { inspectCheckpoint } from '../model/checkpoint/inspect.js';
import { convertCheckpointToFile } from '../model/convert.js';
import { ShapeMismatchError, UnusedWeightsError } from '../model/errors.js';
import { Hdf5FormatError } from '../model/io/hdf5.js';
import { encodeNpy, type NdArray } from '../model/io/npy.js';
import { NpzFormatError, readNpz } from '../model/io/npz.js';
import { CHAINER, scratch } from './helpers/paths.js';
import { rawZip } from './helpers/zip.js';

const tmp = scratch();
after(tmp.cleanup);

interface RawEntry { name: string; compressed: Uint8Array; crc: number; size: number }

/** A zip of deflated entries whose compressed bytes, CRC and declared size are given as they are (may lie). */
function zipOf(entries: readonly RawEntry[]): Buffer {
  return rawZip(entries.map((e) => ({ name: e.name, stored: e.compressed, method: 8, crc: e.crc, size: e.size })));
}

function honest(key: string, a: NdArray): RawEntry {
  const data = Buffer.concat(encodeNpy(a));
  return { name: `${key}.npy`, compressed: deflateRawSync(data), crc: crc32(data) >>> 0, size: data.length };
}

async function bareAlexNet(): Promise<Map<string, NdArray>> {
  return readNpz(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'));
}

let n = 0;
async function failsCleanly(zip: Buffer, check: (e: unknown) => boolean): Promise<void> {
  const dir = path.join(tmp.dir, `case${n++}`);
  mkdirSync(dir);
  const file = path.join(dir, 'bomb.npz');
  writeFileSync(file, zip);
  await assert.rejects(convertCheckpointToFile(file, path.join(dir, 'm.onnx')), check);
  assert.deepEqual(readdirSync(dir), ['bomb.npz'], 'no output left behind');
}

test('a huge entry of the wrong shape is refused from its header, without inflating its payload', async () => {
  const arrays = await bareAlexNet();
  // fc6/W declares 4096×9216 (151 MB): a valid deflate start (header + zeros), then bytes that are not deflate at all.
  const header = encodeNpy({ dtype: 'float32', shape: [4096, 9216], data: new Float32Array(0) })[0]!;
  const start = deflateRawSync(Buffer.concat([header, Buffer.alloc(1 << 16)]), { finishFlush: zc.Z_SYNC_FLUSH });
  const bomb: RawEntry = { name: 'fc6/W.npy', compressed: Buffer.concat([start, Buffer.alloc(4096, 0xff)]), crc: 0, size: header.length + 4096 * 9216 * 4 };
  const entries = [...arrays].map(([k, a]) => (k === 'fc6/W' ? bomb : honest(k, a)));
  await failsCleanly(zipOf(entries), (e) => {
    assert.ok(e instanceof ShapeMismatchError, String(e));
    assert.match(e.message, /bomb\.npz: fc6\/W: expected 4096×1152 to match conv5 output 32×6×6, found 4096×9216/);
    return true;
  });
  // inspect lists the file from its headers, reads no payload, and names the problem.
  const file = path.join(tmp.dir, 'inspect-bomb.npz');
  writeFileSync(file, zipOf(entries));
  const r = await inspectCheckpoint(file);
  assert.equal(r.problem?.code, 'E_SHAPE');
  assert.match(r.problem!.message, /fc6\/W: expected 4096×1152 to match conv5 output 32×6×6, found 4096×9216/);
  const fc6 = r.tensors.find((t) => t.key === 'fc6/W')!;
  assert.deepEqual([fc6.shape, fc6.loaded], [[4096, 9216], false]);
});

test('an entry that inflates beyond its declared size stops there and is refused', async () => {
  const arrays = await bareAlexNet();
  const b = arrays.get('conv1/b')!;
  const honestBytes = Buffer.concat(encodeNpy(b));
  // Declares the honest size (header + 16 floats) but inflates to 8 MiB more.
  const inflated = Buffer.concat([honestBytes, Buffer.alloc(8 << 20)]);
  const bomb: RawEntry = { name: 'conv1/b.npy', compressed: deflateRawSync(inflated), crc: crc32(honestBytes) >>> 0, size: honestBytes.length };
  const entries = [...arrays].map(([k, a]) => (k === 'conv1/b' ? bomb : honest(k, a)));
  await failsCleanly(zipOf(entries), (e) => {
    assert.ok(e instanceof NpzFormatError, String(e));
    assert.match(e.message, new RegExp(`bomb\\.npz: entry conv1/b\\.npy: inflates beyond the ${honestBytes.length} bytes its zip header declares`));
    return true;
  });
});

test('a header whose shape does not match the zip\'s declared size is refused before inflating', async () => {
  const arrays = await bareAlexNet();
  const w = arrays.get('conv1/W')!;
  const e = honest('conv1/W', w);
  await failsCleanly(zipOf([...arrays].map(([k, a]) => (k === 'conv1/W' ? { ...e, size: e.size + 1000 } : honest(k, a)))), (err) => {
    assert.ok(err instanceof NpzFormatError);
    assert.match(err.message, /entry conv1\/W\.npy: its \.npy header declares 16×3×11×11 of '<f4' \(23360 bytes with the header\) but the zip declares 24360 bytes/);
    return true;
  });
});

test('duplicate entry names are refused by name', async () => {
  const arrays = await bareAlexNet();
  const entries = [...arrays].map(([k, a]) => honest(k, a));
  await failsCleanly(zipOf([...entries, honest('fc8/W', arrays.get('fc8/W')!)]), (e) => {
    assert.ok(e instanceof NpzFormatError);
    assert.match(e.message, /bomb\.npz: entry fc8\/W\.npy appears twice/);
    return true;
  });
});

test('an HDF5 dataset declaring 100000×100000 is never read: one line naming the file and the dataset', async () => {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const file = path.join(tmp.dir, 'huge.h5');
  copyFileSync(path.join(CHAINER, 'c7-alexnet-lsp14-bare.h5'), file);
  chmodSync(file, 0o644);
  const f = new h5.File(file, 'a');
  const ds = f.create_group('extra').create_dataset({ name: 'W', data: new Float32Array(1), shape: [1, 1], maxshape: [100000, 100000], chunks: [1000, 1000] });
  ds.resize([100000, 100000]);
  f.close();
  await assert.rejects(convertCheckpointToFile(file, path.join(tmp.dir, 'huge.onnx')), (e) => {
    assert.ok(e instanceof UnusedWeightsError, String(e));
    assert.match(e.message, /huge\.h5: 1 weight tensor is not used by AlexNet .*: extra\/W;/);
    return true;
  });
  await assert.rejects(convertCheckpointToFile(file, path.join(tmp.dir, 'huge.onnx'), { unusedWeights: 'allow' }), (e) => {
    assert.ok(e instanceof Hdf5FormatError, String(e));
    assert.match(e.message, /huge\.h5: dataset extra\/W declares 100000×100000 \(40000000000 bytes\), more than the 4294967296-byte limit for one tensor/);
    return true;
  });
  const r = await inspectCheckpoint(file).catch((e: unknown) => e);
  assert.ok(r instanceof Hdf5FormatError && /dataset extra\/W declares 100000×100000/.test(r.message));
});
