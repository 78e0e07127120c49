/** The pose service over HTTP: API, bad input, limits, queueing, timeouts, robustness. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { createApp } from '../app/server.js';
import { FIXTURES } from './helpers/paths.js';
import { fakeModel } from './helpers/fake-model.js';
import { apiFetch } from './helpers/openapi-check.js';

const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));

async function listen(app: import('express').Express): Promise<{ url: string; server: Server }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${a.port}`, server });
    });
  });
}

let base: { url: string; server: Server };
const model = fakeModel();
before(async () => {
  base = await listen(createApp({ model, maxBodyBytes: 1024 * 1024, maxPixels: 4_000_000, log: () => undefined }).app);
});
after(() => new Promise<void>((r) => base.server.close(() => r())));

const post = (p: string, body: Buffer | string | FormData | undefined, headers: Record<string, string> = {}) => apiFetch(`${base.url}${p}`, { method: 'POST', body, headers });

async function expectError(r: Response, status: number, code: string, message: RegExp): Promise<void> {
  assert.equal(r.status, status);
  const j = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(j.error.code, code);
  assert.match(j.error.message, message);
}

test('POST /v1/pose with a raw JPEG returns joints with names in pixels', async () => {
  const r = await post('/v1/pose?bbox=100,120,80,100&stages=1', JPEG, { 'Content-Type': 'image/jpeg' });
  assert.equal(r.status, 200);
  const j = (await r.json()) as { model: string; imageSize: { width: number }; boxPx: number[]; joints: { name: string; x: number; y: number }[]; stages: number };
  assert.equal(j.model, 'fake@000000000000');
  assert.deepEqual(j.imageSize, { width: 320, height: 427 });
  assert.deepEqual(j.boxPx, [100, 120, 80, 100]);
  assert.equal(j.joints.length, 14);
  assert.equal(j.joints[0]!.name, 'rightAnkle');
  assert.equal(j.stages, 1);
});

test('multipart with form fields, and overlay images by route or Accept', async () => {
  const form = new FormData();
  form.append('image', new Blob([JPEG], { type: 'image/jpeg' }), 'p.jpg');
  form.append('bbox', '10,10,50,60');
  const r = await post('/v1/pose', form);
  assert.equal(r.status, 200);
  assert.deepEqual(((await r.json()) as { boxPx: number[] }).boxPx, [10, 10, 50, 60]);
  const o = await post('/v1/pose/overlay', JPEG, { 'Content-Type': 'image/jpeg' });
  assert.equal(o.headers.get('content-type'), 'image/png');
  const meta = await sharp(Buffer.from(await o.arrayBuffer())).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 427]);
  const a = await post('/v1/pose', JPEG, { 'Content-Type': 'image/jpeg', Accept: 'image/jpeg' });
  assert.equal(a.headers.get('content-type'), 'image/jpeg');
});

test('bad input gets JSON errors with the right status', async () => {
  await expectError(await post('/v1/pose', 'hello', { 'Content-Type': 'text/plain' }), 415, 'E_UNSUPPORTED_MEDIA_TYPE', /text\/plain/);
  await expectError(await post('/v1/pose', undefined, { 'Content-Type': 'image/jpeg' }), 400, 'E_EMPTY_BODY', /no image|empty/);
  await expectError(await post('/v1/pose', 'not a jpeg', { 'Content-Type': 'image/jpeg' }), 400, 'E_IMAGE_DECODE', /not a readable image/);
  await expectError(await post('/v1/pose', JPEG.subarray(0, 4000), { 'Content-Type': 'image/jpeg' }), 400, 'E_IMAGE_DECODE', /corrupt or truncated/);
  await expectError(await post('/v1/pose', Buffer.alloc(2 * 1024 * 1024), { 'Content-Type': 'image/png' }), 413, 'E_BODY_TOO_LARGE', /exceeds the limit/);
  const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000' } }).png().toBuffer();
  await expectError(await post('/v1/pose', bomb, { 'Content-Type': 'image/png' }), 413, 'E_IMAGE_TOO_LARGE', /9000000 pixels exceeds the limit of 4000000/);
  const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).gif().toBuffer();
  await expectError(await post('/v1/pose', gif, { 'Content-Type': 'image/png' }), 415, 'E_IMAGE_FORMAT', /gif images are not supported/);
  await expectError(await post('/v1/pose?bbox=1,2,3', JPEG, { 'Content-Type': 'image/jpeg' }), 400, 'E_BBOX', /^bbox: expected x,y,w,h in pixels \(plain decimals\) with w > 0 and h > 0, found "1,2,3"$/);
  await expectError(await post('/v1/pose?bbox=300,400,100,100', JPEG, { 'Content-Type': 'image/jpeg' }), 400, 'E_BBOX', /outside the 320×427 image/);
  await expectError(await post('/v1/pose?stages=7', JPEG, { 'Content-Type': 'image/jpeg' }), 400, 'E_INVALID_ARGUMENT', /^stages: expected an integer from 1 to 2 \(plain decimal\), found "7"$/);
  await expectError(await apiFetch(`${base.url}/v1/pose`), 405, 'E_METHOD_NOT_ALLOWED', /GET \/v1\/pose/);
  await expectError(await apiFetch(`${base.url}/no/such/route`), 404, 'E_NOT_FOUND', /no such route/);
});

test('hundreds of malformed bodies never take the service down', async () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const types = ['image/jpeg', 'image/png', 'image/webp', 'multipart/form-data; boundary=x', 'multipart/form-data', 'application/json', ''];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const kind = i % 4;
    const len = Math.floor(rnd() * 3000);
    let body: Buffer;
    if (kind === 0) body = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
    else if (kind === 1) body = JPEG.subarray(0, Math.floor(rnd() * JPEG.length));
    else if (kind === 2) body = Buffer.concat([JPEG.subarray(0, 600), Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)))]);
    else body = Buffer.from(`--x\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\n${'z'.repeat(len)}`);
    const type = types[Math.floor(rnd() * types.length)]!;
    const q = rnd() < 0.2 ? `?bbox=${encodeURIComponent(String(rnd()))}` : '';
    const r = await post(`/v1/pose${q}`, body, type ? { 'Content-Type': type } : {});
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    await r.arrayBuffer();
    assert.ok(r.status < 500, `malformed body ${i} answered ${r.status}`);
  }
  assert.ok((statuses.get(400) ?? 0) > 50);
  const ok = await post('/v1/pose', JPEG, { 'Content-Type': 'image/jpeg' });
  assert.equal(ok.status, 200);
  assert.equal((await apiFetch(`${base.url}/healthz`)).status, 200);
});

test('concurrent requests are micro-batched; a full queue answers 503 with Retry-After; slow inference 504', async () => {
  const slow = fakeModel({ delayMs: 150 });
  const s = await listen(createApp({ model: slow, maxQueue: 4, maxBatch: 16, log: () => undefined }).app);
  try {
    const rs = await Promise.all(Array.from({ length: 10 }, () => apiFetch(`${s.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } })));
    const codes = rs.map((r) => r.status);
    assert.ok(codes.includes(200));
    const refused = rs.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, `some refused: ${codes}`);
    assert.equal(refused[0]!.headers.get('retry-after'), '1');
    assert.equal(((await refused[0]!.json()) as { error: { code: string } }).error.code, 'E_QUEUE_FULL');
    assert.ok(Math.max(...slow.batches) > 1, `batches ${slow.batches}`);
  } finally {
    await new Promise<void>((r) => s.server.close(() => r()));
  }
  const stuck = await listen(createApp({ model: fakeModel({ never: true }), timeoutMs: 200, log: () => undefined }).app);
  try {
    await expectError(await apiFetch(`${stuck.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } }), 504, 'E_TIMEOUT', /within 200 ms/);
  } finally {
    stuck.server.closeAllConnections();
    await new Promise<void>((r) => stuck.server.close(() => r()));
  }
});

test('readiness, models, metrics and the web page', async () => {
  let loaded: ReturnType<typeof fakeModel> | undefined;
  const s = await listen(createApp({ model: () => loaded, log: () => undefined }).app);
  try {
    assert.equal((await apiFetch(`${s.url}/readyz`)).status, 503);
    await expectError(await apiFetch(`${s.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } }), 503, 'E_NOT_READY', /still loading/);
    loaded = fakeModel();
    assert.deepEqual(await (await apiFetch(`${s.url}/readyz`)).json(), { ready: true, model: 'fake@000000000000' });
    const models = (await (await apiFetch(`${s.url}/v1/models`)).json()) as { models: { id: string; jointNames: string[] }[] };
    assert.equal(models.models[0]!.jointNames.length, 14);
    await apiFetch(`${s.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } });
    const metrics = await (await apiFetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /deeppose_http_requests_total\{route="\/v1\/pose",method="POST",status="200"\} 1/);
    assert.match(metrics, /deeppose_http_request_duration_ms_bucket\{route="\/v1\/pose",le="\+Inf"\} 2/);
    assert.match(metrics, /deeppose_queue_depth 0/);
    assert.match(metrics, /deeppose_inference_duration_ms_count 1/);
    const page = await apiFetch(`${s.url}/`);
    assert.match(await page.text(), /Choose or drop a photo/);
  } finally {
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});

test('--stages: the depth a request runs when it names none; a request can still ask for more', async () => {
  const s = await listen(createApp({ model: fakeModel(), defaultStages: 1, log: () => undefined }).app);
  try {
    const ask = async (q: string) => ((await (await apiFetch(`${s.url}/v1/pose${q}`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } })).json()) as { stages: number }).stages;
    assert.equal(await ask(''), 1);
    assert.equal(await ask('?stages=2'), 2);
  } finally {
    await new Promise<void>((r) => s.server.close(() => r()));
  }
  const all = await post('/v1/pose', JPEG, { 'Content-Type': 'image/jpeg' });
  assert.equal(((await all.json()) as { stages: number }).stages, 2);
});
