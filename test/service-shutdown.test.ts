/**
 * Shutdown of the service (issue 16 item 1), on a fake model: after close()
 * begins, responses carry `Connection: close`, idle keep-alive sockets are
 * closed, new requests get 503, the model is closed only once no inference
 * runs, and a client that keeps sending cannot hold the exit past the drain time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startService, type ServiceHandle } from '../app/server.js';
import type { ServedModel } from '../app/model-port.js';
import { FIXTURES } from './helpers/paths.js';
import { fakeModel } from './helpers/fake-model.js';
import { checkResponse } from './helpers/openapi-check.js';

const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));

/** A fake model that records whether predict ever ran on it after close(). */
function watchedModel(delayMs: number): ServedModel & { events: string[] } {
  const inner = fakeModel({ delayMs });
  const events: string[] = [];
  let closed = false;
  return {
    ...inner,
    events,
    async predict(reqs) {
      events.push(closed ? 'predict-after-close' : 'predict');
      const r = await inner.predict(reqs);
      events.push(closed ? 'done-after-close' : 'done');
      return r;
    },
    async close() {
      closed = true;
      events.push('close');
    },
  };
}

async function start(model: ServedModel, drainMs: number): Promise<{ service: ServiceHandle; url: string }> {
  const service = await startService({ port: 0, host: '127.0.0.1', drainMs, loadModel: async () => model, log: () => undefined });
  await service.ready;
  return { service, url: `http://127.0.0.1:${service.port}` };
}

/** A raw HTTP/1.1 exchange on one socket; resolves with the response head and body when the socket ends. */
function rawSocket(port: number): { socket: net.Socket; text: Promise<string>; closed: Promise<number> } {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => undefined);
  const t0 = Date.now();
  const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - t0)));
  return { socket, text: closed.then(() => data), closed };
}

test('close(): in-flight answered with Connection: close, idle keep-alive sockets closed, new requests 503, model closed after the last inference', async () => {
  const model = watchedModel(300);
  const { service, url } = await start(model, 5000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
  // An idle keep-alive socket: one answered request, the socket kept open.
  const idle = await new Promise<{ closed: Promise<void> }>((resolve, reject) => {
    http.get(`${url}/healthz`, { agent }, (res) => {
      assert.equal(res.headers.connection, 'keep-alive');
      const socket = res.socket;
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      res.resume();
      res.on('end', () => resolve({ closed }));
    }).on('error', reject);
  });
  const inflight = fetch(`${url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } });
  // A client in the middle of sending its request headers when shutdown begins.
  const port = service.port;
  const late = rawSocket(port);
  late.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  while (!model.events.includes('predict')) await new Promise((r) => setTimeout(r, 5));
  const t0 = Date.now();
  const closing = service.close();
  await idle.closed;
  assert.ok(Date.now() - t0 < 200, `the idle keep-alive socket is closed at once (${Date.now() - t0} ms)`);
  late.socket.write('\r\n');
  const lateText = await late.text;
  assert.match(lateText, /^HTTP\/1\.1 503 /);
  assert.match(lateText, /\r\nconnection: close\r\n/i);
  assert.match(lateText, /"code":"E_SHUTTING_DOWN"/);
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('connection'), 'close');
  await checkResponse('POST', '/v1/pose', r);
  assert.equal(((await r.json()) as { joints: unknown[] }).joints.length, 14);
  assert.equal(await closing, true);
  assert.deepEqual(model.events, ['predict', 'done', 'close']);
  await assert.rejects(fetch(`${url}/healthz`), /fetch failed/);
  } finally {
    agent.destroy();
    await service.close();
  }
});

test('a client that keeps sending cannot hold the exit past the drain time', async () => {
  const model = watchedModel(10);
  const { service } = await start(model, 300);
  // An upload that never ends: a chunk every 50 ms.
  const s = rawSocket(service.port);
  s.socket.write('POST /v1/pose HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n');
  const timer = setInterval(() => s.socket.write('1\r\nx\r\n'), 50);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const drained = await service.close();
  const ms = Date.now() - t0;
  clearInterval(timer);
  assert.equal(drained, false);
  assert.ok(ms >= 280 && ms < 1500, `closed after ${ms} ms (drain time 300 ms)`);
  await s.closed;
  assert.deepEqual(model.events, ['close']);
});

test('a shutdown during model loading closes the model when it arrives and never serves it', async () => {
  let resolveLoad!: (m: ServedModel) => void;
  const model = watchedModel(0);
  const service = await startService({ port: 0, host: '127.0.0.1', drainMs: 200, loadModel: () => new Promise((r) => (resolveLoad = r)), log: () => undefined });
  const r = await fetch(`http://127.0.0.1:${service.port}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } });
  assert.equal(r.status, 503);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'E_NOT_READY');
  const closing = service.close();
  resolveLoad(model);
  await closing;
  await service.ready.catch(() => undefined);
  assert.deepEqual(model.events, ['close']);
});
