/**
 * A model whose metadata reads but which onnxruntime refuses (here an op
 * renamed to one that does not exist): `eval` (the model runs on its worker
 * threads) and `predict` (sessions opened in the background) both fail once,
 * with the runtime's error class and code, not as an internal error and not
 * once per image.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { convertCheckpointToFile } from '../model/convert.js';
import { cliRunner } from './helpers/cli.js';
import { CHAINER, FIXTURES, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);
const cli = cliRunner({ env: { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') }, cwd: tmp.dir });

async function refusedModel(): Promise<string> {
  const good = path.join(tmp.dir, 'good.onnx');
  await convertCheckpointToFile(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), good);
  const bytes = readFileSync(good);
  const at = bytes.indexOf(Buffer.from('Relu'));
  assert.ok(at > 0, 'the graph has a Relu');
  bytes.write('Rxlu', at, 'latin1');
  const bad = path.join(tmp.dir, 'bad.onnx');
  writeFileSync(bad, bytes);
  return bad;
}

test('eval and predict with a model the runtime refuses: one line [E_INFERENCE], exit 1', async () => {
  const bad = await refusedModel();
  const ev = await cli('eval', '--model', bad, '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-test', '--out', 'report');
  assert.equal(ev.code, 1, ev.stderr);
  const evLines = ev.stderr.trim().split('\n').filter((l) => /E_INFERENCE/.test(l));
  assert.equal(evLines.length, 1, ev.stderr);
  assert.match(evLines[0]!, /onnxruntime could not load the model .*\[E_INFERENCE\]$/);
  assert.doesNotMatch(ev.stderr, /internal error/);

  const images = path.join(FIXTURES, 'lspet', 'images');
  const pr = await cli('predict', '--model', bad, '--box', 'whole', path.join(images, 'im00001.jpg'), path.join(images, 'im00005.jpg'), path.join(images, 'im00008.jpg'));
  assert.equal(pr.code, 1, pr.stderr);
  const prLines = pr.stderr.trim().split('\n').filter((l) => /E_INFERENCE/.test(l));
  assert.equal(prLines.length, 1, pr.stderr);
  assert.doesNotMatch(pr.stderr, /images failed/);
});

test('BAD CALL: an onnxruntime-node that cannot be loaded is named as the runtime, not as the model: one line [E_INFERENCE], exit 1', async () => {
  // A preload that makes the package unloadable, as a missing native library would.
  const preload = path.join(tmp.dir, 'no-onnxruntime.cjs');
  writeFileSync(preload, `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'onnxruntime-node') throw new Error('libonnxruntime.so.1: cannot open shared object file');
  return resolve.call(this, request, ...rest);
};
`);
  const broken = cliRunner({ env: { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache'), NODE_OPTIONS: `--require ${preload}` }, cwd: tmp.dir });
  const image = path.join(FIXTURES, 'lspet', 'images', 'im00001.jpg');
  const pr = await broken('predict', '--stages', '1', '--box', 'whole', image);
  assert.equal(pr.code, 1, pr.stderr);
  const lines = pr.stderr.trim().split('\n').filter((l) => /E_INFERENCE/.test(l));
  assert.equal(lines.length, 1, pr.stderr);
  assert.match(lines[0]!, new RegExp(String.raw`onnxruntime-node: the inference runtime could not be loaded \(libonnxruntime\.so\.1: cannot open shared object file\); expected its native library for ${process.platform}-${process.arch} under node_modules/onnxruntime-node/bin.*\[E_INFERENCE\]$`));
  assert.doesNotMatch(pr.stderr, /could not load the model|internal error/);
});
