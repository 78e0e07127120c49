/**
 * The person-finder hooks: a cascade.json naming a finder (here the default
 * stage 1 itself, run on the whole image) makes a request without a box
 * use the finder's joint box; a given box and `box: 'whole'` still win;
 * `eval --box-from found` runs the same path; a malformed finder entry is refused.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { boxFromJoints } from '../data/bbox.js';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { ModelSourceError } from '../model/model-source.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';
import { DEFAULT_DIR, writeCascade } from './helpers/cascades.js';

const run = promisify(execFile);
const tmp = scratch();
const IMAGE = path.join(FIXTURES, 'lspet', 'images', 'im00008.jpg');
const DEFAULT = DEFAULT_DIR;
/** The default stages with `finder` (here mostly the stage-1 network on the whole image: boxes the test can compute); `undefined`: none. */
const cascade = (finder: unknown) => writeCascade(tmp.dir, `c${Math.random().toString(36).slice(2, 8)}.json`, finder);

let withFinder: PoseModel;
let plain: PoseModel;
before(async () => {
  process.env.DEEPPOSE_CACHE_DIR = path.join(tmp.dir, 'cache');
  withFinder = await loadPoseModel({ model: cascade({ file: path.join(DEFAULT, 'deeppose-lsp14-lite', 'epoch-48.model'), boxScale: 1.3 }) });
  plain = await loadPoseModel({ model: cascade(undefined) });
});
after(async () => {
  await withFinder?.close();
  await plain?.close();
  tmp.cleanup();
});

test('no box: the finder\'s joints × boxScale give the person box; a given box and box "whole" still win', async () => {
  const bytes = new Uint8Array(readFileSync(IMAGE));
  assert.equal(withFinder.info.personFinder, true);
  assert.equal(plain.info.personFinder, false);
  // What the finder (stage 1 on the whole image) sees, through the model without a finder.
  const [whole] = await plain.predict([{ image: bytes, stages: 1 }]);
  assert.equal(whole!.boxSource, 'whole');
  const expected = boxFromJoints(whole!.jointsPx, 1.3, whole!.imageSize)!;
  const [found] = await withFinder.predict([{ image: bytes }]);
  assert.equal(found!.boxSource, 'found');
  found!.boxPx.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `box[${i}] ${v} vs ${expected[i]}`));
  assert.notDeepEqual(found!.boxPx, [0, 0, whole!.imageSize.width, whole!.imageSize.height]);
  const [given] = await withFinder.predict([{ image: bytes, bboxPx: [20, 10, 120, 160] }]);
  assert.equal(given!.boxSource, 'given');
  assert.deepEqual(given!.boxPx, [20, 10, 120, 160]);
  const [asked] = await withFinder.predict([{ image: bytes, box: 'whole' }]);
  assert.equal(asked!.boxSource, 'whole');
  assert.deepEqual(asked!.boxPx, [0, 0, whole!.imageSize.width, whole!.imageSize.height]);
});

