/** `deeppose serve` as a process, on the embedded default model: real inference, graceful shutdown. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';
import { apiFetch } from './helpers/openapi-check.js';

const tmp = scratch();
after(tmp.cleanup);
const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00004.jpg'));

test('serves the embedded default model and shuts down gracefully on SIGTERM, finishing in-flight requests', async () => {
  const s = await startServeProcess([], { DEEPPOSE_CACHE_DIR: tmp.dir });
  try {
    const models = (await (await apiFetch(`${s.url}/v1/models`)).json()) as { models: { id: string; skeleton: string; stages: number }[] };
    assert.match(models.models[0]!.id, /^epoch-48\.model@3ec3dbeaa992/);
    assert.equal(models.models[0]!.skeleton, 'lsp14');
    const r = await apiFetch(`${s.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { joints: { name: string; x: number; y: number }[]; imageSize: { width: number; height: number } };
    assert.equal(j.joints.length, 14);
    for (const p of j.joints) assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y));
    // In flight while SIGTERM arrives: still answered.
    const inflight = Promise.all(Array.from({ length: 6 }, () => apiFetch(`${s.url}/v1/pose`, { method: 'POST', body: JPEG, headers: { 'Content-Type': 'image/jpeg' } })));
    // SIGTERM once the service has received all six (answered + in flight = 1 earlier + 6).
    const received = async () => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const answered = [...text.matchAll(/^deeppose_http_requests_total\{route="\/v1\/pose",[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return answered + Number(/^deeppose_pose_requests_in_flight (\d+)$/m.exec(text)![1]);
    };
    const deadline = Date.now() + 10_000;
    while ((await received()) < 7) {
      assert.ok(Date.now() < deadline, 'the service received the six requests');
      await new Promise((res) => setTimeout(res, 2));
    }
    s.child.kill('SIGTERM');
    const answers = await inflight;
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
    assert.equal(await s.exited, 0);
    assert.match(s.log(), /SIGTERM: finishing in-flight requests/);
    assert.match(s.log(), /stopped/);
    await assert.rejects(fetch(`${s.url}/healthz`));
  } finally {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
});

test('--stages deeper than the model: one line with a code, exit 1', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--stages', '5'], { env: { ...process.env, DEEPPOSE_CACHE_DIR: tmp.dir } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^deeppose serve: the model failed to load: --stages 5: the model has 2 stages \[E_INVALID_ARGUMENT\]$/m);
});
