/**
 * The pickle reader executes nothing: globals that reach the system are
 * refused by name, calls of anything but the allow-listed array
 * reconstructors are refused by name, limits hold against hostile files, and
 * a truncated pickle is a one-line error — through the library and the CLI.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readCheckpoint } from '../model/checkpoint/read.js';
import { PickleError } from '../model/errors.js';
import { FileByteSource } from '../model/io/byte-source.js';
import { DEFAULT_LIMITS, unpickle } from '../model/io/pickle.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';

const LEGACY = path.join(FIXTURES, 'chainer-legacy');
const tmp = scratch();
after(tmp.cleanup);
const run = promisify(execFile);

let n = 0;
function write(bytes: Buffer | string): string {
  const p = path.join(tmp.dir, `hostile-${n++}.pkl`);
  writeFileSync(p, bytes);
  return p;
}

const sentinel = () => path.join(tmp.dir, 'pwned');

async function refuses(bytes: Buffer | string, re: RegExp): Promise<void> {
  const file = write(bytes);
  await assert.rejects(readCheckpoint(file), (e) => {
    assert.ok(e instanceof PickleError, String(e));
    assert.equal(e.code, 'E_PICKLE');
    assert.match(e.message, re);
    assert.equal(e.message.split('\n').length, 1);
    assert.ok(e.message.startsWith(file), 'names the file');
    return true;
  });
  assert.equal(existsSync(sentinel()), false, 'nothing ran');
}

test('os.system (protocol 0) is refused by name', () =>
  refuses(`cos\nsystem\n(S'touch ${sentinel()}'\ntR.`, /refused global os\.system/));

test('posix.system (protocol 2 GLOBAL + REDUCE) is refused by name', () =>
  refuses(Buffer.concat([Buffer.from([0x80, 2]), Buffer.from(`cposix\nsystem\nq\x00U\x05touch\x85R.`, 'latin1')]), /refused global posix\.system/));

test('subprocess.Popen through STACK_GLOBAL (protocol 4) is refused by name', () => {
  const s = (t: string) => Buffer.concat([Buffer.from([0x8c, t.length]), Buffer.from(t)]);
  return refuses(Buffer.concat([Buffer.from([0x80, 4]), s('subprocess'), s('Popen'), Buffer.from([0x93]), s('id'), Buffer.from([0x85, 0x52, 0x2e])]),
    /refused global subprocess\.Popen/);
});

test('builtins.eval and __builtin__.getattr are refused by name', async () => {
  await refuses(`cbuiltins\neval\n(S'1+1'\ntR.`, /refused global builtins\.eval/);
  await refuses(`c__builtin__\ngetattr\n(S'x'\ntR.`, /refused global __builtin__\.getattr/);
});

test('a call of any global outside the allow-list is refused by name, even from an unknown module', () =>
  refuses(`cmymodel\nhelper\n(S'x'\ntR.`, /refused call of mymodel\.helper/));

test('INST with arguments (protocol 0 call syntax) is refused', () =>
  refuses(`(S'x'\nimymodel\nThing\n.`, /refused call of mymodel\.Thing with arguments/));

test('a truncated pickle is one line naming where it ends', () => {
  const whole = readFileSync(path.join(LEGACY, 'c14-AlexNet_flic_epoch_1.chainermodel'));
  return refuses(whole.subarray(0, 500_000), /truncated pickle: the file ends at byte 500000/);
});

test('nesting deeper than the limit is refused', () => refuses(Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(10_000, 0x28), Buffer.from('.')]), /nesting deeper than 256 levels/));

test('a memo read before it was written is refused', () => refuses(Buffer.from([0x80, 2, 0x68, 5, 0x2e]), /memo entry 5 read before it was written/));

test('memo and stack limits hold', () => {
  const memoBomb = write(Buffer.concat([Buffer.from([0x80, 2, 0x4e]), ...Array.from({ length: 100 }, (_, i) => Buffer.from([0x72, i & 0xff, i >> 8, 0, 0])), Buffer.from('.')]));
  const stackBomb = write(Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(100, 0x4e), Buffer.from('.')]));
  for (const [file, limits, re] of [
    [memoBomb, { ...DEFAULT_LIMITS, maxMemo: 50 }, /memo larger than 50 entries/],
    [stackBomb, { ...DEFAULT_LIMITS, maxStack: 50 }, /pickle stack deeper than 50 items/],
  ] as const) {
    const src = new FileByteSource(file);
    try {
      assert.throws(() => unpickle(src, file, limits), (e) => e instanceof PickleError && re.test(e.message));
    } finally {
      src.close();
    }
  }
});

test('the CLI prints one line naming the refused global and exits 1', async () => {
  const file = write(`cos\nsystem\n(S'touch ${sentinel()}'\ntR.`);
  for (const cmd of ['inspect', 'convert']) {
    const args = cmd === 'convert' ? [cmd, file, '-o', path.join(tmp.dir, 'out.onnx')] : [cmd, file];
    const r = await run(process.execPath, [CLI, ...args]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^deeppose ${cmd}: .*hostile-\\d+\\.pkl: refused global os\\.system.* \\[E_PICKLE\\]\\n$`));
  }
  assert.equal(existsSync(sentinel()), false);
  assert.equal(existsSync(path.join(tmp.dir, 'out.onnx')), false);
});

test('a GPU-trained pickle: every array is a CuPy array, read without CuPy; gradients listed, not loaded', async () => {
  const raw = await readCheckpoint(path.join(LEGACY, 'c14-AlexNet_lsp_epoch_1.chainermodel'));
  assert.equal(raw.container, 'pickle');
  assert.equal(raw.pickledClass, 'AlexNet_lsp.AlexNet_lsp');
  assert.deepEqual(raw.tensors.map((t) => t.key).slice(0, 2), ['conv1/W', 'conv1/b']);
  assert.ok(raw.tensors.every((t) => t.compression === 'cupy (GPU)'));
  assert.equal(raw.tensors.length, 16);
  assert.deepEqual(raw.skipped.map((s) => s.key).filter((k) => k.startsWith('fc8')), ['fc8/gW', 'fc8/gb']);
  assert.deepEqual(raw.tensors.find((t) => t.key === 'fc8/W')!.array.shape, [28, 128]);
});
