import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLIC7, LSP14, MPII16, SKELETONS, flipPermutation, skeletonForJointCount } from '../data/skeletons.js';

test('every skeleton table is internally consistent', () => {
  for (const s of Object.values(SKELETONS)) {
    assert.equal(s.sides.length, s.joints.length, s.id);
    for (const l of s.limbs) {
      for (const j of [...l.from, ...l.to]) assert.ok(j >= 0 && j < s.joints.length, `${s.id} ${l.name}`);
      assert.match(l.colour, /^#[0-9a-f]{6}$/);
    }
    for (const [a, b] of s.flipPairs) {
      assert.equal(s.joints[a]!.replace(/^right/, ''), s.joints[b]!.replace(/^left/, ''), `${s.id} pair ${a},${b}`);
    }
    const perm = flipPermutation(s);
    assert.deepEqual(perm.map((p) => perm[p]), s.joints.map((_, i) => i), 'flip is an involution');
  }
});

test('LSP14 follows the dataset order and the paper torso', () => {
  assert.equal(LSP14.joints[0], 'rightAnkle');
  assert.equal(LSP14.joints[13], 'headTop');
  assert.deepEqual(LSP14.torso, [2, 9]);
  assert.equal(LSP14.limbs.filter((l) => l.pcp).length, 10);
  assert.deepEqual(flipPermutation(LSP14).slice(0, 6), [5, 4, 3, 2, 1, 0]);
  assert.equal(skeletonForJointCount(14), LSP14);
  assert.equal(skeletonForJointCount(16), MPII16);
  assert.equal(skeletonForJointCount(7), FLIC7);
  assert.equal(skeletonForJointCount(5), undefined);
});
