/** BAD CALL tests: every damaged or unsupported input fails with a named error class and message, leaving no output. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpointToFile } from '../model/convert.js';
import {
  MissingKeyError, NonFiniteWeightsError, NotACheckpointError, OptimizerStateError, OptionMismatchError, ShapeMismatchError, UnknownArchitectureError,
} from '../model/errors.js';
import { NpzFormatError } from '../model/io/npz.js';
import { NpyFormatError, UnsupportedDTypeError } from '../model/io/npy.js';
import { CHAINER, scratch } from './helpers/paths.js';
import { rawNpy, storedZip } from './helpers/zip.js';

const tmp = scratch();
after(tmp.cleanup);

let n = 0;
/** Converts into a fresh empty directory and checks the failure left nothing behind. */
async function failsCleanly(file: string, check: (e: unknown) => boolean, options = {}): Promise<void> {
  const dir = path.join(tmp.dir, `out${n++}`);
  mkdirSync(dir);
  await assert.rejects(convertCheckpointToFile(file, path.join(dir, 'model.onnx'), options), check);
  assert.deepEqual(readdirSync(dir), [], 'no output or temporary file is left behind');
}

function write(name: string, data: Uint8Array): string {
  const p = path.join(tmp.dir, name);
  writeFileSync(p, data);
  return p;
}

const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);

test('truncated npz → NpzFormatError naming the file', () =>
  failsCleanly(path.join(CHAINER, 'truncated.npz'), (e) => e instanceof NpzFormatError && /truncated\.npz: not a complete zip archive/.test(e.message)));

test('wrong shape → ShapeMismatchError naming fc6/W and both shapes', () =>
  failsCleanly(path.join(CHAINER, 'wrong-shape.npz'), (e) =>
    e instanceof ShapeMismatchError && /fc6\/W: expected 128×1152 to match conv5 output 32×6×6, found 128×1145/.test(e.message)));

test('missing key → MissingKeyError naming conv3/b', () =>
  failsCleanly(path.join(CHAINER, 'missing-key.npz'), (e) => e instanceof MissingKeyError && /conv3\/b: missing/.test(e.message)));

test('a CSV file → NotACheckpointError', () =>
  failsCleanly(path.join(CHAINER, 'not-a-checkpoint.model'), (e) =>
    e instanceof NotACheckpointError && /not-a-checkpoint\.model: not an npz or HDF5 checkpoint/.test(e.message)));

test('optimizer state → OptimizerStateError with a hint where the weights are', async () => {
  for (const v of ['c7', 'c1']) {
    await failsCleanly(path.join(CHAINER, `${v}-alexnet-lsp14-run`, 'epoch-1.state'), (e) =>
      e instanceof OptimizerStateError && /optimizer state, not a model/.test(e.message) && /epoch-N\.model/.test(e.message));
  }
});

test('non-finite weights are refused by default, listing each tensor', () =>
  failsCleanly(path.join(CHAINER, 'c7-alexnet-mpii16-nan.model'), (e) =>
    e instanceof NonFiniteWeightsError && /predictor\/fc6\/W: 100 NaN, 1 \+Inf, 0 -Inf/.test(e.message) && /--nonfinite zero/.test(e.message)));

test('empty file and directory → NotACheckpointError', async () => {
  await failsCleanly(write('empty.model', new Uint8Array(0)), (e) => e instanceof NotACheckpointError && /is empty \(0 bytes\)/.test(e.message));
  await failsCleanly(tmp.dir, (e) => e instanceof NotACheckpointError && /is a directory/.test(e.message));
});

test('zip entries with ../ or absolute names are refused', async () => {
  const npy = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32(2));
  await failsCleanly(write('dotdot.npz', storedZip([{ name: '../evil.npy', data: npy }])), (e) =>
    e instanceof NpzFormatError && /unsafe entry name/.test(e.message) && /\.\.\/evil\.npy/.test(e.message));
  await failsCleanly(write('abs.npz', storedZip([{ name: '/etc/evil.npy', data: npy }])), (e) =>
    e instanceof NpzFormatError && /unsafe entry name/.test(e.message));
});

test('an npy header claiming more data than the entry holds', () =>
  failsCleanly(
    write('short.npz', storedZip([{ name: 'conv1/W.npy', data: rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (96, 3, 11, 11), }", f32(10)) }])),
    (e) => e instanceof NpyFormatError && /conv1\/W\.npy: \.npy header claims 96×3×11×11 of '<f4' \(139392 bytes\) but the file holds only 40 bytes/.test(e.message),
  ));

test('object and unsupported dtypes', async () => {
  await failsCleanly(
    write('object.npz', storedZip([{ name: 'conv1/W.npy', data: rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)) }])),
    (e) => e instanceof UnsupportedDTypeError && /object arrays/.test(e.message),
  );
  await failsCleanly(
    write('complex.npz', storedZip([{ name: 'conv1/W.npy', data: rawNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)) }])),
    (e) => e instanceof UnsupportedDTypeError && /dtype '<c8' is not supported/.test(e.message),
  );
});

test('a checkpoint of an unknown architecture', () =>
  failsCleanly(
    write('vgg.npz', storedZip([{ name: 'block1/conv/W.npy', data: rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32(2)) }])),
    (e) => e instanceof UnknownArchitectureError && /unknown architecture/.test(e.message) && /block1\/conv\/W/.test(e.message),
  ));

test('options that contradict the file', async () => {
  await failsCleanly(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), (e) => e instanceof OptionMismatchError && /--joints 16/.test(e.message), { joints: 16 });
  await failsCleanly(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), (e) => e instanceof OptionMismatchError && /--skeleton flic7 has 7 joints/.test(e.message), { skeleton: 'flic7' });
});
