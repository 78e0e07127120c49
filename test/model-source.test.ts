/** Model sources: the embedded default, legacy checkpoints cached by hash, .onnx files, cascade.json. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ModelSourceError, resolveModels, resolveStageModels, DEFAULT_CASCADE } from '../model/model-source.js';
import { convertCheckpointToFile } from '../model/convert.js';
import { InferencePool, planThreads } from '../model/runtime/pool.js';
import { OrtModel } from '../model/runtime/ort.js';
import { DeepPoseError, InvalidArgumentError } from '../core/errors.js';
import { CHAINER, scratch } from './helpers/paths.js';

const tmp = scratch();
process.env.DEEPPOSE_CACHE_DIR = path.join(tmp.dir, 'cache');
after(tmp.cleanup);

test('the embedded default cascade (stage 1, stage 2, the person finder) converts on first use, then comes from the cache', async () => {
  const logs: string[] = [];
  const { stages: [first, stage2], finder } = await resolveModels(undefined, (l) => logs.push(l));
  assert.equal(logs.length, 3);
  assert.match(logs[0]!, /converted .*epoch-48\.model in \d+\.\d s \(first use/);
  assert.match(logs[1]!, /converted .*deeppose-lsp14-lite-stage2.epoch-3\.model in \d+\.\d s \(first use/);
  assert.match(logs[2]!, /converted .*deeppose-lsp14-lite-finder.epoch-12\.model in \d+\.\d s \(first use/);
  assert.equal(finder!.model.metadata.source.sha256, '23118e0eec9abea773f7609e512fae349acf8517213d221c932f4e5d805df039');
  assert.deepEqual([finder!.boxScale, finder!.rounds, finder!.roundFraction], [1, 1, 0.55]);
  assert.equal(stage2!.metadata.cascade.stage, 2);
  assert.equal(stage2!.metadata.cascade.sigma, 2);
  assert.equal(stage2!.metadata.source.sha256, '2184f6f2894b7e3f6f5ab94fa06165f1b4a65be231eafd047a68ff122cd46f73');
  assert.equal(first!.metadata.skeleton, 'lsp14');
  assert.equal(first!.metadata.joints, 14);
  assert.deepEqual(first!.metadata.widths, { conv1: 32, conv2: 96, conv3: 128, conv4: 128, conv5: 96, fc6: 1024, fc7: 1024, fc8: 28 });
  assert.equal(first!.metadata.source.sha256, '3ec3dbeaa992c3a95a9eeec3b7938167787fd8f02f89142993bcb561748c45f6');
  const again: string[] = [];
  const [second, secondStage2] = await resolveStageModels([DEFAULT_CASCADE], (l) => again.push(l));
  assert.deepEqual(again, []);
  assert.equal(second!.onnxPath, first!.onnxPath);
  assert.equal(secondStage2!.onnxPath, stage2!.onnxPath);
  // Each entry, its digest, the record of its last verification; the checkpoints' remembered digests.
  const entry = (p: string) => [path.basename(p), `${path.basename(p)}.sha256`, `${path.basename(p)}.verified`];
  assert.deepEqual(readdirSync(process.env.DEEPPOSE_CACHE_DIR!).sort(), [...entry(first!.onnxPath), ...entry(stage2!.onnxPath), ...entry(finder!.model.onnxPath), 'files'].sort());
  assert.equal(readdirSync(path.join(process.env.DEEPPOSE_CACHE_DIR!, 'files')).length, 3);
});

test('an .onnx made by convert is used as it is; a cascade needs stage numbers in order', async () => {
  const onnx = path.join(tmp.dir, 'bare.onnx');
  await convertCheckpointToFile(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), onnx);
  const [m] = await resolveStageModels([onnx]);
  assert.equal(m!.onnxPath, onnx);
  await assert.rejects(resolveStageModels([onnx, onnx]), (e) => e instanceof ModelSourceError && /stage 1 model but stands at position 2/.test(e.message));
});

test('bad model sources', async () => {
  await assert.rejects(resolveStageModels([path.join(tmp.dir, 'nope.onnx')]), (e) => e instanceof ModelSourceError && /no such model file/.test(e.message));
  await assert.rejects(resolveStageModels([tmp.dir]), (e) => e instanceof ModelSourceError && /without cascade\.json/.test(e.message));
  const bad = path.join(tmp.dir, 'cascade.json');
  writeFileSync(bad, '{"stages": []}');
  await assert.rejects(resolveStageModels([bad]), (e) => e instanceof ModelSourceError && /at least one stage/.test(e.message));
  writeFileSync(bad, JSON.stringify({ stages: [{ file: path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz') }, { file: path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), stage: 2 }] }));
  await assert.rejects(resolveStageModels([bad]), (e) => e instanceof ModelSourceError && /needs "sigma"/.test(e.message));
});

test('workers × threads never exceed the cores', () => {
  assert.deepEqual(planThreads({}, 2), { workers: 1, threads: 2 });
  assert.deepEqual(planThreads({ workers: 2 }, 2), { workers: 2, threads: 1 });
  assert.throws(() => planThreads({ workers: 2, threads: 2 }, 2), (e) => e instanceof InvalidArgumentError && /at most 1 per worker/.test(e.message));
  assert.throws(() => planThreads({ workers: 3 }, 2), (e) => e instanceof InvalidArgumentError && /^workers: expected at most 2 \(the number of cores\), found 3$/.test(e.message));
});

test('the worker pool gives the same output as a session on this thread', async () => {
  const onnx = path.join(tmp.dir, 'bare.onnx');
  const x = Float32Array.from({ length: 2 * 3 * 220 * 220 }, (_, i) => Math.sin(i));
  const direct = await OrtModel.load(onnx, 'direct', { lrn: 'band' }); // as the pool runs it by default
  const want = (await direct.run({ x: { data: x, dims: [2, 3, 220, 220] } })).y!.data;
  await direct.close();
  const pool = new InferencePool({ workers: 1, threads: 1 });
  try {
    const r = await pool.run(onnx, x.slice(), [2, 3, 220, 220]);
    assert.deepEqual(r.dims, [2, 28]);
    assert.deepEqual(Array.from(r.y), Array.from(want));
  } finally {
    await pool.close();
  }
  // BAD CALL: every call on a closed pool is refused with its code.
  const closed = (e: unknown) => e instanceof DeepPoseError && e.code === 'E_CLOSED' && e.message === 'the inference pool is closed';
  await assert.rejects(pool.run(onnx, x.slice(), [2, 3, 220, 220]), closed);
  await assert.rejects(pool.open([onnx]), closed);
  await assert.rejects(pool.ping(), closed);
});
