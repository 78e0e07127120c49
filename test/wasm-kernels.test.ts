/**
 * The WebAssembly kernels ship as generated TypeScript (data/transforms/NAME-wasm.ts,
 * base64): each must be exactly what its text (NAME.wat) compiles to, so
 * that what is reviewed is what runs (`npm run build:wasm` regenerates them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/paths.js';

const DIR = path.join(ROOT, 'data', 'transforms');

test('every data/transforms/*.wat is embedded as its compiled bytes', async () => {
  const { compileWat } = (await import(pathToFileURL(path.join(ROOT, 'tools', 'wasm-compile.mjs')).href)) as { compileWat(file: string): Promise<Buffer> };
  const wats = readdirSync(DIR).filter((f) => f.endsWith('.wat')).sort();
  assert.deepEqual(wats, ['cv-resize.wat', 'planar-gcn.wat', 'square-crop.wat']);
  for (const file of wats) {
    const name = file.replace(/\.wat$/, '');
    const compiled = (await compileWat(path.join(DIR, file))).toString('base64');
    const embedded = /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(path.join(DIR, `${name}-wasm.ts`), 'utf8'))?.[1];
    assert.equal(embedded, compiled, `${name}-wasm.ts differs from ${file} compiled: run npm run build:wasm`);
  }
});
