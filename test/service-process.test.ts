/**
 * `deeppose serve` and `npm start` as processes (issue 16 item 1, issue 18
 * item 5): SIGTERM under sustained keep-alive load exits 0 without a request
 * reaching a closed model; `npm start` stopped by its own PID stops the
 * server (no orphan) and exits 0; a port in use is one line naming it; the
 * default address is loopback, logged as it is bound; `--help` shows the
 * port default once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { CLI, FIXTURES, ROOT, scratch } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';

const tmp = scratch();
after(tmp.cleanup);
const env = { DEEPPOSE_CACHE_DIR: tmp.dir };
const JPEG = readFileSync(path.join(FIXTURES, 'legacy-preprocessing', 'images', 'im00003.jpg'));

function run(args: string[], extraEnv: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a port already in use: exit 1, one line naming the port', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = run(['serve', '--port', String(port)]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `deeppose serve: port ${port} on 127.0.0.1 is already in use: stop the other server or choose another port with --port [E_PORT_IN_USE]\n`);
    const e = run(['serve'], { PORT: '0x10' });
    assert.equal(e.code, 1);
    assert.equal(e.stderr, 'deeppose serve: PORT: expected an integer from 0 to 65535, found "0x10" [E_INVALID_ARGUMENT]\n');
  } finally {
    blocker.close();
  }
});

test('serve --help shows the port default once, and the loopback default address', () => {
  const r = run(['serve', '--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.match(/\b3000\b/g)?.length, 1, r.stdout);
  assert.match(r.stdout, /--host <addr> +address to listen on \(default: \$HOST, else 127\.0\.0\.1/);
  assert.match(r.stdout, /--drain-ms <n>/);
});

test('SIGTERM under sustained keep-alive load (16 connections, ?stages=1): every answer 200 or 503, exit 0 within the drain time', async () => {
  const s = await startServeProcess([], env);
  assert.match(s.log(), /listening on http:\/\/127\.0\.0\.1:\d+, pid \d+ /);
  try {
    const statuses = new Map<number, number>();
    const load = autocannon({
      url: `${s.url}/v1/pose?stages=1`, connections: 16, duration: 20,
      requests: [{ method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: JPEG }],
    }, () => undefined);
    const finished = new Promise((r) => load.once('done', r));
    load.on('response', (_c: unknown, status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1));
    while ((statuses.get(200) ?? 0) < 5) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const code = await s.exited;
    const ms = Date.now() - t0;
    load.stop();
    await finished;
    assert.equal(code, 0, s.log());
    assert.ok(ms < 6000, `exited ${ms} ms after SIGTERM (drain time 5 s)`);
    assert.deepEqual([...statuses.keys()].filter((k) => k !== 200 && k !== 503), [], `statuses ${JSON.stringify([...statuses])}`);
    assert.doesNotMatch(s.log(), /terminate called|the model is closed|internal error/);
    assert.match(s.log(), /SIGTERM: finishing in-flight requests \(at most 5000 ms\) and shutting down\ndeeppose serve: stopped\n$/);
  } finally {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
});

test('npm start stopped by its own PID stops the server and exits 0 (no orphan); HOST=0.0.0.0 opens it and the log says so', async () => {
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && existsSync(npmCli) && npmCli.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  // --ignore-scripts skips only prestart (the build; dist/ is already built here), not start itself.
  const npm = spawn(cmd, [...pre, 'start', '--ignore-scripts', '--silent', '--', '--port', '0'], { cwd: ROOT, env: { ...process.env, ...env, HOST: '0.0.0.0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  npm.stdout.on('data', (d: Buffer) => (log += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => npm.on('exit', (c) => r(c)));
  const deadline = Date.now() + 60_000;
  while (!/ready \(/.test(log)) {
    assert.ok(Date.now() < deadline && npm.exitCode === null, `npm start did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [, port, pid] = /listening on http:\/\/0\.0\.0\.0:(\d+) \(all interfaces\), pid (\d+)/.exec(log)!;
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  npm.kill('SIGTERM');
  assert.equal(await exited, 0, log);
  const alive = () => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  };
  const until = Date.now() + 5000;
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const orphan = alive();
  if (orphan) process.kill(Number(pid), 'SIGKILL');
  assert.equal(orphan, false, `the server (pid ${pid}) outlived npm`);
  assert.match(log, /SIGTERM: finishing in-flight requests[\s\S]*stopped/);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), /fetch failed/);
});
