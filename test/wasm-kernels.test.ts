/**
 * The WebAssembly kernels ship as generated TypeScript (data/transforms/NAME-wasm.ts,
 * data/jpeg/NAME-wasm.ts, base64): each must be exactly what its text (NAME.wat)
 * compiles to, so that what is reviewed is what runs (`npm run build:wasm`
 * regenerates them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/paths.js';

const DIRS = ['data/transforms', 'data/jpeg'];

test('every data/transforms/*.wat and data/jpeg/*.wat is embedded as its compiled bytes', async () => {
  const { compileWat } = (await import(pathToFileURL(path.join(ROOT, 'tools', 'wasm-compile.mjs')).href)) as { compileWat(file: string): Promise<Buffer> };
  const wats = DIRS.flatMap((d) => readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.wat')).sort().map((f) => path.join(d, f)));
  assert.deepEqual(wats, ['data/transforms/cv-resize.wat', 'data/transforms/planar-gcn.wat', 'data/transforms/square-crop.wat', 'data/jpeg/jpeg-decode.wat']);
  for (const file of wats) {
    const wasmTs = file.replace(/\.wat$/, '-wasm.ts');
    const compiled = (await compileWat(path.join(ROOT, file))).toString('base64');
    const embedded = /'([A-Za-z0-9+/=]+)'/.exec(readFileSync(path.join(ROOT, wasmTs), 'utf8'))?.[1];
    assert.equal(embedded, compiled, `${wasmTs} differs from ${file} compiled: run npm run build:wasm`);
  }
});
