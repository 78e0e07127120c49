/**
 * onnxruntime-node records usage telemetry under `~/.cache/Microsoft` unless
 * ORT_DISABLE_TELEMETRY is set (model/runtime/telemetry.ts): `predict`
 * (sessions on its own thread) and `eval` (sessions on worker threads)
 * leave nothing there; the runtime loaded without the variable does — the
 * control that shows the check can fail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { convertCheckpointToFile } from '../model/convert.js';
import { cliRunner } from './helpers/cli.js';
import { CHAINER, FIXTURES, ROOT, scratch } from './helpers/paths.js';

const tmp = scratch();
after(tmp.cleanup);

/**
 * The variables by which onnxruntime recognises a CI machine (read from its
 * library's strings) and turns its telemetry off by itself: removed, so the
 * control writes its store on a CI machine too.
 */
const CI_VARIABLES = ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER'];

/** This environment with `home` as HOME, no choice about telemetry made, and no sign of a CI machine. */
function envWithHome(home: string): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
  for (const name of ['ORT_DISABLE_TELEMETRY', 'XDG_CACHE_HOME', ...CI_VARIABLES]) delete env[name];
  return env;
}

const telemetryDir = (home: string) => path.join(home, '.cache', 'Microsoft', 'DeveloperTools', '.onnxruntime');

test('predict and eval run onnxruntime without its telemetry store; the bare runtime writes one', async () => {
  const control = path.join(tmp.dir, 'home-control');
  // The store is written by the runtime's own threads: the control waits for it (up to 10 s) before it exits.
  const script = `const fs = require('node:fs');
    require('onnxruntime-node').InferenceSession.create(new Uint8Array([8, 1])).catch(() => undefined);
    const t0 = Date.now();
    (function wait() { if (fs.existsSync(${JSON.stringify(telemetryDir(control))}) || Date.now() - t0 > 10000) return; setTimeout(wait, 20); })();`;
  await promisify(execFile)(process.execPath, ['-e', script], { env: envWithHome(control), cwd: ROOT });
  assert.ok(existsSync(telemetryDir(control)), 'control: onnxruntime without ORT_DISABLE_TELEMETRY writes its store');

  const model = path.join(tmp.dir, 'model.onnx');
  await convertCheckpointToFile(path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz'), model);
  const predictHome = path.join(tmp.dir, 'home-predict');
  const predict = await cliRunner({ env: envWithHome(predictHome), cwd: tmp.dir })('predict', '--model', model, '--box', 'whole', path.join(FIXTURES, 'lspet', 'images', 'im00001.jpg'));
  assert.equal(predict.code, 0, predict.stderr);
  assert.ok(!existsSync(path.join(predictHome, '.cache', 'Microsoft')), 'predict left a telemetry store');

  const evalHome = path.join(tmp.dir, 'home-eval');
  const ev = await cliRunner({ env: envWithHome(evalHome), cwd: tmp.dir })('eval', '--model', model, '--dataset', path.join(FIXTURES, 'lspet'), '--split', 'legacy-test', '--out', path.join(tmp.dir, 'report'));
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(!existsSync(path.join(evalHome, '.cache', 'Microsoft')), 'eval (sessions on worker threads) left a telemetry store');
});
