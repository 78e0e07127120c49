/** The DeepPose cascade with small stage models built for the test. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LSP14 } from '../data/skeletons.js';
import { cascadeCrops, refineJoints, torsoDiameterPx } from '../model/cascade.js';
import { loadPoseModel } from '../model/pose-model.js';
import { FIXTURES, scratch } from './helpers/paths.js';
import { writeConstantStageModel } from './helpers/stage-model.js';
import { InvalidArgumentError } from '../core/errors.js';

const tmp = scratch();
process.env.DEEPPOSE_CACHE_DIR = path.join(tmp.dir, 'cache');
after(tmp.cleanup);
const JPEG = new Uint8Array(readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00004.jpg')));

test('cascade geometry: crops of side σ × torso diameter centred on each joint; refinement adds side × output', () => {
  const joints = LSP14.joints.map((_, i) => [10 * i, 5 * i] as [number, number]);
  // torso = right hip (2) to left shoulder (9): (20,10) to (90,45)
  const d = Math.hypot(70, 35);
  assert.equal(torsoDiameterPx(joints, LSP14, 99), d);
  const crops = cascadeCrops(joints, LSP14, 0.5, 99);
  assert.equal(crops.length, 14);
  assert.deepEqual(crops[3], { cx: 30, cy: 15, side: 0.5 * d });
  const y = new Float32Array(14 * 28);
  y[3 * 28 + 6] = 0.1; // crop 3's output for joint 3: x
  y[3 * 28 + 7] = -0.2;
  y[3 * 28 + 8] = 5; // another joint's output from crop 3 is ignored
  const refined = refineJoints(crops, y, 14);
  assert.ok(Math.abs(refined[3]![0] - (30 + 0.1 * 0.5 * d)) < 1e-6);
  assert.ok(Math.abs(refined[3]![1] - (15 - 0.2 * 0.5 * d)) < 1e-6);
  assert.deepEqual(refined[4], [40, 20]);
  // A degenerate torso falls back to the given diameter.
  assert.equal(torsoDiameterPx(joints.map(() => [1, 1] as [number, number]), LSP14, 42), 42);
});

test('a 3-stage cascade of small stage models refines every joint; --stages limits the depth', async () => {
  const stage1 = path.join(tmp.dir, 's1.onnx');
  const stage2 = path.join(tmp.dir, 's2.onnx');
  const stage3 = path.join(tmp.dir, 's3.onnx');
  // Stage 1: a fixed pose in the crop. Stage 2: every joint moves by (+0.1, −0.05) × side. Stage 3: no change.
  const pose = Float32Array.from({ length: 28 }, (_, i) => (i % 2 === 0 ? -0.3 + 0.04 * (i / 2) : -0.4 + 0.05 * ((i - 1) / 2)));
  writeConstantStageModel(stage1, { stage: 1, inputSize: 220, output: pose });
  writeConstantStageModel(stage2, { stage: 2, sigma: 0.5, inputSize: 32, output: Float32Array.from({ length: 28 }, (_, i) => (i % 2 === 0 ? 0.1 : -0.05)) });
  writeConstantStageModel(stage3, { stage: 3, sigma: 0.3, inputSize: 24, output: new Float32Array(28) });
  const model = await loadPoseModel({ model: [stage1, stage2, stage3], workers: 1, threads: 1 });
  try {
    assert.equal(model.info.stages, 3);
    const bbox: [number, number, number, number] = [40, 30, 80, 150];
    const [one] = await model.predict([{ image: JPEG, bboxPx: bbox, stages: 1 }]);
    const [two] = await model.predict([{ image: JPEG, bboxPx: bbox, stages: 2 }]);
    const [three] = await model.predict([{ image: JPEG, bboxPx: bbox }]);
    assert.equal(one!.stagesRun, 1);
    assert.equal(three!.stagesRun, 3);
    const side = 0.5 * torsoDiameterPx(one!.jointsPx, LSP14, 0);
    two!.jointsPx.forEach(([x, y], i) => {
      assert.ok(Math.abs(x - (one!.jointsPx[i]![0] + 0.1 * side)) < 1e-3, `joint ${i} x`);
      assert.ok(Math.abs(y - (one!.jointsPx[i]![1] - 0.05 * side)) < 1e-3, `joint ${i} y`);
    });
    three!.jointsPx.forEach((p, i) => assert.ok(Math.abs(p[0] - two!.jointsPx[i]![0]) < 1e-3 && Math.abs(p[1] - two!.jointsPx[i]![1]) < 1e-3));
    await assert.rejects(model.predict([{ image: JPEG, stages: 4 }]), (e) => e instanceof InvalidArgumentError && /stages: expected an integer from 1 to 3/.test(e.message));
  } finally {
    await model.close();
  }
});

test('refinement gives the same joints wherever its crops are built: on a worker (a photo), on the calling thread (a photo above REFINE_IN_WORKER_MAX_BYTES), on a thread of its own', async () => {
  const { REFINE_IN_WORKER_MAX_BYTES } = await import('../model/pose-model.js');
  const sharp = (await import('sharp')).default;
  const small = new Uint8Array(readFileSync(path.join(FIXTURES, 'lspet', 'images', 'im00005.jpg')));
  // The same photo at 1800 × 1700: 9.2 MB of RGB, past the limit.
  const big = new Uint8Array(await sharp(small).resize(1800, 1700, { fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer());
  assert.ok(1800 * 1700 * 3 > REFINE_IN_WORKER_MAX_BYTES);
  const pooled = await loadPoseModel({ workers: 1, threads: 1 });
  const here = await loadPoseModel({ inThread: true, threads: 1 });
  // Which route each photo took: refinement tasks sent to the worker pool.
  const { InferencePool } = await import('../model/runtime/pool.js');
  const original = InferencePool.prototype.refine;
  let toWorker = 0;
  InferencePool.prototype.refine = function (task) {
    toWorker++;
    return original.call(this, task);
  };
  try {
    for (const [label, image, expectedTasks] of [['photo', small, 1], ['large photo', big, 0]] as const) {
      toWorker = 0;
      const [a] = await pooled.predict([{ image, box: 'whole', stages: 2 }]);
      assert.equal(toWorker, expectedTasks, `${label}: refinement tasks sent to the worker`);
      const [b] = await here.predict([{ image, box: 'whole', stages: 2 }]);
      const [s1] = await here.predict([{ image, box: 'whole', stages: 1 }]);
      assert.deepEqual(a!.jointsPx, b!.jointsPx, label);
      assert.notDeepEqual(a!.jointsPx, s1!.jointsPx, `${label}: stage 2 moved the joints`);
    }
  } finally {
    InferencePool.prototype.refine = original;
    await Promise.all([pooled.close(), here.close()]);
  }
});

test('a batch with an image that does not decode fails only once every part has finished: nothing runs after, and the model closes cleanly', async () => {
  const { InferencePool } = await import('../model/runtime/pool.js');
  const { DeepPoseError } = await import('../core/errors.js');
  const images = readFileSync(path.join(FIXTURES, 'lspet', 'splits', 'legacy-test.csv'), 'utf8').trim().split('\n')
    .map((line) => line.split(',')[0]!.trim()).filter((n) => n.endsWith('.jpg')).slice(0, 8)
    .map((name) => new Uint8Array(readFileSync(path.join(FIXTURES, 'lspet', 'images', name))));
  assert.equal(images.length, 8);
  // Header intact, data cut short: it passes the header check and fails to decode.
  const broken = images[0]!.subarray(0, Math.floor(images[0]!.length / 3));
  const model = await loadPoseModel({ workers: 2, threads: 1 });
  const calls = { run: 0, refine: 0 };
  const [run, refine] = [InferencePool.prototype.run, InferencePool.prototype.refine];
  InferencePool.prototype.run = function (...a) { calls.run++; return run.apply(this, a); };
  InferencePool.prototype.refine = function (...a) { calls.refine++; return refine.apply(this, a); };
  try {
    const requests = [...images, ...images].map((image, i) => ({ image: i === 14 ? broken : image, box: 'whole' as const }));
    await assert.rejects(model.predict(requests), (e) => e instanceof DeepPoseError && e.code === 'E_IMAGE_DECODE');
    const atRejection = { ...calls };
    assert.ok(atRejection.run > 0 && atRejection.refine > 0, `the other parts ran (${JSON.stringify(atRejection)})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(calls, atRejection, 'no backend call after the rejection');
  } finally {
    InferencePool.prototype.run = run;
    InferencePool.prototype.refine = refine;
    await model.close();
  }
});

test('runRefineTask with the flip test: crops and their mirrors as one batch of 2K; each joint averages its direct displacement and its partner slot\'s mirrored one, reflected about cx − 0.5', async () => {
  const { runRefineTask } = await import('../model/cascade.js');
  const { flipPermutation } = await import('../data/skeletons.js');
  const k = LSP14.joints.length;
  const image = { data: new Uint8Array(40 * 30 * 3).map((_, i) => i % 251), width: 40, height: 30, channels: 3 };
  const jointsPx = Array.from({ length: k }, (_, i) => [10 + i, 8 + (i % 5)] as [number, number]);
  const cropBox: [number, number, number, number] = [0, 0, 40, 30];
  const seen: number[] = [];
  let y = new Float32Array(0);
  // A stand-in stage: a distinct output for every row and slot.
  const run = async (_path: string, _x: Float32Array, dims: readonly number[]) => {
    seen.push(dims[0]!);
    y = Float32Array.from({ length: dims[0]! * 2 * k }, (_, j) => 0.013 * Math.floor(j / (2 * k)) - 0.002 * (j % (2 * k)) + 0.05);
    return { y, sessionMs: 0 };
  };
  const stage = { modelPath: 'stage2', sigma: 2, inputSize: 8, channels: 'bgr' as const };
  const side = Math.max(4, 2 * torsoDiameterPx(jointsPx, LSP14, 20));
  const perm = flipPermutation(LSP14);
  const flipped = await runRefineTask({ image, jointsPx, cropBox, skeleton: 'lsp14', stages: [stage], flip: true }, run);
  assert.deepEqual(seen, [2 * k], 'one batch: the K crops and their K mirrors');
  flipped.jointsPx.forEach(([x, yy], i) => {
    const direct = [y[i * 2 * k + 2 * i]!, y[i * 2 * k + 2 * i + 1]!];
    const m = (k + i) * 2 * k + 2 * perm[i]!;
    // The mirrored crop's grid reflects about cx − 0.5: its displacement m is −m − 1/side here.
    const ex = jointsPx[i]![0] + side * (direct[0]! + (-y[m]! - 1 / side)) / 2;
    const ey = jointsPx[i]![1] + side * (direct[1]! + y[m + 1]!) / 2;
    assert.ok(Math.abs(x - ex) < 1e-9 && Math.abs(yy - ey) < 1e-9, `${LSP14.joints[i]}: (${x}, ${yy}) against (${ex}, ${ey})`);
  });
  seen.length = 0;
  const plain = await runRefineTask({ image, jointsPx, cropBox, skeleton: 'lsp14', stages: [stage, { ...stage, modelPath: 'stage3' }], flip: false }, run);
  assert.deepEqual(seen, [k, k], 'without flip: K crops per stage, both stages run');
  assert.notDeepEqual(plain.jointsPx, flipped.jointsPx);
});
