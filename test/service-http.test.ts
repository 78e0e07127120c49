/** HTTP details of the service (issue 16 item 7, issue 18 items 5 and 7): Accept, repeated and non-decimal fields, favicon, the OpenAPI description. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApp } from '../app/server.js';
import { openApiDocument } from '../app/openapi.js';
import { FIXTURES } from './helpers/paths.js';
import { fakeModel } from './helpers/fake-model.js';
import { apiFetch, checkResponse, validateDescription } from './helpers/openapi-check.js';

const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));

let url = '';
let server: Server;
before(async () => {
  server = await new Promise<Server>((resolve) => {
    const s = createApp({ model: fakeModel(), log: () => undefined }).app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const jpeg = (q = '', headers: Record<string, string> = {}) => apiFetch(`${url}/v1/pose${q}`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg', ...headers } });

async function expectError(r: Response, status: number, code: string, message: string | RegExp): Promise<void> {
  const j = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(r.status, status, JSON.stringify(j));
  assert.equal(j.error.code, code);
  if (typeof message === 'string') assert.equal(j.error.message, message);
  else assert.match(j.error.message, message);
}

test('Accept: JSON by default, PNG or JPEG on request, 406 listing what can be produced otherwise', async () => {
  assert.equal((await jpeg('', { Accept: '*/*' })).headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal((await jpeg('', { Accept: 'image/png' })).headers.get('content-type'), 'image/png');
  assert.equal((await jpeg('', { Accept: 'image/jpeg' })).headers.get('content-type'), 'image/jpeg');
  assert.equal((await jpeg('', { Accept: 'image/png;q=0.5, application/json' })).headers.get('content-type'), 'application/json; charset=utf-8');
  await expectError(await jpeg('', { Accept: 'image/tiff' }), 406, 'E_NOT_ACCEPTABLE', 'Accept "image/tiff": this route produces application/json, image/png, image/jpeg');
  const o = await apiFetch(`${url}/v1/pose/overlay`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg', Accept: 'application/json' } });
  await expectError(o, 406, 'E_NOT_ACCEPTABLE', 'Accept "application/json": this route produces image/png, image/jpeg');
});

test('bbox and stages: once only (query or form), plain decimals only', async () => {
  const form = (fields: [string, string][]) => {
    const f = new FormData();
    f.append('image', new Blob([JPEG], { type: 'image/jpeg' }), 'p.jpg');
    for (const [k, v] of fields) f.append(k, v);
    return f;
  };
  const multi = (fields: [string, string][], q = '') => apiFetch(`${url}/v1/pose${q}`, { method: 'POST', body: form(fields) });
  await expectError(await multi([['bbox', '10,10,50,60'], ['bbox', '1,1,5,5']]), 400, 'E_INVALID_ARGUMENT',
    'bbox: expected one value (given in the query string or the form, once), found "2 values"');
  await expectError(await multi([['bbox', '10,10,50,60']], '?bbox=1,1,5,5'), 400, 'E_INVALID_ARGUMENT', /^bbox: expected one value .*, found "2 values"$/);
  await expectError(await multi([['stages', '1'], ['stages', '2']]), 400, 'E_INVALID_ARGUMENT', /^stages: expected one value .*, found "2 values"$/);
  await expectError(await jpeg('?bbox=1,1,5,5&bbox=1,1,5,5'), 400, 'E_INVALID_ARGUMENT', /^bbox: expected one value .*, found "2 values"$/);
  for (const bad of ['0x10,10,50,60', '0b1,10,50,60', '+1,10,50,60', '01,10,50,60', '1_0,10,50,60', '10,10,50,60.', '1,2,3,4,5', 'Infinity,1,1,1', '-,1,1,1']) {
    await expectError(await jpeg(`?bbox=${encodeURIComponent(bad)}`), 400, 'E_BBOX', `bbox: expected x,y,w,h in pixels (plain decimals) with w > 0 and h > 0, found ${JSON.stringify(bad)}`);
    await expectError(await multi([['bbox', bad]]), 400, 'E_BBOX', /\(plain decimals\)/);
  }
  for (const bad of ['0x1', '0b1', '+1', '01', '1.0', '1e0', ' 1', '3']) {
    await expectError(await jpeg(`?stages=${encodeURIComponent(bad)}`), 400, 'E_INVALID_ARGUMENT', `stages: expected an integer from 1 to 2 (plain decimal), found ${JSON.stringify(bad)}`);
  }
  // Plain decimals are fine, fractions and negative offsets included.
  const ok = await jpeg(`?bbox=${encodeURIComponent('0, 10.5, 50,60 ')}&stages=1`);
  assert.equal(ok.status, 200);
  assert.deepEqual(((await ok.json()) as { boxPx: number[] }).boxPx, [0, 10.5, 50, 60]);
  const okForm = await multi([['bbox', '10,10,50,60'], ['stages', '2']]);
  const j = (await okForm.json()) as { boxPx: number[]; stages: number };
  assert.deepEqual([j.boxPx, j.stages], [[10, 10, 50, 60], 2]);
});

