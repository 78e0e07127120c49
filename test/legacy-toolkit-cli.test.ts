/**
 * The legacy families and the 2015 pickles through the CLI, as a user runs
 * them: `deeppose inspect | convert | remap | scrub`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { convertCheckpoint, modelBytes } from '../model/convert.js';
import { readNpz } from '../model/io/npz.js';
import { parseModelMetadata, readMetadataProps } from '../model/onnx/metadata.js';
import { OrtModel } from '../model/runtime/ort.js';
import { CHAINER, CLI, FIXTURES, scratch } from './helpers/paths.js';

const LEGACY = path.join(FIXTURES, 'chainer-legacy');
const run = promisify(execFile);
const tmp = scratch();
const models: OrtModel[] = [];
after(async () => {
  for (const m of models) await m.close();
  tmp.cleanup();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: tmp.dir, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('inspect a 2015 GPU-trained pickle: class, family with widths, CuPy arrays, gradients listed but not loaded', async () => {
  const file = path.join(LEGACY, 'c14-AlexNet_flic_BN_PReLU_epoch_1.chainermodel');
  const text = await cli('inspect', file);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /container {2}Chainer 1\.x pickle of AlexNet_flic_BN_PReLU\.AlexNet_flic_BN_PReLU \(read safely: nothing executed\)/);
  assert.match(text.stdout, /arch {7}AlexNet \(legacy DeepPose, batch norm, PReLU\): conv1 16, conv2 32, conv3 48, conv4 48, conv5 32, fc6 128, fc7 128, fc8 14/);
  assert.match(text.stdout, /joints {5}7 \(14 outputs\), skeleton flic7/);
  assert.match(text.stdout, /batch norm 2 layers; convert uses running statistics unless --bn-statistics batch/);
  assert.match(text.stdout, /prelu1\/W +float32 +scalar +4 +cupy \(GPU\) +0 +0 +0 +prelu1\/W/);
  assert.match(text.stdout, /fc6\/gW +float32 +128×1152 +589824 +cupy \(GPU\); not loaded \(gradient\) +- +- +- +-/);
  const j = JSON.parse((await cli('inspect', file, '--json')).stdout);
  assert.equal(j.container, 'pickle');
  assert.equal(j.arch.id, 'alexnet');
  assert.equal(j.keyMap['bn1/eps'], 'bn1/eps');
  assert.deepEqual(j.tensors.find((t: { key: string }) => t.key === 'bn1/avg_var').shape, [1, 16, 1]);
  assert.equal(j.tensors.filter((t: { loaded: boolean }) => !t.loaded).length, 27, '20 layer gradients and 7 PReLU slope gradients');
  assert.equal(j.unused.length + Object.keys(j.keyMap).length, j.tensors.length, 'every entry is used or listed as unused');
});

test('inspect names depth, block counts and naming for ResNet152 (res3/b1 names, head fc) and VGG_BN', async () => {
  const r = await cli('inspect', path.join(LEGACY, 'c7-resnet152-lsp14.npz'), '--json');
  const j = JSON.parse(r.stdout);
  assert.equal(j.arch.name, 'resnet152');
  assert.equal(j.arch.title, 'ResNet152 (legacy DeepPose, blocks 3-8-36-3)');
  assert.deepEqual([j.arch.widths.res2, j.arch.widths.res5, j.arch.widths.fc], [16, 128, 28]);
  assert.equal(j.keyMap['res3/b7/conv3/W'], 'res3/b7/conv3/W');
  const v = await cli('inspect', path.join(LEGACY, 'c1-vgg-bn-lsp14.model'));
  assert.match(v.stdout, /arch {7}VGG-16 \(legacy DeepPose, conv1_1…conv5_3, batch norm\): conv1_1 8, conv1_2 8, conv2_1 16/);
});

test('convert --bn-statistics batch reproduces the legacy forward and is recorded in the metadata', async () => {
  const file = path.join(LEGACY, 'c14-AlexNet_flic_BN_epoch_1.chainermodel');
  const out = path.join(tmp.dir, 'bn-batch.onnx');
  const r = await cli('convert', file, '-o', out, '--bn-statistics', 'batch');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /AlexNet \(legacy DeepPose, batch norm\), pickle bare layout, batch norm on batch statistics, 7 joints \(flic7\)/);
  const m = parseModelMetadata(readMetadataProps(readFileSync(out)), out);
  assert.equal(m.bnStatistics, 'batch');
  assert.equal(m.source.container, 'pickle');
  const bad = await cli('convert', file, '-o', path.join(tmp.dir, 'x.onnx'), '--bn-statistics', 'mean');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--bn-statistics: expected one of running, batch, found "mean"/);
});

test('remap writes a pickle as a modern npz that converts to the same outputs', async () => {
  const file = path.join(LEGACY, 'c14-VGG_flic_epoch_1.chainermodel');
  const out = path.join(tmp.dir, 'vgg-flic.npz');
  const r = await cli('remap', file, '-o', out, '--to', 'predictor');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /→ .*vgg-flic\.npz \(predictor\): 32 entries written, 32 dropped\n {2}dropped 32 × gradient \(training only; not loaded\)/);
  const keys = [...(await readNpz(out)).keys()];
  assert.ok(keys.includes('predictor/conv5_3/W') && keys.includes('predictor/fc8/b'));
  assert.ok(!keys.some((k) => /\/g(W|b)$/.test(k)));
  const x = (await readNpz(path.join(CHAINER, 'parity-input.npz'))).get('x')!;
  const want = (await readNpz(path.join(LEGACY, 'c14-VGG_flic_epoch_1.chainermodel.expected.npz'))).get('y')!.data as Float32Array;
  const model = await OrtModel.load(modelBytes(await convertCheckpoint(out)), 'remapped');
  models.push(model);
  const y = (await model.run({ x: { data: x.data as Float32Array, dims: x.shape } })).y!.data;
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i]! - y[i]!));
  assert.ok(err < 1e-4, `max abs error ${err}`);
});

test('remap of a 2015 batch-norm pickle: statistics (1, C, 1) become (C,), N is added, eps dropped', async () => {
  const out = path.join(tmp.dir, 'bn.npz');
  const r = await cli('remap', path.join(LEGACY, 'c14-AlexNet_flic_BN_epoch_1.chainermodel'), '-o', out, '--to', 'bare');
  assert.equal(r.code, 0, r.stderr);
  const a = await readNpz(out);
  assert.deepEqual(a.get('bn1/avg_var')!.shape, [16]);
  assert.deepEqual(a.get('bn2/N')!.shape, []);
  assert.equal(a.has('bn1/eps'), false);
  assert.match(r.stdout, /dropped 2 × Chainer 1\.4 batch-norm eps/);
});

test('scrub reads a pickle and writes its weights as npz', async () => {
  const out = path.join(tmp.dir, 'clean.npz');
  const r = await cli('scrub', path.join(LEGACY, 'c14-AlexNet_lsp_epoch_1.chainermodel'), '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: 16 tensors, 0 non-finite values replaced by 0/);
  assert.deepEqual((await readNpz(out)).get('fc8/W')!.shape, [28, 128]);
});
