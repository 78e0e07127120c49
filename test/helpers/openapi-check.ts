/**
 * Checks service responses against the OpenAPI description (app/openapi.ts):
 * the status must be documented for the operation, the Content-Type must be
 * one the response lists (or none when it lists none), and a JSON body must
 * validate against the response's schema (Ajv, JSON Schema 2020-12, as
 * OpenAPI 3.1 uses). The document itself is validated by
 * @seriousme/openapi-schema-validator.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../app/openapi.js';

type Operation = { responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

const doc = openApiDocument() as unknown as Doc;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(doc as unknown as object, 'openapi.json');

/** Validates the description itself; returns the validator's errors (empty when valid). */
export async function validateDescription(document: unknown = openApiDocument()): Promise<unknown[]> {
  const r = await new Validator().validate(document as Record<string, unknown>);
  return r.valid ? [] : Array.isArray(r.errors) ? r.errors : [r.errors];
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Every (path, method, status) a test saw, for coverage checks. */
export const seen = new Set<string>();

/**
 * Checks `r` (not consumed: a clone is read) as the answer to `method url`;
 * throws an assertion error naming what does not match the description.
 */
export async function checkResponse(method: string, url: string, r: Response): Promise<void> {
  const pathname = new URL(url, 'http://x').pathname;
  const op = doc.paths[pathname]?.[method.toLowerCase()];
  const status = String(r.status);
  if (!op) {
    // Undocumented routes must be errors of the documented shape (404/405).
    assert.ok(r.status === 404 || r.status === 405, `${method} ${pathname}: not in the description, answered ${status}`);
    await checkJson(`${method} ${pathname} ${status}`, r, { $ref: 'openapi.json#/components/schemas/Error' });
    return;
  }
  const resp = op.responses[status] ?? op.responses.default;
  assert.ok(resp, `${method} ${pathname}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`);
  seen.add(`${method.toUpperCase()} ${pathname} ${status}`);
  const type = (r.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!resp.content) {
    assert.equal((await r.clone().arrayBuffer()).byteLength, 0, `${method} ${pathname} ${status}: documented without content, got a body`);
    return;
  }
  assert.ok(type in resp.content, `${method} ${pathname} ${status}: Content-Type ${JSON.stringify(type)} is not documented (documented: ${Object.keys(resp.content).join(', ')})`);
  const statusKey = op.responses[status] ? status : 'default';
  if (type === 'application/json') {
    await checkJson(`${method} ${pathname} ${status}`, r, { $ref: `openapi.json#/${pointer('paths', pathname, method.toLowerCase(), 'responses', statusKey, 'content', type, 'schema')}` });
  }
  for (const h of Object.keys(resp.headers ?? {})) {
    if (h === 'Retry-After' || h === 'Allow') assert.ok(r.headers.get(h), `${method} ${pathname} ${status}: documented header ${h} missing`);
  }
}

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

async function checkJson(what: string, r: Response, schema: { $ref: string }): Promise<void> {
  const body = (await r.clone().json()) as unknown;
  let validate = compiled.get(schema.$ref);
  if (!validate) compiled.set(schema.$ref, (validate = ajv.compile(schema)));
  assert.ok(validate(body), `${what}: body does not match the description: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 400)}`);
}

/** fetch, then checkResponse; returns the (unconsumed) response. */
export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const r = await fetch(url, init);
  await checkResponse(init.method ?? 'GET', url, r);
  return r;
}
