/** The checkpoint toolkit as a user runs it: `deeppose inspect|convert|scrub|remap`. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readNpz } from '../model/io/npz.js';
import { CHAINER, CLI, scratch } from './helpers/paths.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: tmp.dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('--help on every command', async () => {
  const top = await cli('--help');
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^ {2}(\w+)(?: \[options\])?/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  for (const c of ['inspect', 'convert', 'scrub', 'remap']) assert.ok(commands.includes(c), `${c} listed`);
  for (const c of commands) {
    const h = await cli(c, '--help');
    assert.equal(h.code, 0, c);
    assert.match(h.stdout, new RegExp(`Usage: deeppose ${c}`));
  }
});

test('inspect shows container, layout, arch, joints, every tensor and unused keys', async () => {
  const r = await cli('inspect', path.join(CHAINER, 'c7-alexnet-lsp14-run', 'snapshot_iter_3'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.container, 'npz');
  assert.equal(j.layout, 'snapshot');
  assert.equal(j.prefix, 'updater/model:main/predictor/');
  assert.equal(j.arch.id, 'alexnet');
  assert.equal(j.joints, 14);
  assert.equal(j.keyMap['conv1/W'], 'updater/model:main/predictor/conv1/W');
  const t = j.tensors.find((x: { key: string }) => x.key === 'updater/model:main/predictor/fc6/W');
  assert.deepEqual(t.shape, [128, 1152]);
  assert.equal(t.compression, 'deflate');
  assert.equal(t.parameter, 'fc6/W');
  assert.equal(j.unused.length + Object.keys(j.keyMap).length, j.tensors.length, 'every key is either used or listed as unused');
  assert.ok(j.unused.some((u: { reason: string }) => u.reason === 'optimizer state'));
  const text = await cli('inspect', path.join(CHAINER, 'c7-alexnet-lsp14-bare.h5'));
  assert.match(text.stdout, /container {2}HDF5/);
  assert.match(text.stdout, /layout {5}bare model/);
});

test('inspect of optimizer state lists the tensors and refuses with a hint', async () => {
  const r = await cli('inspect', path.join(CHAINER, 'c1-alexnet-lsp14-run', 'epoch-1.state'));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /predictor\/conv1\/W\/m/);
  assert.match(r.stderr, /optimizer state, not a model/);
});

test('damaged inputs: exit 1, one line naming file and problem, no stack, no output', async () => {
  const cases: [string, RegExp][] = [
    ['truncated.npz', /truncated\.npz: not a complete zip archive/],
    ['wrong-shape.npz', /fc6\/W: expected 128×1152 to match conv5 output 32×6×6, found 128×1145/],
    ['missing-key.npz', /conv3\/b: missing/],
    ['not-a-checkpoint.model', /not an npz or HDF5 checkpoint/],
  ];
  for (const [file, re] of cases) {
    const r = await cli('convert', path.join(CHAINER, file), '-o', `${file}.onnx`);
    assert.equal(r.code, 1, file);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${file}: one line, got ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(existsSync(path.join(tmp.dir, `${file}.onnx`)), false);
  }
  const verbose = await cli('--verbose', 'convert', path.join(CHAINER, 'truncated.npz'), '-o', 'v.onnx');
  assert.ok(verbose.stderr.split('\n').length > 2, '--verbose gives more');
  const missing = await cli('convert', 'no-such-file.npz', '-o', 'x.onnx');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-file\.npz: no such file or directory/);
});

test('convert refuses NaN by default and --nonfinite zero says so on stderr', async () => {
  const nan = path.join(CHAINER, 'c7-alexnet-mpii16-nan.model');
  const refused = await cli('convert', nan, '-o', 'nan.onnx');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /predictor\/fc6\/W: 100 NaN, 1 \+Inf, 0 -Inf/);
  const before = sha(nan);
  const ok = await cli('convert', nan, '-o', 'nan.onnx', '--nonfinite', 'zero');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /replaced 121 non-finite values by 0/);
  assert.equal(sha(nan), before, 'input untouched');
  const again = await cli('convert', nan, '-o', 'nan.onnx', '--nonfinite', 'zero');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists \(pass --force/);
  const onnx = await cli('convert', 'nan.onnx', '-o', 'twice.onnx');
  assert.equal(onnx.code, 1);
  assert.equal(onnx.stderr, 'deeppose convert: nan.onnx: is already an ONNX model, not a Chainer checkpoint: use it as it is (--model nan.onnx), or see it with deeppose inspect [E_NOT_CHECKPOINT]\n');
  const self = await cli('convert', nan, '-o', nan, '--force');
  assert.match(self.stderr, /is the input file/);
});

test('scrub writes the same keys, dtypes and shapes with non-finite values zeroed', async () => {
  const nan = path.join(CHAINER, 'c7-alexnet-mpii16-nan.model');
  const before = sha(nan);
  const r = await cli('scrub', nan, '-o', 'clean.npz', '--report', 'scrub.json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha(nan), before);
  const [src, out] = [await readNpz(nan), await readNpz(path.join(tmp.dir, 'clean.npz'))];
  assert.deepEqual([...out.keys()].sort(), [...src.keys()].sort());
  for (const [k, a] of src) {
    const b = out.get(k)!;
    assert.equal(b.dtype, a.dtype);
    assert.deepEqual(b.shape, a.shape);
    const ad = a.data as Float32Array;
    const bd = b.data as Float32Array;
    for (let i = 0; i < ad.length; i++) assert.equal(bd[i], Number.isFinite(ad[i]!) ? ad[i] : 0);
  }
  assert.equal(JSON.parse(readFileSync(path.join(tmp.dir, 'scrub.json'), 'utf8')).totalReplaced, 121);
});

test('remap of a trainer snapshot gives the epoch-N.model weights under bare or predictor keys', async () => {
  for (const v of ['c7', 'c1']) {
    const dir = path.join(CHAINER, `${v}-alexnet-lsp14-run`);
    const r = await cli('remap', path.join(dir, 'snapshot_iter_3'), '-o', `${v}-pred.npz`, '--to', 'predictor');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped \d+ × optimizer state/);
    const [ref, got] = [await readNpz(path.join(dir, 'epoch-1.model')), await readNpz(path.join(tmp.dir, `${v}-pred.npz`))];
    assert.deepEqual([...got.keys()].sort(), [...ref.keys()].sort());
    for (const [k, a] of ref) assert.deepEqual(Array.from(got.get(k)!.data as Float32Array), Array.from(a.data as Float32Array), k);
  }
  const bare = await cli('remap', path.join(CHAINER, 'c7-resnet50-lsp14.model'), '-o', 'resnet-bare.npz', '--to', 'bare');
  assert.equal(bare.code, 0, bare.stderr);
  const keys = [...(await readNpz(path.join(tmp.dir, 'resnet-bare.npz'))).keys()];
  assert.ok(keys.includes('res2/a/bn1/N'), 'persistent values Chainer\'s strict load_npz expects are kept');
  assert.ok(keys.every((k) => !k.startsWith('predictor/')));
  assert.equal(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-')).length, 0);
});
