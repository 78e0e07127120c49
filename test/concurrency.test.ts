/**
 * core/concurrency.ts: mapLimit keeps its limit and its order and rejects
 * only after the calls it started have ended; settleAll waits for every
 * promise before rejecting with the first by position; splitEvenly covers
 * 0 … n−1 once, in order, in runs differing by at most one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapLimit, settleAll, splitEvenly } from '../core/concurrency.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('mapLimit: at most `limit` in flight, results in item order', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([30, 5, 20, 1, 10], 2, async (ms, i) => {
    peak = Math.max(peak, ++inFlight);
    await tick(ms);
    inFlight--;
    return i * 10;
  });
  assert.deepEqual(out, [0, 10, 20, 30, 40]);
  assert.equal(peak, 2);
});

test('mapLimit: after a failure no call starts, and it rejects once the started ones have ended', async () => {
  const ended: number[] = [];
  const started: number[] = [];
  await assert.rejects(mapLimit([0, 1, 2, 3, 4], 2, async (i) => {
    started.push(i);
    if (i === 0) throw new Error('item 0 failed');
    await tick(40);
    ended.push(i);
  }), /item 0 failed/);
  assert.deepEqual(started, [0, 1], 'no new call after the failure');
  assert.deepEqual(ended, [1], 'the call already running ended before the rejection');
});

test('settleAll: values in order; a rejection only after every promise settled, the first by position', async () => {
  assert.deepEqual(await settleAll([tick(10).then(() => 'a'), Promise.resolve('b')]), ['a', 'b']);
  let slowDone = false;
  await assert.rejects(settleAll([
    tick(30).then(() => { slowDone = true; }),
    tick(5).then(() => { throw new Error('second'); }),
    Promise.reject(new Error('third')),
  ]), /^Error: second$/);
  assert.equal(slowDone, true);
});

test('splitEvenly: every index once, in order, runs differing by at most one, never empty', () => {
  assert.deepEqual(splitEvenly(16, 4), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]);
  assert.deepEqual(splitEvenly(7, 3).map((r) => r.length), [2, 3, 2]);
  assert.deepEqual(splitEvenly(2, 5), [[0], [1]]);
  assert.deepEqual(splitEvenly(1, 1), [[0]]);
  for (let n = 1; n <= 20; n++) {
    for (let p = 1; p <= 8; p++) {
      const runs = splitEvenly(n, p);
      assert.deepEqual(runs.flat(), Array.from({ length: n }, (_, i) => i), `${n} in ${p}`);
      const sizes = runs.map((r) => r.length);
      assert.ok(Math.min(...sizes) >= 1 && Math.max(...sizes) - Math.min(...sizes) <= 1, `${n} in ${p}: ${sizes}`);
    }
  }
});
