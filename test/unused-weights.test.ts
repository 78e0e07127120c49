/**
 * No silent wrong conversion: weight tensors that the recognised architecture
 * does not consume are refused by default with one line naming them; the
 * explicit override converts and records them in the metadata.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint, convertCheckpointToFile, modelBytes } from '../model/convert.js';
import { UnusedWeightsError } from '../model/errors.js';
import { readNpz, writeNpz } from '../model/io/npz.js';
import { parseModelMetadata, readMetadataProps } from '../model/onnx/metadata.js';
import { CHAINER, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);

/** The vendored bare AlexNet plus an extra fully connected layer `fc9` that no AlexNet consumes. */
async function withExtraLayer(): Promise<string> {
  const arrays = await readNpz(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'));
  arrays.set('fc9/W', { dtype: 'float32', shape: [28, 28], data: new Float32Array(28 * 28) });
  arrays.set('fc9/b', { dtype: 'float32', shape: [28], data: new Float32Array(28) });
  arrays.set('fc9/gW', { dtype: 'float32', shape: [28, 28], data: new Float32Array(28 * 28) });
  const file = path.join(tmp.dir, 'extra-layer.npz');
  await writeNpz(file, arrays);
  return file;
}

test('unused weight tensors are refused by default, one line naming them, nothing written', async () => {
  const file = await withExtraLayer();
  const dir = path.join(tmp.dir, 'out');
  mkdirSync(dir);
  await assert.rejects(convertCheckpointToFile(file, path.join(dir, 'm.onnx')), (e) => {
    assert.ok(e instanceof UnusedWeightsError);
    assert.equal(e.code, 'E_UNUSED_WEIGHTS');
    assert.match(e.message, /extra-layer\.npz: 2 weight tensors are not used by AlexNet \(legacy DeepPose\) as recognised .*: fc9\/b, fc9\/W; pass --allow-unused-weights/);
    assert.doesNotMatch(e.message, /gW/, 'a gradient is not a weight');
    assert.equal(e.message.split('\n').length, 1);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('--allow-unused-weights converts and records the unused keys in the metadata', async () => {
  const r = await convertCheckpoint(await withExtraLayer(), { unusedWeights: 'allow' });
  const m = parseModelMetadata(readMetadataProps(modelBytes(r)), 'm.onnx');
  assert.deepEqual(m.unusedWeights, { policy: 'allow', keys: ['fc9/b', 'fc9/W'] });
  const clean = await convertCheckpoint(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'));
  assert.equal(clean.metadata.unusedWeights, undefined);
});
