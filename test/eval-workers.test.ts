/**
 * Evaluation runs a model loaded from files on its worker threads
 * (eval/estimate-in-worker.ts): the joints must be the ones the same model
 * computes on this thread, to the bit, for stage 1, the cascade, the flip
 * test and the person finder; a worker module of one's own needs threads.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDataset } from '../data/dataset.js';
import { createBatchIterator } from '../data/iterator.js';
import { evaluateModel } from '../eval/evaluate.js';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { InvalidArgumentError } from '../core/errors.js';
import { FIXTURES, ROOT, scratch } from './helpers/paths.js';

const tmp = scratch();
const DATASET = path.join(FIXTURES, 'lspet');
let plain: PoseModel;
let flipped: PoseModel;
let withFinder: PoseModel;

before(async () => {
  process.env.DEEPPOSE_CACHE_DIR = path.join(tmp.dir, 'cache');
  const dir = path.join(ROOT, 'model', 'default');
  const doc = JSON.parse(readFileSync(path.join(dir, 'cascade.json'), 'utf8')) as { stages: { file: string }[] };
  doc.stages.forEach((s) => { s.file = path.join(dir, s.file); });
  const finderCascade = path.join(tmp.dir, 'finder.json');
  writeFileSync(finderCascade, JSON.stringify({ ...doc, finder: { file: path.join(dir, 'deeppose-lsp14-lite', 'epoch-48.model'), boxScale: 1.3 } }));
  [plain, flipped, withFinder] = await Promise.all([loadPoseModel(), loadPoseModel({ flip: true }), loadPoseModel({ model: finderCascade })]);
});
after(async () => {
  await Promise.all([plain?.close(), flipped?.close(), withFinder?.close()]);
  tmp.cleanup();
});

test('joints estimated on the workers equal those estimated on this thread (stage 1, cascade, flip, person finder)', async () => {
  const ds = await openDataset(DATASET, 'legacy-test');
  const cases: [string, PoseModel, number, 'visible' | 'found'][] = [
    ['stage 1', plain, 1, 'visible'], ['cascade', plain, 2, 'visible'], ['cascade, flip', flipped, 2, 'visible'], ['cascade, found box', withFinder, 2, 'found'],
  ];
  for (const [label, model, stages, boxFrom] of cases) {
    assert.ok(model.spec, `${label}: a model from files can be loaded again`);
    const inWorkers = await evaluateModel(model, ds, { stages, boxFrom, threads: 2 });
    const here = await evaluateModel(model, ds, { stages, boxFrom, threads: 2, modelInWorkers: false });
    assert.equal(inWorkers.images.length, ds.samples.length, label);
    assert.deepEqual(inWorkers.images.map((e) => e.image), here.images.map((e) => e.image), label);
    inWorkers.images.forEach((e, i) => assert.deepEqual(e.predPx, here.images[i]!.predPx, `${label}, ${e.image}`));
    assert.equal(inWorkers.result.pcp.strict.total, here.result.pcp.strict.total, label);
  }
});

test('BAD CALL: a worker module of your own needs at least one thread', async () => {
  const ds = await openDataset(DATASET, 'legacy-test');
  assert.throws(() => createBatchIterator(ds, { batchSize: 4, mode: 'eval', threads: 0, worker: { url: 'file:///nowhere.js', extra: {} } }),
    (e) => e instanceof InvalidArgumentError && e.message === 'threads: expected at least 1 with a worker module of your own, found 0');
});
