/** `deeppose predict` as a user runs it. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { cliRunner } from './helpers/cli.js';
import { FIXTURES, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const IMAGES = path.join(FIXTURES, 'legacy-preprocessing', 'images');
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };

const cli = cliRunner({ env, cwd: tmp.dir });

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
  const errs = r.stderr.trim().split('\n').filter((l) => !/converted/.test(l));
  assert.equal(errs.filter((l) => /broken\.jpg: image: not a readable image/.test(l)).length, 1);
  assert.equal(errs.filter((l) => /cut\.jpg: image: corrupt or truncated image/.test(l)).length, 1);
  assert.equal(errs.filter((l) => /missing\.jpg: .*no such file or directory/.test(l)).length, 1);
  assert.match(errs.at(-1)!, /3 of 4 images failed/);
  // The default model finds the person: its box is inside the image, not the whole of it.
  assert.match(r.stdout, /im00003\.jpg: 320×427, box \d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)? \(found\), 2 stages/);
  assert.doesNotMatch(r.stdout, /box 0,0,320,427/);
  assert.equal(r.stdout.split('\n').filter((l) => /^  (right|left|neck|head)\w*\s+-?\d+\.\d\s+-?\d+\.\d$/.test(l)).length, 14, r.stdout);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('BAD CALLS: one line with a code, the exit code of its class, nothing written', async () => {
  const img = path.join(IMAGES, 'im00003.jpg');
  const oneLine = (r: { stderr: string }) => assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const usage = await cli('predict', img, '--bogus');
  assert.equal(usage.code, 2);
  oneLine(usage);
  assert.match(usage.stderr, /^deeppose predict: unknown option '--bogus' \(see deeppose predict --help\) \[E_USAGE\]$/m);
  const gif = await cli('predict', img, '--format', 'gif', '--out', 'gif-out');
  assert.equal(gif.code, 1);
  oneLine(gif);
  assert.match(gif.stderr, /^deeppose predict: --format: expected one of png, jpeg, webp, found "gif" \[E_INVALID_ARGUMENT\]$/m);
  assert.throws(() => readdirSync(path.join(tmp.dir, 'gif-out')), /ENOENT/);
  const hex = await cli('predict', img, '--bbox', '0x10,0,20,20');
  assert.equal(hex.code, 1);
  assert.match(hex.stderr, /--bbox: expected x,y,w,h in pixels \(plain decimals\) with w > 0 and h > 0, found "0x10,0,20,20" \[E_BBOX\]/);
  const deep = await cli('predict', img, img, img, '--stages', '3');
  assert.equal(deep.code, 1);
  oneLine(deep);
  assert.match(deep.stderr, /--stages: expected an integer from 1 to 2 \(this model's cascade depth\), found 3 \[E_INVALID_ARGUMENT\]/);
  const skel = await cli('predict', img, '--skeleton', 'mpii16');
  assert.equal(skel.code, 1);
  assert.match(skel.stderr, /epoch-48\.model: skeleton mpii16 has 16 joints, the model regresses 14 \[E_SKELETON\]$/m);
  const missing = await cli('predict', 'nowhere.jpg');
  assert.match(missing.stderr, /^deeppose predict: nowhere\.jpg: no such file or directory \[ENOENT\]$/m);
  assert.equal(missing.stderr.split('nowhere.jpg').length - 1, 1, 'the path is named once');
  // An existing output is never replaced without --force, and the refusal comes before any work.
  assert.equal((await cli('predict', img, '--out', 'keep')).code, 0);
  writeFileSync(path.join(tmp.dir, 'keep', 'im00003.json'), 'mine');
  const again = await cli('predict', img, '--out', 'keep');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /keep\/im00003\.json: already exists \(pass --force to replace it\) \[E_OUTPUT_PATH\]/);
  assert.equal(readFileSync(path.join(tmp.dir, 'keep', 'im00003.json'), 'utf8'), 'mine');
  assert.equal((await cli('predict', img, '--out', 'keep', '--force')).code, 0);
  assert.match(readFileSync(path.join(tmp.dir, 'keep', 'im00003.json'), 'utf8'), /"joints"/);
});
