/**
 * core/buffer-pool.ts: a released buffer comes back for the same length,
 * never for another; views and detached buffers are not taken back; the
 * pool keeps at most its limit per length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Float32BufferPool } from '../core/buffer-pool.js';

test('a released buffer is reused for its own length only, up to the limit', () => {
  const pool = new Float32BufferPool(2);
  const a = pool.acquire(12);
  assert.equal(a.length, 12);
  const b = pool.acquire(12);
  assert.notEqual(a, b, 'two buffers in use at once are distinct');
  pool.release(a);
  assert.notEqual(pool.acquire(8), a, 'another length gets a fresh buffer');
  assert.equal(pool.acquire(12), a, 'the released one comes back');
  assert.notEqual(pool.acquire(12), a, 'and only once');
  const [c, d, e] = [pool.acquire(5), pool.acquire(5), pool.acquire(5)];
  pool.release(c);
  pool.release(c);
  pool.release(d);
  pool.release(e);
  const back = [pool.acquire(5), pool.acquire(5), pool.acquire(5)];
  assert.deepEqual([back[0] === d, back[1] === c], [true, true], 'kept in release order, last out first');
  assert.ok(back[2] !== c && back[2] !== d && back[2] !== e, 'at most 2 kept per length, and a double release counts once');
});

test('views into a larger buffer and transferred (detached) buffers are not taken back', () => {
  const pool = new Float32BufferPool();
  const whole = new Float32Array(16);
  pool.release(whole.subarray(0, 8));
  assert.notEqual(pool.acquire(8).buffer, whole.buffer);
  const sent = pool.acquire(4);
  structuredClone(sent.buffer, { transfer: [sent.buffer as ArrayBuffer] });
  assert.equal(sent.length, 0, 'detached');
  pool.release(sent);
  assert.equal(pool.acquire(4).length, 4);
});
