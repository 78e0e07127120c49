/**
 * The WebAssembly kernels ship as generated TypeScript (data/transforms/NAME-wasm.ts,
 * base64): each must be exactly what its text (NAME.wat) compiles to, so
 * that what is reviewed is what runs (`npm run build:wasm` regenerates them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './helpers/paths.js';

const DIR = path.join(ROOT, 'data', 'transforms');

type Wabt = { parseWat(name: string, text: string, features: object): { validate(): void; toBinary(o: object): { buffer: Uint8Array }; destroy(): void } };

test('every data/transforms/*.wat is embedded as its compiled bytes', async () => {
  const wabt = await (createRequire(import.meta.url)('wabt') as () => Promise<Wabt>)();
  const wats = readdirSync(DIR).filter((f) => f.endsWith('.wat')).sort();
  assert.deepEqual(wats, ['cv-resize.wat', 'square-crop.wat']);
  for (const file of wats) {
    const name = file.replace(/\.wat$/, '');
    const mod = wabt.parseWat(file, readFileSync(path.join(DIR, file), 'utf8'), { simd: true });
    mod.validate();
    const compiled = Buffer.from(mod.toBinary({}).buffer).toString('base64');
    mod.destroy();
    const generated = readFileSync(path.join(DIR, `${name}-wasm.ts`), 'utf8');
    const embedded = /'([A-Za-z0-9+/=]+)'/.exec(generated)?.[1];
    assert.equal(embedded, compiled, `${name}-wasm.ts differs from ${file} compiled: run npm run build:wasm`);
  }
});
