/**
 * Parity with Chainer: every vendored checkpoint that has Chainer's own
 * output for parity-input.npz converts to an ONNX model that reproduces it
 * within max abs error 1e-4 (npz and HDF5; bare, predictor and snapshot
 * layouts; AlexNet and ResNet50; the NaN file with --nonfinite zero).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint, modelBytes } from '../model/convert.js';
import { readNpz } from '../model/io/npz.js';
import { parseModelMetadata, readMetadataProps } from '../model/onnx/metadata.js';
import { OrtModel } from '../model/runtime/ort.js';
import { CHAINER } from './helpers/paths.js';

interface Fixture { file: string; chainer: string; arch: string | null; n_joints: number | null; expected: string | null }
const manifest = JSON.parse(readFileSync(path.join(CHAINER, 'MANIFEST.json'), 'utf8')) as { fixtures: Fixture[] };
const withExpected = manifest.fixtures.filter((f) => f.expected);
const models: OrtModel[] = [];
after(async () => {
  for (const m of models) await m.close();
});

test('the manifest covers every layout, container, family and Chainer version', () => {
  const files = withExpected.map((f) => f.file);
  assert.ok(files.some((f) => f.endsWith('.h5')));
  assert.ok(files.some((f) => f.includes('snapshot_iter')));
  assert.ok(files.some((f) => f.includes('bare')));
  assert.ok(files.some((f) => f.includes('resnet50')));
  assert.ok(files.some((f) => f.includes('nan')));
  assert.ok(withExpected.some((f) => f.chainer.startsWith('1.')) && withExpected.some((f) => f.chainer.startsWith('7.')));
  assert.equal(withExpected.length, 9);
});

const x = await readNpz(path.join(CHAINER, 'parity-input.npz'));

for (const f of withExpected) {
  test(`parity with Chainer ${f.chainer}: ${f.file}`, async (t) => {
    const nan = f.file.includes('nan');
    const r = await convertCheckpoint(path.join(CHAINER, f.file), { nonfinite: nan ? 'zero' : 'refuse' });
    assert.equal(r.metadata.arch, f.arch!.toLowerCase());
    assert.equal(r.metadata.joints, f.n_joints);
    const model = await OrtModel.load(modelBytes(r), f.file);
    models.push(model);
    const input = x.get('x')!;
    const out = await model.run({ x: { data: input.data as Float32Array, dims: input.shape } });
    const expected = (await readNpz(path.join(CHAINER, f.expected!))).get('y')!;
    assert.deepEqual(out.y!.dims, expected.shape);
    const want = expected.data as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i]! - out.y!.data[i]!));
    t.diagnostic(`max abs error ${maxErr.toExponential(2)}`);
    assert.ok(maxErr < 1e-4, `max abs error ${maxErr} ≥ 1e-4`);
  });
}

test('metadata records source, layout, key map, non-finite report, skeleton and input conventions', async () => {
  const file = path.join(CHAINER, 'c7-alexnet-mpii16-nan.model');
  const r = await convertCheckpoint(file, { nonfinite: 'zero' });
  const m = parseModelMetadata(readMetadataProps(modelBytes(r)), 'nan.onnx');
  assert.equal(m.source.name, 'c7-alexnet-mpii16-nan.model');
  assert.match(m.source.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.layout, 'predictor');
  assert.equal(m.keyMap['fc6/W'], 'predictor/fc6/W');
  assert.equal(m.skeleton, 'mpii16');
  assert.equal(m.jointNames.length, 16);
  assert.equal(m.inputSize, 220);
  assert.equal(m.channels, 'bgr');
  assert.equal(m.nonFinite.policy, 'zero');
  assert.equal(m.nonFinite.replaced, 121);
  assert.deepEqual(
    Object.fromEntries(m.nonFinite.tensors.map((t) => [t.key, t.nan + t.posInf + t.negInf])),
    { 'predictor/fc6/W': 101, 'predictor/fc7/b': 19, 'predictor/conv5/b': 1 },
  );
  assert.equal(m.output.name, 'y');
  assert.deepEqual(m.cascade, { stage: 1 });
  assert.deepEqual(m.widths, { conv1: 16, conv2: 32, conv3: 48, conv4: 48, conv5: 32, fc6: 128, fc7: 128, fc8: 32 });
});

test('widths and joint count come from the file (FLIC, 7 joints, Chainer 1.13)', async () => {
  const r = await convertCheckpoint(path.join(CHAINER, 'c1-alexnet-flic7-bare.npz'));
  assert.equal(r.metadata.joints, 7);
  assert.equal(r.metadata.skeleton, 'flic7');
  assert.equal(r.metadata.widths.fc6, 128);
});
