/**
 * data/sharp-module.ts: `sharpForBusyThreads` gives sharp one libvips
 * thread per operation and no cache whether it is called before sharp
 * loads (an evaluation thread: sharp may never load) or after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { loadSharp, sharpForBusyThreads } from '../data/sharp-module.js';
import { ROOT } from './helpers/paths.js';

test('sharpForBusyThreads before sharp loads: applied when it loads', async () => {
  sharpForBusyThreads();
  const sharp = await loadSharp();
  assert.equal(sharp.concurrency(), 1);
  assert.equal(sharp.cache().items.max, 0);
});

test('sharpForBusyThreads after sharp loaded: applied at once', async () => {
  const url = pathToFileURL(path.join(ROOT, 'dist', 'data', 'sharp-module.js')).href;
  const script = `const m = await import(${JSON.stringify(url)});
    const sharp = await m.loadSharp();
    const before = sharp.cache().items.max;
    m.sharpForBusyThreads();
    await new Promise((r) => setTimeout(r, 10));
    console.log(JSON.stringify({ before, after: sharp.cache().items.max, concurrency: sharp.concurrency() }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  const r = JSON.parse(stdout) as { before: number; after: number; concurrency: number };
  assert.ok(r.before > 0, `sharp's operation cache is on by default (${r.before} items)`);
  assert.deepEqual([r.after, r.concurrency], [0, 1]);
});
