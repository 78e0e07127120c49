/**
 * No silent corruption (issue 16 item 4): cached converted models are
 * verified against the digest recorded at conversion and rebuilt with one
 * warning naming the path; create-exclusive writes (`convert -o` twice at
 * once: the second fails unless --force); temp files of killed runs cleaned
 * by the next run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { resolveStageModels, digestPathFor } from '../model/model-source.js';
import { cleanStaleTemps, OutputExistsError, writeFileAtomic } from '../core/write-atomic.js';
import { CHAINER, CLI, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const NPZ = path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a corrupt, truncated or unrecorded cache entry is rebuilt from the checkpoint with one warning naming it', async () => {
  process.env.DEEPPOSE_CACHE_DIR = path.join(tmp.dir, 'cache');
  const logs: string[] = [];
  const [m] = await resolveStageModels([NPZ], (l) => logs.push(l));
  const cached = m!.onnxPath;
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, new RegExp(`^converted ${NPZ.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in \\d+\\.\\d s \\(first use; cached as ${cached.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
  const good = sha(cached);
  assert.equal(readFileSync(digestPathFor(cached), 'utf8'), `${good}  ${path.basename(cached)}\n`);

  // 4 KB of flipped bytes in the middle of the weights.
  const bytes = readFileSync(cached);
  const at = bytes.length >> 1;
  for (let i = at; i < at + 4096; i++) bytes[i] ^= 0xff;
  writeFileSync(cached, bytes);
  logs.length = 0;
  await resolveStageModels([NPZ], (l) => logs.push(l));
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, new RegExp(`^warning: cached model ${cached.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed verification \\(sha256 [0-9a-f]{12}… of its ${bytes.length} bytes differs from ${good.slice(0, 12)}… recorded at conversion\\); rebuilding it from .*c7-alexnet-lsp14-bare\\.npz$`));
  assert.equal(sha(cached), good);

  truncateSync(cached, 1000);
  logs.length = 0;
  await resolveStageModels([NPZ], (l) => logs.push(l));
  assert.match(logs.join('\n'), /^warning: cached model .* failed verification \(sha256 [0-9a-f]{12}… of its 1000 bytes differs/);
  assert.equal(sha(cached), good);

  rmSync(digestPathFor(cached));
  logs.length = 0;
  await resolveStageModels([NPZ], (l) => logs.push(l));
  assert.match(logs.join('\n'), /^warning: cached model .* failed verification \(no digest was recorded for it\); rebuilding it/);
  assert.equal(sha(cached), good);

  // Intact: used silently.
  logs.length = 0;
  await resolveStageModels([NPZ], (l) => logs.push(l));
  assert.deepEqual(logs, []);

  // Verified by stamp: bytes rewritten in place with the old modification time put back are
  // still caught (the status-change time moved), and re-read in full.
  const whole = 1_700_000_000; // a whole second, restored exactly
  utimesSync(cached, whole, whole);
  await resolveStageModels([NPZ]); // verified again (its stamp changed), intact
  const before = statSync(cached, { bigint: true });
  const flipped = readFileSync(cached);
  flipped[flipped.length >> 1] ^= 0x01;
  writeFileSync(cached, flipped);
  utimesSync(cached, whole, whole);
  const after_ = statSync(cached, { bigint: true });
  assert.equal(after_.mtimeNs, before.mtimeNs);
  assert.equal(after_.size, before.size);
  const stampLogs: string[] = [];
  await resolveStageModels([NPZ], (l) => stampLogs.push(l));
  assert.match(stampLogs.join('\n'), /^warning: cached model .* failed verification \(sha256 [0-9a-f]{12}… of its \d+ bytes differs/);
  assert.equal(sha(cached), good);

  // A temp file of a killed conversion is cleaned by the next use; a live writer's is kept.
  const dir = path.dirname(cached);
  const stale = path.join(dir, `.${path.basename(cached)}.tmp-${deadPid()}-0123abcd`);
  const live = path.join(dir, `.${path.basename(cached)}.tmp-${process.pid}-89abcdef`);
  writeFileSync(stale, 'x');
  writeFileSync(live, 'y');
  await resolveStageModels([NPZ]);
  assert.equal(existsSync(stale), false);
  assert.equal(existsSync(live), true);
  rmSync(live);
});

test('create-exclusive writes: the second of two fails, the temp is removed; overwrite replaces', async () => {
  const dir = path.join(tmp.dir, 'excl');
  spawnSync('mkdir', ['-p', dir]);
  const target = path.join(dir, 'out.bin');
  const results = await Promise.allSettled([
    writeFileAtomic(target, 'first', { overwrite: false }),
    writeFileAtomic(target, 'second', { overwrite: false }),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(failed.reason instanceof OutputExistsError);
  assert.equal(failed.reason.code, 'E_OUTPUT_EXISTS');
  assert.equal(failed.reason.message, `${target}: already exists (another run wrote it meanwhile); pass --force to replace it`);
  assert.deepEqual(readdirSync(dir), ['out.bin']);
  const r = await writeFileAtomic(target, 'third');
  assert.equal(readFileSync(target, 'utf8'), 'third');
  assert.deepEqual(r, { bytes: 5, sha256: createHash('sha256').update('third').digest('hex') });
  const stale = path.join(dir, `.out.bin.tmp-${deadPid()}-00000000`);
  const other = path.join(dir, `.other.bin.tmp-${deadPid()}-00000000`);
  const fd = openSync(stale, 'w');
  writeSync(fd, 'partial');
  closeSync(fd);
  writeFileSync(other, 'partial');
  await writeFileAtomic(target, 'fourth');
  assert.equal(existsSync(stale), false, 'the next write to the same target cleans a dead writer\'s temp');
  assert.equal(existsSync(other), true, 'another target\'s temp is left to its own next write');
  assert.deepEqual(await cleanStaleTemps(dir), [other]);
});

test('deeppose convert -o same.onnx twice at once: one succeeds, the other fails naming the file; --force replaces', async () => {
  const out = path.join(tmp.dir, 'same.onnx');
  const convert = (extra: string[] = []) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [CLI, 'convert', NPZ, '-o', out, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stderr }));
  });
  const both = await Promise.all([convert(), convert()]);
  assert.deepEqual(both.map((b) => b.code).sort(), [0, 1]);
  const loser = both.find((b) => b.code === 1)!;
  // Either it saw the finished file up front, or lost the race at the end: one line, never a silent replace.
  assert.match(loser.stderr, new RegExp(`^deeppose convert: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: already exists (\\(pass --force to replace it\\) \\[E_OUTPUT_PATH\\]|\\(another run wrote it meanwhile\\); pass --force to replace it \\[E_OUTPUT_EXISTS\\])\\n$`));
  const forced = await Promise.all([convert(['--force']), convert(['--force'])]);
  assert.deepEqual(forced.map((b) => b.code), [0, 0]);
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('same.onnx')), ['same.onnx']);
});
