/**
 * `deeppose quantize` as a user runs it: a 2-stage cascade (a narrow legacy
 * AlexNet written by Chainer 7.8.1 as both stages) calibrated on the
 * vendored LSPET training images, written as a cascade directory that
 * `inspect` describes and `predict` runs; a one-stage .onnx; and the
 * refusals, each one line with its code.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliRunner } from './helpers/cli.js';
import { CHAINER, FIXTURES, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
const LSPET = path.join(FIXTURES, 'lspet');
const IMAGE = path.join(LSPET, 'images', 'im00189.jpg');
const CKPT = path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz');

const cli = cliRunner({ env, cwd: tmp.dir });

const cascade = path.join(tmp.dir, 'float-cascade.json');
writeFileSync(cascade, JSON.stringify({ stages: [{ file: CKPT, stage: 1 }, { file: CKPT, stage: 2, sigma: 2 }] }));

test('a cascade becomes an int8 cascade directory that inspect describes and predict runs', async () => {
  const r = await cli('quantize', '--model', cascade, '-o', 'int8', '--dataset', LSPET, '--split', 'legacy-train', '--count', '6', '--batch', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stage 1: int8 QDQ \(minmax; 6 images of lspet\/legacy-train; float: fc8\) from c7-alexnet-lsp14-bare\.npz onnx sha256 [0-9a-f]{12}, [\d.]+ KiB$/m);
  assert.match(r.stdout, /^stage 2: int8 QDQ/m);
  assert.deepEqual(readdirSync(path.join(tmp.dir, 'int8')).sort(), ['cascade.json', 'stage1.int8.onnx', 'stage2.int8.onnx']);
  const doc = JSON.parse(readFileSync(path.join(tmp.dir, 'int8', 'cascade.json'), 'utf8')) as { stages: unknown[] };
  assert.deepEqual(doc.stages, [{ file: 'stage1.int8.onnx', stage: 1 }, { file: 'stage2.int8.onnx', stage: 2, sigma: 2 }]);

  const i = await cli('inspect', 'int8');
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /^model {6}int8 \(cascade, 2 stages\)$/m);
  assert.match(i.stdout, /layers {5}int8: conv1, conv2, conv3, conv4, conv5, fc6, fc7; float32: fc8/);
  assert.match(i.stdout, /calibrated 6 images of .*lspet split legacy-train \(im00001\.jpg … im00008\.jpg; names sha256 [0-9a-f]{16}…\), minmax/);
  assert.match(i.stdout, /joint crops of side σ=2 × torso diameter/);
  const json = JSON.parse((await cli('inspect', 'int8', '--json')).stdout) as { metadata: { quantization: { source: { checkpointSha256: string; onnxSha256: string } } } }[];
  assert.equal(json.length, 2);
  assert.match(json[0]!.metadata.quantization.source.onnxSha256, /^[0-9a-f]{64}$/);

  const f = await cli('predict', '--model', cascade, IMAGE, '--json');
  const q = await cli('predict', '--model', 'int8', IMAGE, '--json');
  assert.equal(q.code, 0, q.stderr);
  const pf = JSON.parse(f.stdout) as { stages: number; joints: { x: number; y: number }[] };
  const pq = JSON.parse(q.stdout) as { stages: number; joints: { x: number; y: number }[] };
  assert.equal(pq.stages, 2);
  assert.equal(pq.joints.length, 14);
  const err = Math.max(...pq.joints.map((j, k) => Math.hypot(j.x - pf.joints[k]!.x, j.y - pf.joints[k]!.y)));
  assert.ok(err < 10, `int8 joints ${err.toFixed(2)} px from float`);
});

test('one stage to one .onnx; refusals name the problem', async () => {
  const r = await cli('quantize', '--model', CKPT, '-o', 'one.onnx', '--dataset', LSPET, '--split', 'legacy-train', '--count', '4', '--calibration', 'percentile:99.999', '--float-layers', 'none');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stage 1: int8 QDQ \(percentile 99.999; 4 images of lspet\/legacy-train; float: none\)/m);
  assert.ok(existsSync(path.join(tmp.dir, 'one.onnx')));

  const again = await cli('quantize', '--model', CKPT, '-o', 'one.onnx', '--dataset', LSPET, '--split', 'legacy-train');
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'deeppose quantize: one.onnx: already exists (pass --force to replace it) [E_OUTPUT_PATH]\n');

  const twice = await cli('quantize', '--model', 'one.onnx', '-o', 'two.onnx', '--dataset', LSPET, '--split', 'legacy-train');
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /^deeppose quantize: one\.onnx: is already an int8 model \(int8 QDQ \(percentile 99\.999; .*\); quantize the float model \[E_ALREADY_QUANTIZED\]\n$/);

  const cas = await cli('quantize', '--model', cascade, '-o', 'c.onnx', '--dataset', LSPET, '--split', 'legacy-train');
  assert.equal(cas.code, 1);
  assert.equal(cas.stderr, 'deeppose quantize: c.onnx: a 2-stage cascade is written as a directory (name a directory, or pass --stages 1) [E_OUTPUT_PATH]\n');

  const bad = await cli('quantize', '--model', CKPT, '-o', 'b.onnx', '--dataset', LSPET, '--split', 'legacy-train', '--calibration', 'entropy');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'deeppose quantize: --calibration: expected minmax, percentile or percentile:P with 90 < P < 100, found "entropy" [E_INVALID_ARGUMENT]\n');
  assert.ok(!existsSync(path.join(tmp.dir, 'b.onnx')) && !existsSync(path.join(tmp.dir, 'c.onnx')));
});

test('a person finder named by the source cascade is kept, float32, by absolute path', async () => {
  const withFinder = path.join(tmp.dir, 'with-finder.json');
  writeFileSync(withFinder, JSON.stringify({ stages: [{ file: CKPT, stage: 1 }], finder: { file: CKPT, boxScale: 1.2, rounds: 1 } }));
  const r = await cli('quantize', '--model', withFinder, '-o', 'with-finder', '--dataset', LSPET, '--split', 'legacy-train', '--count', '2');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(readFileSync(path.join(tmp.dir, 'with-finder', 'cascade.json'), 'utf8')) as { finder: unknown };
  assert.deepEqual(doc.finder, { file: CKPT, boxScale: 1.2, rounds: 1, roundFraction: 0.45 });
});