test('favicon is answered 204, not 404', async () => {
  const r = await apiFetch(`${url}/favicon.ico`);
  assert.equal(r.status, 204);
  assert.equal((await r.arrayBuffer()).byteLength, 0);
});

test('/openapi.json is a valid OpenAPI 3.1 description, linked from the web page', async () => {
  const r = await apiFetch(`${url}/openapi.json`);
  const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(await validateDescription(doc), []);
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/', '/favicon.ico', '/healthz', '/metrics', '/openapi.json', '/readyz', '/v1/models', '/v1/pose', '/v1/pose/overlay']);
  // The validator is not vacuous: a broken document is refused.
  const broken = openApiDocument() as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> };
  delete (broken.paths['/v1/pose']!.post!.responses['200'] as { description?: string }).description;
  assert.notDeepEqual(await validateDescription(broken), []);
  const page = await (await apiFetch(`${url}/`)).text();
  assert.match(page, /href="openapi\.json"/);
});

test('the response checker refuses what the description does not say', async () => {
  const undocumentedStatus = new Response(JSON.stringify({ ok: true }), { status: 418, headers: { 'content-type': 'application/json' } });
  await assert.rejects(checkResponse('GET', '/healthz', undocumentedStatus), /status 418 is not documented/);
  const wrongBody = new Response(JSON.stringify({ ok: 'yes' }), { status: 200, headers: { 'content-type': 'application/json' } });
  await assert.rejects(checkResponse('GET', '/healthz', wrongBody), /body does not match the description/);
  const wrongType = new Response('<p>', { status: 200, headers: { 'content-type': 'text/html' } });
  await assert.rejects(checkResponse('POST', '/v1/pose', wrongType), /Content-Type "text\/html" is not documented/);
  const swapped = new Response(JSON.stringify({ error: { code: 'E_SOMETHING_NEW', message: 'x' } }), { status: 400, headers: { 'content-type': 'application/json' } });
  await assert.rejects(checkResponse('POST', '/v1/pose', swapped), /body does not match/);
});

test('?overlay=svg: one answer with the joints and the skeleton layer (the web page\'s single request)', async () => {
  const r = await jpeg('?overlay=svg&bbox=10,20,100,200');
  assert.equal(r.status, 200);
  const j = (await r.json()) as { overlaySvg: string; joints: { x: number; y: number }[] };
  assert.match(j.overlaySvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="320" height="427"/);
  assert.match(j.overlaySvg, /<rect x="10" y="20" width="100" height="200"/);
  assert.equal(j.joints.length, 14);
  await expectError(await jpeg('?overlay=png'), 400, 'E_INVALID_ARGUMENT', 'overlay: expected "svg" (the skeleton as an SVG layer in the JSON), found "png"');
});
