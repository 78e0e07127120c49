/**
 * The queue's bad input as a user meets it: a malformed Redis URL, an
 * unreachable Redis (one line naming the URL within a few seconds), an
 * unknown job name, options that do not go together; and the pure pieces
 * (URL parsing, image names, the model hash check).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeepPoseError } from '../core/errors.js';
import { parseQueueUrl } from '../app/queue/url.js';
import { connectRedis, CONNECT_TIMEOUT_MS } from '../app/queue/connection.js';
import { imageNames } from '../app/queue/names.js';
import { modelMismatch } from '../app/queue/job-model.js';
import { checkJobName } from '../app/queue/keys.js';
import type { StageModel } from '../model/model-source.js';
import type { JobModel } from '../app/queue/types.js';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';
import { freePort, redisSkip, startRedis } from './helpers/redis.js';

const run = promisify(execFile);
const tmp = scratch();
after(tmp.cleanup);
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
const IMAGE = path.join(FIXTURES, 'lspet', 'images', 'im00001.jpg');

async function cli(...args: string[]) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env, cwd: tmp.dir, timeout: 100_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const URL_EXPECTED = '--queue: expected a Redis URL redis://HOST:PORT[/DB] (rediss:// for TLS; DB an integer from 0 to 15), found';

test('parseQueueUrl: host, port, db; the password never shown', () => {
  const u = parseQueueUrl('redis://:s3cret@queue.lab:6380/2');
  assert.deepEqual([u.host, u.port, u.db, u.password, u.tls], ['queue.lab', 6380, 2, 's3cret', false]);
  assert.equal(u.display, 'redis://:***@queue.lab:6380/2');
  assert.equal(parseQueueUrl('redis://127.0.0.1').display, 'redis://127.0.0.1/0');
  assert.equal(parseQueueUrl('redis://127.0.0.1').port, 6379);
  assert.equal(parseQueueUrl('rediss://u:p@h:1/0').tls, true);
  for (const [bad, shown] of [['localhost:6379', '"localhost:6379"'], ['http://h:1', '"http://h:1"'], ['redis://h:1/16', '"redis://h:1/16"'], ['redis://h:1/x', '"redis://h:1/x"'], ['redis://:pw@h:1/99', '"redis://:***@h:1/99"']] as const) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => e instanceof DeepPoseError && e.code === 'E_INVALID_ARGUMENT' && e.message === `${URL_EXPECTED} ${shown}`, bad);
  }
});

test('job names: letters, digits, . _ -', () => {
  assert.equal(checkJobName('lspet-2024.run_1'), 'lspet-2024.run_1');
  for (const bad of ['', 'a/b', 'a:b', '-x', 'x'.repeat(101)]) {
    assert.throws(() => checkJobName(bad), (e: unknown) => e instanceof DeepPoseError && e.code === 'E_INVALID_ARGUMENT' && /^--job: expected .*, found /.test(e.message), bad);
  }
});

test('image names: file names when distinct, else paths under the deepest common folder', () => {
  assert.deepEqual(imageNames(['/d/a/im1.jpg', '/d/b/im2.jpg']), ['im1.jpg', 'im2.jpg']);
  assert.deepEqual(imageNames(['/v/cam1/f001.jpg', '/v/cam2/f001.jpg', '/v/cam2/x/f002.jpg']), ['cam1/f001.jpg', 'cam2/f001.jpg', 'cam2/x/f002.jpg']);
});

test('the model check compares every stage\'s content hash', () => {
  const stage = (sha: string) => ({ metadata: { source: { sha256: sha } } }) as unknown as StageModel;
  const job: JobModel = { specs: ['/m/cascade.json'], id: 'm', skeleton: 'lsp14', stageSha256: ['a'.repeat(64), 'b'.repeat(64)] };
  assert.equal(modelMismatch(job, [stage('a'.repeat(64)), stage('b'.repeat(64))]), undefined);
  assert.equal(modelMismatch(job, [stage('a'.repeat(64)), stage('c'.repeat(64))]),
    `/m/cascade.json: stage 2 has sha256 ${'c'.repeat(12)}… on this worker, the job expects ${'b'.repeat(12)}… (model files changed since the job was enqueued, or differ between machines)`);
  assert.equal(modelMismatch(job, [stage('a'.repeat(64))]), '/m/cascade.json: the job was enqueued with 2 stage(s), this worker\'s files have 1');
});

test('malformed URL, options that do not go together: one line each', async () => {
  const r1 = await cli('results', '--queue', 'localhost:6379', '--job', 'x');
  assert.equal(r1.code, 1);
  assert.equal(r1.stderr, `deeppose results: ${URL_EXPECTED} "localhost:6379" [E_INVALID_ARGUMENT]\n`);
  const r2 = await cli('predict', '--queue', 'redis://127.0.0.1:1', IMAGE);
  assert.equal(r2.stderr, 'deeppose predict: --queue needs --job NAME too [E_INVALID_ARGUMENT]\n');
  const r3 = await cli('predict', '--queue', 'redis://127.0.0.1:1', '--job', 'j', '--json', IMAGE);
  assert.match(r3.stderr, /^deeppose predict: --json does not go with --queue: workers store the results in Redis; write them with deeppose results --queue URL --job NAME --out predictions\.json \[E_INVALID_ARGUMENT\]\n$/);
});

test('unreachable Redis: the connection gives up within a few seconds, refused or silent', async () => {
  const port = await freePort();
  const refused = parseQueueUrl(`redis://127.0.0.1:${port}`);
  for (const reconnect of [false, true]) {
    const t0 = performance.now();
    await assert.rejects(connectRedis(refused, { reconnect }), (e: unknown) => e instanceof DeepPoseError && e.code === 'E_QUEUE_UNREACHABLE'
      && e.message === `redis://127.0.0.1:${port}/0: cannot reach Redis (connection refused); is redis-server running there and reachable from this machine?`);
    assert.ok(performance.now() - t0 < 2000, `refused: ${performance.now() - t0} ms`);
  }
  // A server that accepts the connection and never answers: the attempt times out.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const sp = (silent.address() as net.AddressInfo).port;
  try {
    const t0 = performance.now();
    await assert.rejects(connectRedis(parseQueueUrl(`redis://127.0.0.1:${sp}`), { reconnect: true }), (e: unknown) => e instanceof DeepPoseError && e.code === 'E_QUEUE_UNREACHABLE'
      && e.message === `redis://127.0.0.1:${sp}/0: cannot reach Redis (no answer within ${CONNECT_TIMEOUT_MS / 1000} s); is redis-server running there and reachable from this machine?`);
    const ms = performance.now() - t0;
    assert.ok(ms >= CONNECT_TIMEOUT_MS - 100 && ms < CONNECT_TIMEOUT_MS + 3000, `silent: ${ms} ms`);
  } finally {
    silent.close();
  }
});

test('unreachable Redis: one line naming the URL from every command, which then exits', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const line = (cmd: string) => `deeppose ${cmd}: redis://127.0.0.1:${port}/0: cannot reach Redis (connection refused); is redis-server running there and reachable from this machine? [E_QUEUE_UNREACHABLE]\n`;
  const [a, b, c] = await Promise.all([
    cli('results', '--queue', url, '--job', 'x', '--wait'),
    cli('worker', '--queue', url),
    cli('predict', '--queue', url, '--job', 'x', IMAGE),
  ]);
  assert.deepEqual([a.code, a.stderr], [1, line('results')]);
  assert.deepEqual([b.code, b.stderr], [1, line('worker')]);
  assert.deepEqual([c.code, c.stderr], [1, line('predict')]);
});

test('a job name that does not exist: one line naming the jobs that do', { skip: redisSkip, timeout: 30_000 }, async () => {
  const redis = await startRedis();
  try {
    const r = await cli('results', '--queue', redis.url, '--job', 'nope');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `deeppose results: job nope: no such job on redis://127.0.0.1:${redis.port}/0 (there are no jobs there) [E_JOB_NOT_FOUND]\n`);
    const c = await cli('results', '--queue', `${redis.url}/3`, '--job', 'nope', '--cancel');
    assert.equal(c.stderr, `deeppose results: job nope: no such job on redis://127.0.0.1:${redis.port}/3 (there are no jobs there) [E_JOB_NOT_FOUND]\n`);
  } finally {
    await redis.dispose();
  }
});
