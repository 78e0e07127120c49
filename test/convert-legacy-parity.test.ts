/**
 * Parity with the real Chainer of each era for the other legacy families and
 * the 2015 pickles: every file of test/fixtures/chainer-legacy/MANIFEST.json
 * converts, and its ONNX model reproduces Chainer's output for the shared
 * parity input in both batch-norm conventions: running statistics
 * (`NAME.expected.npz`) and, for the 2015 batch-norm models, the legacy
 * forward's batch statistics (`NAME.legacy-forward.npz`, --bn-statistics batch).
 *
 * Tolerance: max |Δ| ≤ 1e-4 · max(1, max |y|). Chainer's own outputs are
 * float32: for ResNet152, whose outputs reach ~1300, one float32 step is
 * already 1.2e-4, so the bound is relative to the output's magnitude there
 * (every other file is below 1e-4 absolute; the diagnostics print both).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpoint, modelBytes } from '../model/convert.js';
import { readNpz } from '../model/io/npz.js';
import { parseModelMetadata, readMetadataProps } from '../model/onnx/metadata.js';
import { OrtModel } from '../model/runtime/ort.js';
import { CHAINER, FIXTURES } from './helpers/paths.js';

const LEGACY = path.join(FIXTURES, 'chainer-legacy');

interface Fixture { file: string; chainer: string; arch: string; n_joints: number; layout: string; expected: string; legacy_forward?: string }
const manifest = JSON.parse(readFileSync(path.join(LEGACY, 'MANIFEST.json'), 'utf8')) as { fixtures: Fixture[] };
const models: OrtModel[] = [];
after(async () => {
  for (const m of models) await m.close();
});

/** What each file must be recognised as (family with depth, metadata name). */
const ARCH: Record<string, string> = {
  'c14-AlexNet_flic_epoch_1.chainermodel': 'alexnet',
  'c14-AlexNet_lsp_epoch_1.chainermodel': 'alexnet',
  'c14-AlexNet_flic_BN_epoch_1.chainermodel': 'alexnet',
  'c14-AlexNet_flic_BN_PReLU_epoch_1.chainermodel': 'alexnet',
  'c14-VGG_epoch_1.chainermodel': 'vgg16',
  'c14-VGG_flic_epoch_1.chainermodel': 'vgg16',
  'c7-vgg-bn-lsp14.model': 'vgg16',
  'c1-vgg-bn-lsp14.model': 'vgg16',
  'c7-resnet101-mpii16.model': 'resnet101',
  'c7-resnet152-lsp14.npz': 'resnet152',
};

test('the vendored manifest lists the ten legacy files, two with a legacy forward', () => {
  assert.deepEqual(manifest.fixtures.map((f) => f.file).sort(), Object.keys(ARCH).sort());
  assert.deepEqual(manifest.fixtures.filter((f) => f.legacy_forward).map((f) => f.file).sort(), [
    'c14-AlexNet_flic_BN_PReLU_epoch_1.chainermodel', 'c14-AlexNet_flic_BN_epoch_1.chainermodel',
  ]);
});

const x = (await readNpz(path.join(CHAINER, 'parity-input.npz'))).get('x')!;

async function maxError(file: string, expected: string, bnStatistics: 'running' | 'batch'): Promise<{ err: number; scale: number; metadataArch: string; joints: number; bn: string | undefined }> {
  const r = await convertCheckpoint(path.join(LEGACY, file), { bnStatistics });
  const model = await OrtModel.load(modelBytes(r), file);
  models.push(model);
  const out = await model.run({ x: { data: x.data as Float32Array, dims: x.shape } });
  const y = (await readNpz(path.join(LEGACY, expected))).get('y')!;
  assert.deepEqual(out.y!.dims, y.shape);
  const want = y.data as Float32Array;
  let err = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(want[i]! - out.y!.data[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  const m = parseModelMetadata(readMetadataProps(modelBytes(r)), file);
  return { err, scale, metadataArch: m.arch, joints: m.joints, bn: m.bnStatistics };
}

for (const f of manifest.fixtures) {
  test(`parity with Chainer ${f.chainer}, running statistics: ${f.file}`, async (t) => {
    const r = await maxError(f.file, f.expected, 'running');
    t.diagnostic(`max abs error ${r.err.toExponential(2)} (outputs up to ${r.scale.toPrecision(4)})`);
    assert.equal(r.metadataArch, ARCH[f.file]);
    assert.equal(r.joints, f.n_joints);
    assert.ok(r.err <= 1e-4 * r.scale, `max abs error ${r.err} > 1e-4 × ${r.scale}`);
    if (r.scale === 1) assert.ok(r.err < 1e-4);
  });
  if (f.legacy_forward) {
    test(`parity with the legacy forward (--bn-statistics batch): ${f.file}`, async (t) => {
      const r = await maxError(f.file, f.legacy_forward!, 'batch');
      t.diagnostic(`max abs error ${r.err.toExponential(2)}`);
      assert.equal(r.bn, 'batch');
      assert.ok(r.err < 1e-4, `max abs error ${r.err} ≥ 1e-4`);
      const running = await maxError(f.file, f.legacy_forward!, 'running');
      assert.ok(running.err > 1e-2, 'the two conventions really differ on this file');
    });
  }
}
