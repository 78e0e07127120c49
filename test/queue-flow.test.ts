/**
 * The queue as a user drives it, against a real Redis (Debian's
 * redis-server on a free loopback port, append-only file in a temporary
 * directory so it can be restarted): failed images listed with their
 * reasons and not retried, the predictions file scored by `deeppose eval`,
 * a worker refusing a model whose content hash changed, Redis restarting
 * under a waiting `results --wait` and a worker, SIGTERM finishing the
 * running task, and `--cancel`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { cliRunner } from './helpers/cli.js';
import { CHAINER, CLI, FIXTURES, scratch } from './helpers/paths.js';
import { redisSkip, startRedis, type TestRedis } from './helpers/redis.js';

const run = promisify(execFile);
const tmp = scratch();
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
const LSPET = path.join(FIXTURES, 'lspet');
/** The first images of the vendored legacy-test split (their ground truth is in the fixture). */
const SPLIT = readFileSync(path.join(LSPET, 'splits', 'legacy-test.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')[0]!);
const img = (name: string) => path.join(LSPET, 'images', name);
/** A small real Chainer checkpoint (converted on first use): quick to load and run. */
const MODEL = path.join(CHAINER, 'c7-alexnet-lsp14-bare.npz');

let redis: TestRedis;
let client: Redis;
let queue: Queue;
let worker: { child: ChildProcess; log: () => string; exited: Promise<number | null> } | undefined;
const children: ChildProcess[] = [];

before(async () => {
  if (redisSkip) return;
  redis = await startRedis({ persist: true });
  client = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  queue = new Queue('predict', { connection: client, prefix: 'deeppose' });
  queue.on('error', () => undefined);
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await queue?.close();
  client?.disconnect();
  await redis?.dispose();
  tmp.cleanup();
});

const cli = cliRunner({ env, cwd: tmp.dir });

function spawnCli(args: string[]): { child: ChildProcess; log: () => string; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let log = '';
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log, out: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const startWorker = () => spawnCli(['worker', '--queue', redis.url, '--lock-timeout', '2', '--stalled-interval', '0.5']);

test('corrupt and missing images fail once with their reasons; the predictions file is what deeppose eval scores', { skip: redisSkip, timeout: 240_000 }, async () => {
  writeFileSync(path.join(tmp.dir, 'broken.jpg'), 'definitely not a jpeg');
  const files = [img(SPLIT[0]!), img(SPLIT[1]!), path.join(tmp.dir, 'broken.jpg'), img(SPLIT[2]!), path.join(tmp.dir, 'missing.jpg')];
  const enq = await cli('predict', '--queue', redis.url, '--job', 'flow', '--model', MODEL, '--batch', '2', ...files);
  assert.equal(enq.code, 0, enq.stderr);
  assert.match(enq.stdout, /^job flow: 5 images in 3 tasks of up to 2 queued on redis:\/\/127\.0\.0\.1:\d+\/0 \(model c7-alexnet-lsp14-bare\.npz@[0-9a-f]{12}\)\n/);
  worker = startWorker();
  const r = await cli('results', '--queue', redis.url, '--job', 'flow', '--wait', '--out', 'flow.json');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^job flow: 5 images: 3 done, 2 failed, 0 waiting; model c7-alexnet-lsp14-bare\.npz@/);
  assert.match(r.stdout, /\n {2}failed broken\.jpg: \S+broken\.jpg: image: not a readable image \(.*\) \[E_IMAGE_DECODE\]\n/);
  assert.match(r.stdout, /\n {2}failed missing\.jpg: \S+missing\.jpg: cannot read it on worker \S+ \(no such file or directory\); images are read by path: is the shared storage mounted at the same path on every worker\? \[ENOENT\]\n/);
  assert.match(r.stdout, /predictions of 3 images → flow\.json\n/);
  assert.match(r.stderr, /deeppose results: 2 of 5 images failed\n$/);
  // The task holding only the missing image failed at its first attempt: not retried.
  const t = (await queue.getJob('flow#2'))!;
  assert.equal(await t.getState(), 'failed');
  assert.equal(t.attemptsMade, 1);
  assert.match(t.failedReason, /all 1 image\(s\) of the task failed/);

  const again = await cli('results', '--queue', redis.url, '--job', 'flow', '--out', 'flow.json');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^deeppose results: flow\.json: already exists \(pass --force to replace it\) \[E_OUTPUT_PATH\]\n$/);

  const gt = await cli('eval', '--dataset', LSPET, '--split', 'legacy-test', '--export-ground-truth', 'gt.json');
  assert.equal(gt.code, 0, gt.stderr);
  const ev = await cli('eval', '--predictions', 'flow.json', '--ground-truth', 'gt.json', '--out', 'report');
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stderr, new RegExp(`${SPLIT.length - 3} ground-truth images have no prediction`));
  assert.match(ev.stdout, /^strict PCP \d+\.\d%/);
  const pred = JSON.parse(readFileSync(path.join(tmp.dir, 'flow.json'), 'utf8')) as { images: { image: string }[] };
  assert.deepEqual(pred.images.map((i) => i.image), SPLIT.slice(0, 3).sort());
});

