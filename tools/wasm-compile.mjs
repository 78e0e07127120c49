// Compiling a WebAssembly text file with wabt (a dev dependency): shared by
// tools/build-wasm.mjs, which embeds the bytes, and test/wasm-kernels.test.ts,
// which checks that what is embedded is what the text compiles to.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

let wabt;

/** The module bytes `file` (a .wat path) compiles to, with the SIMD feature on. */
export async function compileWat(file) {
  wabt ??= await createRequire(import.meta.url)('wabt')();
  const mod = wabt.parseWat(path.basename(file), readFileSync(file, 'utf8'), { simd: true });
  try {
    mod.validate();
    return Buffer.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}
