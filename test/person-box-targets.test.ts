/**
 * Person-box targets (data/person-box-targets.ts): the box's corners and
 * edge midpoints on the LSP joints, right-side joints on its left edge; the
 * flip augmentation's mirror-and-swap maps a box's targets to the mirrored
 * box's; `train --targets person-box` refuses what a finder cannot be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { personBoxTargets, withPersonBoxTargets } from '../data/person-box-targets.js';
import { SKELETONS } from '../data/skeletons.js';
import type { PoseDataset } from '../data/dataset.js';
import { cliRunner } from './helpers/cli.js';
import { FIXTURES } from './helpers/paths.js';
import path from 'node:path';

test('LSP targets: hand-computed for the box 10,20 – 50,100', () => {
  const t = personBoxTargets([10, 20, 50, 100], SKELETONS.lsp14);
  assert.deepEqual(t, [
    [10, 100], [10, 100], [10, 60], [50, 60], [50, 100], [50, 100], // right ankle, knee, hip; left hip, knee, ankle
    [10, 20], [10, 60], [10, 20], [50, 20], [50, 60], [50, 20], // right wrist, elbow, shoulder; left shoulder, elbow, wrist
    [30, 20], [30, 100], // neck, head top
  ]);
});

test('mirroring the image and swapping the left/right pairs gives the mirrored box\'s targets (lsp14, mpii16, flic7)', () => {
  const W = 300;
  for (const skeleton of [SKELETONS.lsp14, SKELETONS.mpii16, SKELETONS.flic7]) {
    const box: [number, number, number, number] = [40, 15, 170, 260];
    const t = personBoxTargets(box, skeleton);
    const mirrored = t.map(([x, y]) => [W - x, y] as [number, number]);
    for (const [a, b] of skeleton.flipPairs) [mirrored[a], mirrored[b]] = [mirrored[b]!, mirrored[a]!];
    assert.deepEqual(mirrored, personBoxTargets([W - box[2], box[1], W - box[0], box[3]], skeleton), skeleton.id);
    // Their extent is the box.
    const xs = t.map((p) => p[0]);
    const ys = t.map((p) => p[1]);
    assert.deepEqual([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], box, skeleton.id);
  }
});

test('withPersonBoxTargets: the annotated joints\' box, every target visible; a sample without annotated joints is left out', () => {
  const s = (index: number, visible: boolean[]) => ({
    index, image: `${index}.jpg`, imagePath: `/x/${index}.jpg`, visible,
    jointsPx: SKELETONS.lsp14.joints.map((_, j) => [5 + 10 * j, 200 - 7 * j] as [number, number]),
  });
  const ds: PoseDataset = { dir: '/x', split: 's', skeleton: SKELETONS.lsp14, annotationSource: 'test', samples: [s(0, SKELETONS.lsp14.joints.map((_, j) => j >= 2 && j <= 9)), s(1, SKELETONS.lsp14.joints.map(() => false))] };
  const out = withPersonBoxTargets(ds);
  assert.equal(out.samples.length, 1);
  // Joints 2…9 annotated: x 25…95, y 186…137.
  assert.deepEqual(out.samples[0]!.jointsPx, personBoxTargets([25, 137, 95, 186], SKELETONS.lsp14));
  assert.deepEqual(out.samples[0]!.visible, SKELETONS.lsp14.joints.map(() => true));
  assert.equal(out.annotationSource, 'test, as person-box targets');
});

test('BAD CALL: train --targets person-box needs stage 1 on whole frames', async () => {
  const cli = cliRunner({ env: process.env, cwd: process.cwd() });
  const r = await cli('train', '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-train', '--targets', 'person-box', '--epochs', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--targets: expected joints, or person-box with --stage 1 and --box-from whole \(a person finder sees whole frames\), found "person-box with --stage 1 --box-from visible"/);
});