test('a worker refuses a task whose model files changed since it was enqueued, with the reason', { skip: redisSkip, timeout: 180_000 }, async () => {
  const model = path.join(tmp.dir, 'model.npz');
  copyFileSync(MODEL, model);
  await queue.pause();
  const enq = await cli('predict', '--queue', redis.url, '--job', 'mismatch', '--model', model, '--batch', '1', img(SPLIT[3]!));
  assert.equal(enq.code, 0, enq.stderr);
  copyFileSync(path.join(CHAINER, 'c1-alexnet-lsp14-run', 'epoch-1.model'), model);
  await queue.resume();
  const r = await cli('results', '--queue', redis.url, '--job', 'mismatch', '--wait', '--interval', '0.2');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /job mismatch: 1 images: 0 done, 1 failed, 0 waiting/);
  assert.match(r.stdout, /failed im\d+\.jpg: \S+model\.npz: stage 1 has sha256 [0-9a-f]{12}… on this worker, the job expects [0-9a-f]{12}… \(model files changed since the job was enqueued, or differ between machines\) \[E_MODEL_MISMATCH\]/);
  assert.equal((worker!.log().match(/mismatch: refused task mismatch#0/g) ?? []).length, 3);
});

test('Redis restarts: results --wait and the worker reconnect and the job completes', { skip: redisSkip, timeout: 180_000 }, async () => {
  await queue.pause();
  const enq = await cli('predict', '--queue', redis.url, '--job', 'restart', '--model', MODEL, '--batch', '1', img(SPLIT[4]!), img(SPLIT[5]!));
  assert.equal(enq.code, 0, enq.stderr);
  const waiting = spawnCli(['results', '--queue', redis.url, '--job', 'restart', '--wait', '--interval', '0.2']);
  await until('results --wait to start waiting', () => /job restart .* 0\/2/.test(waiting.log()));
  await redis.stop();
  await new Promise((r) => setTimeout(r, 500));
  await redis.start();
  await until('the worker to reconnect', () => /reconnected to redis:\/\/127\.0\.0\.1:\d+\/0/.test(worker!.log()));
  await queue.resume();
  assert.equal(await waiting.exited, 0, waiting.log());
  assert.match(waiting.out(), /job restart: 2 images: 2 done, 0 failed, 0 waiting/);
  assert.match(waiting.log(), /lost the connection to redis:\/\/127\.0\.0\.1:\d+\/0 \(.*\); reconnecting\n[\s\S]*reconnected to redis:\/\/127\.0\.0\.1:\d+\/0/);
});

test('SIGTERM: the worker finishes its running task, then exits 0', { skip: redisSkip, timeout: 180_000 }, async () => {
  const w = worker!;
  const images = SPLIT.slice(6, 14).map(img);
  const enq = await cli('predict', '--queue', redis.url, '--job', 'drain', '--model', MODEL, '--batch', '8', ...images);
  assert.equal(enq.code, 0, enq.stderr);
  const id = `${os.hostname()}:${w.child.pid}`;
  await until('the worker to take the task', async () => (await queue.getActive()).some((j) => j.processedBy === id));
  w.child.kill('SIGTERM');
  assert.equal(await w.exited, 0, w.log());
  assert.match(w.log(), /SIGTERM: finishing the running tasks, taking no more\n[\s\S]*stopped: \d+ images done/);
  const stored = Object.values(await client.hgetall('deeppose:job:drain:results')).map((v) => JSON.parse(v) as { worker: string });
  assert.equal(stored.length, 8);
  assert.ok(stored.every((s) => s.worker === id));
  assert.equal(await client.hexists('deeppose:workers', id), 0, 'a stopped worker removes its heartbeat');
});

test('--cancel removes the queued tasks and keeps what is done', { skip: redisSkip, timeout: 120_000 }, async () => {
  const enq = await cli('predict', '--queue', redis.url, '--job', 'cancel', '--model', MODEL, '--batch', '1', img(SPLIT[0]!), img(SPLIT[1]!), img(SPLIT[2]!));
  assert.equal(enq.code, 0, enq.stderr);
  const c = await cli('results', '--queue', redis.url, '--job', 'cancel', '--cancel');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^job cancel: cancelled; 3 queued task\(s\) removed, running tasks finish their current images\njob cancel: 3 images: 0 done, 0 failed, 3 waiting \(cancelled \d{4}-/);
  assert.equal(await queue.getWaitingCount(), 0);
  const w = await cli('results', '--queue', redis.url, '--job', 'cancel', '--wait');
  assert.equal(w.code, 0, 'a cancelled job does not keep --wait waiting');
});

test('a task whose worker died more often than --max-stalled allows fails, its images listed with the reason', { skip: redisSkip, timeout: 180_000 }, async () => {
  // A named pipe nobody writes to: reading it blocks, so the worker is reliably in the middle of the task when killed.
  const stuck = path.join(tmp.dir, 'stuck.jpg');
  assert.equal(spawnSync('mkfifo', [stuck]).status, 0);
  const args = ['worker', '--queue', redis.url, '--lock-timeout', '2', '--stalled-interval', '0.5', '--max-stalled', '0'];
  const a = spawnCli(args);
  const enq = await cli('predict', '--queue', redis.url, '--job', 'stalled', '--model', MODEL, '--batch', '2', stuck, img(SPLIT[0]!));
  assert.equal(enq.code, 0, enq.stderr);
  const id = `${os.hostname()}:${a.child.pid}`;
  await until('the worker to take the task', async () => (await queue.getActive()).some((j) => j.processedBy === id));
  a.child.kill('SIGKILL');
  await a.exited;
  const b = spawnCli(args);
  const r = await cli('results', '--queue', redis.url, '--job', 'stalled', '--wait', '--interval', '0.2');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^job stalled: 2 images: 0 done, 2 failed, 0 waiting/);
  assert.match(r.stdout, /\n {2}failed stuck\.jpg: job stalled more than allowable limit \[E_TASK_FAILED\]\n/);
  b.child.kill('SIGTERM');
  assert.equal(await b.exited, 0, b.log());
});
