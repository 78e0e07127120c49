/**
 * Memory bounded by configuration (issue 16 item 2), on a fake model: bodies
 * cut off with 413 as they stream, a byte budget for bodies held at once
 * (503 beyond, the body read and dropped), a pixel budget for images being
 * decoded (they wait in a bounded line, 503 beyond), truncated images refused
 * from their size before decoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApp, type AppOptions } from '../app/server.js';
import { Budget } from '../app/budget.js';
import { BusyError } from '../app/errors.js';
import { endlessChunked } from '../bench/service-attacks.js';
import { FIXTURES } from './helpers/paths.js';
import { fakeModel } from './helpers/fake-model.js';
import { apiFetch } from './helpers/openapi-check.js';

const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg')); // 320×427
const BOMBS = path.join(FIXTURES, 'service-bombs');

async function withApp(options: Omit<AppOptions, 'log'>, fn: (url: string, port: number) => Promise<void>): Promise<void> {
  const server = await new Promise<Server>((resolve) => {
    const s = createApp({ ...options, log: () => undefined }).app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  try {
    await fn(`http://127.0.0.1:${port}`, port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function errorOf(r: Response): Promise<[number, string, string]> {
  const j = (await r.json()) as { error: { code: string; message: string } };
  return [r.status, j.error.code, j.error.message];
}

test('an endless chunked upload is cut off with 413 as soon as it passes the limit', async () => {
  await withApp({ model: fakeModel(), maxBodyBytes: 1024 * 1024 }, async (_url, port) => {
    const r = await endlessChunked(port, 10);
    assert.equal(r.status, '413');
    assert.ok(r.seconds < 3, `413 after ${r.seconds} s`);
    // Socket buffers let the client write more than the limit before the answer; not gigabytes.
    assert.ok(r.bytesSent < 64 * 1024 * 1024, `${r.bytesSent} bytes sent before the 413`);
  });
});

test('the 413 reaches an endless upload that reads its socket only a second later (the server half-closes, no reset)', async () => {
  await withApp({ model: fakeModel(), maxBodyBytes: 1024 * 1024 }, async (_url, port) => {
    const r = await endlessChunked(port, 10, 1000);
    assert.equal(r.status, '413');
  });
});

test('a declared Content-Length over the limit: 413 before reading', async () => {
  await withApp({ model: fakeModel(), maxBodyBytes: 1000 }, async (url) => {
    const r = await apiFetch(`${url}/v1/pose`, { method: 'POST', body: Buffer.alloc(5000), headers: { 'Content-Type': 'image/jpeg' } });
    assert.deepEqual(await errorOf(r), [413, 'E_BODY_TOO_LARGE', 'request body of 5000 bytes exceeds the limit of 1000 bytes']);
  });
});

test('bodies held at once are bounded by the byte budget: 503 E_BUSY with Retry-After beyond, and the client still reads it', async () => {
  const model = fakeModel({ delayMs: 1000 });
  await withApp({ model, maxBodyBytes: 100_000, maxBufferedBytes: 2 * JPEG.length }, async (url) => {
    const rs = await Promise.all(Array.from({ length: 6 }, () => apiFetch(`${url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } })));
    const codes = rs.map((r) => r.status).sort();
    assert.deepEqual(codes, [200, 200, 503, 503, 503, 503]);
    const busy = rs.find((r) => r.status === 503)!;
    assert.equal(busy.headers.get('retry-after'), '1');
    const [, code, message] = await errorOf(busy);
    assert.equal(code, 'E_BUSY');
    assert.equal(message, `request bytes being buffered: ${2 * JPEG.length} of ${2 * JPEG.length} in use, ${JPEG.length} more do not fit; retry shortly`);
  });
});

test('images being decoded are bounded by the pixel budget: the rest wait in line (503 beyond the line)', async () => {
  const pixels = 320 * 427;
  const model = fakeModel({ delayMs: 500 });
  await withApp({ model, maxDecodePixels: pixels, maxQueue: 2 }, async (url) => {
    const rs = await Promise.all(Array.from({ length: 5 }, () => apiFetch(`${url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 503, 503]);
    // One image's pixels at a time: never batched together.
    assert.deepEqual(model.batches, [1, 1, 1]);
    const [, code, message] = await errorOf(rs.find((r) => r.status === 503)!);
    assert.equal(code, 'E_BUSY');
    assert.match(message, /^image pixels being decoded: 136640 of 136640 in use and 2 requests waiting; retry shortly$/);
  });
});

test('a truncated JPEG whose header claims 6000×6600 is refused (400) before decoding', async () => {
  const model = fakeModel();
  await withApp({ model }, async (url) => {
    const r = await apiFetch(`${url}/v1/pose`, { method: 'POST', body: readFileSync(path.join(BOMBS, 'truncated-6000x6600.jpg')), headers: { 'Content-Type': 'image/jpeg' } });
    assert.deepEqual(await errorOf(r), [400, 'E_IMAGE_DECODE', 'image: truncated or corrupt: 5120 bytes cannot hold a 6000×6600 JPEG (an intact one has at least 77343 bytes)']);
    assert.deepEqual(model.batches, []);
  });
});

test('Budget: FIFO line, release wakes the next, a wait that is too long is refused', async () => {
  const b = new Budget({ capacity: 10, what: 'units', maxWaiting: 2, maxWaitMs: 100 });
  const r1 = b.tryTake(6);
  assert.throws(() => b.tryTake(5), (e) => e instanceof BusyError && e.code === 'E_BUSY' && e.message === 'units: 6 of 10 in use, 5 more do not fit; retry shortly');
  const order: string[] = [];
  const p2 = b.take(5).then((r) => (order.push('a'), r));
  const p3 = b.take(4).then((r) => (order.push('b'), r));
  await assert.rejects(b.take(1), /units: 6 of 10 in use and 2 requests waiting/);
  r1();
  (await p2)();
  (await p3)();
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(b.inUse, 0);
  const hold = b.tryTake(10);
  await assert.rejects(b.take(1), (e) => e instanceof BusyError && e.message === 'units: waited 100 ms for 1 to be free; retry shortly');
  hold();
  // One taker larger than the whole budget runs alone.
  const huge = await b.take(50);
  assert.equal(b.inUse, 50);
  huge();
});

test('clients that leave while waiting for pixels give them back: the service still answers afterwards', async () => {
  const model = fakeModel({ delayMs: 300 });
  await withApp({ model, maxDecodePixels: 320 * 427, maxQueue: 50 }, async (url) => {
    const gone = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' }, signal: AbortSignal.timeout(100) }).then(() => 'answered', () => 'left')));
    assert.ok(gone.filter((g) => g === 'left').length >= 4, JSON.stringify(gone));
    await new Promise((r) => setTimeout(r, 2500)); // the waiting ones are granted in turn and find their client gone
    const r = await apiFetch(`${url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' }, signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 200);
  });
});