test('eval --box-from found runs the finder; without a finder it is refused', async () => {
  const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
  const args = ['eval', '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-test', '--limit', '4', '--stages', '1', '--threads', '0', '--box-from', 'found'];
  const ok = await run(process.execPath, [CLI, ...args, '--model', cascade({ file: path.join(DEFAULT, 'deeppose-lsp14-lite', 'epoch-48.model') }), '--out', path.join(tmp.dir, 'found')], { env });
  assert.match(ok.stdout, /strict PCP \d+\.\d%/);
  const refused = await run(process.execPath, [CLI, ...args, '--model', cascade(undefined), '--out', path.join(tmp.dir, 'nofinder')], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((refused as { code: number }).code, 1);
  assert.match((refused as { stderr: string }).stderr, /boxFrom: expected visible, split or whole: this model has no person finder, found "found" \[E_INVALID_ARGUMENT\]/);
});

test('a malformed finder entry is refused with the file and what was expected', async () => {
  const expected = /"finder": \{"file": …, "boxScale": a number from 0 to 10, "rounds": 0 to 3, "roundFraction": a number from 0 to 1\}, found /;
  await assert.rejects(loadPoseModel({ model: cascade({ file: 'x.model', boxScale: 0 }) }), (e) => e instanceof ModelSourceError && expected.test(e.message) && e.message.endsWith('found {"file":"x.model","boxScale":0}'));
  await assert.rejects(loadPoseModel({ model: cascade({ file: 'x.model', rounds: 1.5 }) }), (e) => e instanceof ModelSourceError && expected.test(e.message) && e.message.endsWith('found {"file":"x.model","rounds":1.5}'));
  await assert.rejects(loadPoseModel({ model: cascade({ file: 'x.model', roundFraction: 0 }) }), (e) => e instanceof ModelSourceError && expected.test(e.message));
});

test('finder rounds: the finder again on the square of side longer side ÷ roundFraction about its last box', async () => {
  const bytes = new Uint8Array(readFileSync(IMAGE));
  const finderFile = path.join(DEFAULT, 'deeppose-lsp14-lite', 'epoch-48.model');
  const twice = await loadPoseModel({ model: cascade({ file: finderFile, boxScale: 1.3, rounds: 1, roundFraction: 1 }) });
  try {
    // Round 0, as the finder computes it: stage 1 on the whole image, its joints' box × 1.3.
    const [whole] = await plain.predict([{ image: bytes, stages: 1 }]);
    const { width, height } = whole!.imageSize;
    const [x, y, w, h] = boxFromJoints(whole!.jointsPx, 1.3, whole!.imageSize)!;
    // Round 1 by hand: the square crop (side max(w, h) / 1 about the centre, clipped), stage 1 on it.
    const half = Math.max(w, h) / 1 / 2;
    const x0 = Math.trunc(Math.max(0, Math.min(width - 8, x + w / 2 - half)));
    const y0 = Math.trunc(Math.max(0, Math.min(height - 8, y + h / 2 - half)));
    const x1 = Math.trunc(Math.min(width, Math.max(x0 + 8, x + w / 2 + half)));
    const y1 = Math.trunc(Math.min(height, Math.max(y0 + 8, y + h / 2 + half)));
    // A given box whose legacy crop (1.5 × about its centre) is exactly [x0, y0, x1, y1].
    const bw = (x1 - x0) / 1.5;
    const bh = (y1 - y0) / 1.5;
    const [inCrop] = await plain.predict([{ image: bytes, stages: 1, bboxPx: [(x0 + x1) / 2 - bw / 2, (y0 + y1) / 2 - bh / 2, bw, bh] }]);
    assert.deepEqual(inCrop!.cropBoxXyxy, [x0, y0, x1, y1]);
    const expected = boxFromJoints(inCrop!.jointsPx, 1.3, whole!.imageSize)!;
    const [found] = await twice.predict([{ image: bytes, stages: 1 }]);
    assert.equal(found!.boxSource, 'found');
    found!.boxPx.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `box[${i}] ${v} vs ${expected[i]}`));
    assert.ok(found!.boxPx.some((v, i) => Math.abs(v - [x, y, w, h][i]!) > 0.5), `the second round moved the box: ${found!.boxPx} vs ${[x, y, w, h]}`);
  } finally {
    await twice.close();
  }
});

test('boxFromJoints: the joints\' box about its centre × scale, clipped to the image, at least 8 px; null without finite joints', () => {
  assert.deepEqual(boxFromJoints([[40, 50], [60, 90], [Number.NaN, 0]], 2, { width: 200, height: 200 }), [30, 30, 40, 80]);
  assert.deepEqual(boxFromJoints([[10, 10], [30, 20]], 3, { width: 50, height: 100 }), [0, 0, 50, 30]);
  assert.deepEqual(boxFromJoints([[100, 100], [100, 101]], 1, { width: 200, height: 200 }), [96, 96.5, 8, 8]);
  assert.equal(boxFromJoints([[Number.NaN, 1]], 1, { width: 10, height: 10 }), null);
});
