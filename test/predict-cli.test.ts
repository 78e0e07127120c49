/** `deeppose predict` as a user runs it. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);
const IMAGES = path.join(FIXTURES, 'legacy-preprocessing', 'images');
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };

async function cli(...args: string[]) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env, cwd: tmp.dir });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('JSON per image and overlay files for a directory; the embedded model needs no argument', async () => {
  const dir = path.join(tmp.dir, 'in');
  mkdirSync(dir);
  for (const f of readdirSync(IMAGES).slice(0, 3)) copyFileSync(path.join(IMAGES, f), path.join(dir, f));
  const r = await cli('predict', dir, '--out', 'out', '--json', '--bbox', '10,10,100,100');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { image: string; model: string; joints: { name: string; x: number; y: number }[]; boxPx: number[] });
  assert.equal(lines.length, 3);
  assert.match(lines[0]!.model, /^epoch-48\.model@/);
  assert.equal(lines[0]!.joints.length, 14);
  assert.deepEqual(lines[0]!.boxPx, [10, 10, 100, 100]);
  const out = readdirSync(path.join(tmp.dir, 'out')).sort();
  assert.equal(out.filter((f) => f.endsWith('.overlay.png')).length, 3);
  assert.equal(out.filter((f) => f.endsWith('.json')).length, 3);
  const meta = await sharp(readFileSync(path.join(tmp.dir, 'out', out.find((f) => f.endsWith('.png'))!))).metadata();
  assert.equal(meta.format, 'png');
});

test('unreadable images get one line each and a non-zero exit; the others still succeed', async () => {
  writeFileSync(path.join(tmp.dir, 'broken.jpg'), 'definitely not a jpeg');
  writeFileSync(path.join(tmp.dir, 'cut.jpg'), readFileSync(path.join(IMAGES, 'im00003.jpg')).subarray(0, 3000));
  const r = await cli('predict', path.join(IMAGES, 'im00003.jpg'), 'broken.jpg', 'cut.jpg', 'missing.jpg');
  assert.equal(r.code, 1);
  const errs = r.stderr.trim().split('\n').filter((l) => !/converting/.test(l));
  assert.equal(errs.filter((l) => /broken\.jpg: image: not a readable image/.test(l)).length, 1);
  assert.equal(errs.filter((l) => /cut\.jpg: image: corrupt or truncated image/.test(l)).length, 1);
  assert.equal(errs.filter((l) => /missing\.jpg: .*no such file or directory/.test(l)).length, 1);
  assert.match(errs.at(-1)!, /3 of 4 images failed/);
  assert.match(r.stdout, /im00003\.jpg: \d+×\d+, box 0,0,\d+,\d+, 2 stages/);
  assert.equal(r.stdout.split('\n').filter((l) => /^  (right|left|neck|head)\w*\s+-?\d+\.\d\s+-?\d+\.\d$/.test(l)).length, 14, r.stdout);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
