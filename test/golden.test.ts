/**
 * Golden values: the embedded default model's joints on vendored LSPET
 * images (stage 1 alone and the 2-stage cascade, with and without a person
 * box) through the library, `deeppose predict --json` and the pose JSON
 * builder, and `deeppose eval`'s scores on the vendored mini split. A
 * swapped x/y, a dropped refinement stage or a changed crop fails here.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadPoseModel, type PoseModel } from '../model/pose-model.js';
import { poseJson } from '../model/pose-json.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
const IMAGES = path.join(FIXTURES, 'lspet', 'images');
const TOLERANCE_PX = 0.05;

interface Golden {
  jointNames: string[];
  predictions: { image: string; stages: number; bboxPx: [number, number, number, number] | null; box?: 'auto' | 'whole'; boxPx?: [number, number, number, number]; jointsPx: [number, number][] }[];
}
const GOLDEN = JSON.parse(readFileSync(path.join(FIXTURES, 'golden', 'default-model-joints.json'), 'utf8')) as Golden;

function assertJointsNear(actual: readonly (readonly [number, number])[], expected: readonly [number, number][], label: string): void {
  assert.equal(actual.length, expected.length, label);
  actual.forEach(([x, y], i) => {
    const [ex, ey] = expected[i]!;
    assert.ok(Math.abs(x - ex) <= TOLERANCE_PX && Math.abs(y - ey) <= TOLERANCE_PX, `${label}, ${GOLDEN.jointNames[i]}: expected (${ex}, ${ey}) ± ${TOLERANCE_PX} px, found (${x}, ${y})`);
  });
}

let model: PoseModel;
before(async () => {
  process.env.DEEPPOSE_CACHE_DIR = env.DEEPPOSE_CACHE_DIR;
  model = await loadPoseModel();
});
after(async () => {
  await model?.close();
  tmp.cleanup();
});

test('library: the default model reproduces the golden joints (stage 1 and the cascade; whole image, a given box, the box it finds)', async () => {
  assert.deepEqual(model.info.jointNames, GOLDEN.jointNames);
  assert.equal(GOLDEN.predictions.length, 7);
  for (const g of GOLDEN.predictions) {
    const bytes = new Uint8Array(readFileSync(path.join(IMAGES, g.image)));
    const [p] = await model.predict([{ image: bytes, stages: g.stages, ...(g.bboxPx ? { bboxPx: g.bboxPx } : {}), ...(g.box ? { box: g.box } : {}) }]);
    const label = `${g.image}, ${g.stages} stage(s)${g.bboxPx ? `, box ${g.bboxPx}` : `, box ${g.box}`}`;
    assertJointsNear(p!.jointsPx, g.jointsPx, label);
    assert.equal(p!.stagesRun, g.stages);
    assert.equal(p!.boxSource, g.bboxPx ? 'given' : g.box === 'whole' ? 'whole' : 'found', label);
    if (g.boxPx) p!.boxPx.forEach((v, i) => assert.ok(Math.abs(v - g.boxPx![i]!) <= TOLERANCE_PX, `${label}: box[${i}] ${v} vs ${g.boxPx![i]}`));
    // The one JSON builder (CLI, service, queue): names in order, x = column, y = row.
    const doc = poseJson(p!, model.info.id, g.image);
    assertJointsNear(doc.joints.map((j) => [j.x, j.y] as [number, number]), g.jointsPx, `${label} (JSON)`);
    assert.deepEqual(doc.joints.map((j) => j.name), GOLDEN.jointNames);
  }
});

test('library: the golden joints again, all seven in one batch on two workers (split into parts, refinement on the workers), each in its own place', async () => {
  const wide = await loadPoseModel({ workers: 2, threads: 1 });
  try {
    // Twice over, reversed the second time: 14 requests, parts of mixed stages and box sources.
    const cases = [...GOLDEN.predictions, ...[...GOLDEN.predictions].reverse()];
    const out = await wide.predict(cases.map((g) => ({
      image: new Uint8Array(readFileSync(path.join(IMAGES, g.image))), stages: g.stages, ...(g.bboxPx ? { bboxPx: g.bboxPx } : {}), ...(g.box ? { box: g.box } : {}),
    })));
    assert.equal(out.length, cases.length);
    cases.forEach((g, i) => {
      const label = `batch item ${i}: ${g.image}, ${g.stages} stage(s), box ${g.bboxPx ?? g.box}`;
      assertJointsNear(out[i]!.jointsPx, g.jointsPx, label);
      assert.equal(out[i]!.stagesRun, g.stages, label);
      assert.equal(out[i]!.timingsMs.batch, cases.length, label);
      if (g.boxPx) out[i]!.boxPx.forEach((v, k) => assert.ok(Math.abs(v - g.boxPx![k]!) <= TOLERANCE_PX, `${label}: box[${k}] ${v} vs ${g.boxPx![k]}`));
    });
  } finally {
    await wide.close();
  }
});

test('the cascade moves the joints: stage 2 differs from stage 1 on the same image', () => {
  const s1 = GOLDEN.predictions.find((g) => g.image === 'im00001.jpg' && g.stages === 1)!;
  const s2 = GOLDEN.predictions.find((g) => g.image === 'im00001.jpg' && g.stages === 2)!;
  const moved = s1.jointsPx.reduce((a, [x, y], i) => a + Math.hypot(x - s2.jointsPx[i]![0], y - s2.jointsPx[i]![1]), 0) / s1.jointsPx.length;
  assert.ok(moved > 1, `mean move ${moved} px`);
});

test('CLI: deeppose predict --json prints the golden joints as {name, x, y}', async () => {
  const g = GOLDEN.predictions.find((p) => p.bboxPx && p.stages === 2)!;
  const { stdout } = await run(process.execPath, [CLI, 'predict', '--json', '--bbox', g.bboxPx!.join(','), path.join(IMAGES, g.image)], { env });
  const doc = JSON.parse(stdout.trim()) as { joints: { name: string; x: number; y: number }[]; boxPx: number[]; stages: number };
  assert.deepEqual(doc.boxPx, g.bboxPx);
  assert.equal(doc.stages, 2);
  assertJointsNear(doc.joints.map((j) => [j.x, j.y] as [number, number]), g.jointsPx, 'predict --json');
});

test('CLI: deeppose eval scores the vendored mini split exactly (stage 1 and the cascade)', async () => {
  // 16 LSPET legacy-test images, 133 scorable sticks: 20 strict-PCP hits with stage 1, 23 with the cascade.
  const expected = { 1: { strict: 20 / 133, pdj20: 0.1728395061728395 }, 2: { strict: 23 / 133, pdj20: 0.24074074074074073 } } as const;
  for (const stages of [1, 2] as const) {
    const out = path.join(tmp.dir, `eval-${stages}`);
    await run(process.execPath, [CLI, 'eval', '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-test', '--stages', String(stages), '--threads', '1', '--out', out], { env });
    const r = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { pcp: { strict: { total: number } }; pdj: { thresholds: number[]; curve: number[] } };
    assert.ok(Math.abs(r.pcp.strict.total - expected[stages].strict) < 1e-12, `stages ${stages}: strict PCP ${r.pcp.strict.total}`);
    assert.equal(r.pdj.thresholds[20], 0.2);
    assert.ok(Math.abs(r.pdj.curve[20]! - expected[stages].pdj20) < 1e-12, `stages ${stages}: PDJ@0.2 ${r.pdj.curve[20]}`);
  }
});
