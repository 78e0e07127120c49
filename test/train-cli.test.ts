/** `deeppose train` as a user runs it, on the vendored LSPET subset: checkpoints, resume, fine-tune, time budget. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readNpz } from '../model/io/npz.js';
import { convertCheckpoint } from '../model/convert.js';
import { TrainStateError, readSnapshot } from '../model/train/params.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);
const DATASET = path.join(FIXTURES, 'lspet');

async function cli(...args: string[]) {
  try {
    return { code: 0, ...(await run(process.execPath, [CLI, ...args], { cwd: tmp.dir })) };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const common = ['train', '--dataset', DATASET, '--split', 'legacy-train', '--val-count', '4', '--batch', '4', '--threads', '2', '--data-threads', '1'];

test('trains from scratch, writes legacy checkpoints the converter loads, resumes from a snapshot', async () => {
  const r = await cli(...common, '--epochs', '1', '--out', 'run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /epoch 1 \(iteration 3\): train loss \d/);
  const model = await readNpz(path.join(tmp.dir, 'run', 'epoch-1.model'));
  assert.deepEqual(model.get('predictor/conv1/W')!.shape, [32, 3, 11, 11]);
  assert.equal(model.get('predictor/fc8/b')!.dtype, 'float32');
  const converted = await convertCheckpoint(path.join(tmp.dir, 'run', 'epoch-1.model'));
  assert.equal(converted.metadata.layout, 'predictor');
  assert.equal(converted.metadata.joints, 14);
  const snap = path.join(tmp.dir, 'run', 'snapshot_epoch_1.npz');
  const s = await readSnapshot(snap, ['m', 'v']);
  assert.equal(s.iteration, 3);
  assert.equal(s.epoch, 1);
  assert.ok([...s.slots.get('v')!.values()].some((v) => v.data.some((x) => x > 0)), 'Adam moments are saved');
  const again = await cli(...common, '--epochs', '2', '--out', 'run', '--resume', snap);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /epochs 2…2/);
  assert.match(again.stderr, /epoch 2 \(iteration 6\)/);
  const log = JSON.parse(readFileSync(path.join(tmp.dir, 'run', 'log.json'), 'utf8')) as { epoch: number }[];
  assert.equal(log.at(-1)!.epoch, 2);
  await assert.rejects(readSnapshot(snap, ['m', 'v', 'w']), (e) => e instanceof TrainStateError && /optimizer state w of conv1\/W missing/.test(e.message));
});

test('fine-tunes the default checkpoint with momentum SGD under a time budget', async () => {
  const init = path.join(path.dirname(CLI), '..', '..', 'model', 'default', 'deeppose-lsp14-lite', 'epoch-48.model');
  const r = await cli(...common, '--epochs', '5', '--out', 'ft', '--init', init, '--optimizer', 'momentum-sgd', '--lr', '1e-4', '--weight-decay', '5e-4', '--time-budget', '0.001');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /stopped by the time budget at epoch 0, iteration 1/);
  assert.ok(existsSync(path.join(tmp.dir, 'ft', 'epoch-iter-1.model')));
  const refused = await cli(...common, '--out', 'ft', '--epochs', '1');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ft: already holds checkpoints \(pass --force/);
  const both = await cli(...common, '--init', init, '--resume', 'x.npz');
  assert.match(both.stderr, /--init and --resume exclude each other/);
});

test('trains a cascade stage 2 from joint-centred crops: error model, inside-crop draws, validation loss and cascade PCP', async () => {
  const r = await cli(...common, '--limit', '12', '--stage', '2', '--sigma', '2', '--inside-crop', '--epochs', '1', '--out', 'stage2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /previous-stage error per joint \(torso diameters, mean ± sd\): rightAnkle \d/);
  assert.match(r.stderr, /previous-stage torso diameter ÷ true one: median \d/);
  assert.match(r.stderr, /previous stages alone on the validation images: strict PCP \d+\.\d\d %/);
  assert.match(r.stderr, /8 training and 4 validation images .*; stage 2, σ 2, displacements inside the crop; adam/);
  assert.match(r.stderr, /epoch 1 \(iteration \d+\): train loss \d\S*, val loss \d\S*, val strict PCP \d+\.\d%/);
  assert.match(r.stdout, /use it as stage 2: deeppose convert .*--stage 2 --sigma 2/);
  const converted = await convertCheckpoint(path.join(tmp.dir, 'stage2', 'epoch-1.model'));
  assert.equal(converted.metadata.joints, 14);
  const bad = await cli(...common, '--stage', '2', '--out', 'nosigma');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--sigma: required to train stage 2/);
  const stage1 = await cli(...common, '--inside-crop', '--out', 'insidestage1');
  assert.equal(stage1.code, 1);
  assert.match(stage1.stderr, /^deeppose train: --inside-crop: only for cascade stages \(--stage 2 or more\) \[E_INVALID_ARGUMENT\]$/m);
  assert.equal(existsSync(path.join(tmp.dir, 'insidestage1')), false);
  // A batch-norm/PReLU AlexNet (a 2015 pickle) is refused rather than fine-tuned without those layers.
  const bnPrelu = path.join(FIXTURES, 'chainer-legacy', 'c14-AlexNet_flic_BN_PReLU_epoch_1.chainermodel');
  const bn = await cli(...common, '--init', bnPrelu, '--out', 'bnprelu');
  assert.equal(bn.code, 1);
  assert.match(bn.stderr, /c14-AlexNet_flic_BN_PReLU_epoch_1\.chainermodel: AlexNet \(legacy DeepPose, batch norm, PReLU\) has batch-norm or PReLU layers \(bn1\/gamma, .*only the plain legacy AlexNet can be fine-tuned \[E_TRAIN_STATE\]/);
  assert.equal(existsSync(path.join(tmp.dir, 'bnprelu')), false);
});
