/**
 * The work queue survives a worker killed mid-task: a real Redis (Debian's
 * redis-server on a free loopback port), three `deeppose worker` processes,
 * one SIGKILLed halfway; every image ends with exactly one result, equal to
 * what single-process `deeppose predict` gives for it, and the dead worker's
 * tasks are finished by the others (BullMQ's stalled-task recovery, with
 * short lock and check intervals for the test).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { CLI, FIXTURES, scratch } from './helpers/paths.js';
import { redisSkip, startRedis, type TestRedis } from './helpers/redis.js';

const run = promisify(execFile);
const tmp = scratch();
const env = { ...process.env, DEEPPOSE_CACHE_DIR: path.join(tmp.dir, 'cache') };
const N = 24;
const IMAGES = readdirSync(path.join(FIXTURES, 'lspet', 'images')).filter((f) => f.endsWith('.jpg')).sort().slice(0, N).map((f) => path.join(FIXTURES, 'lspet', 'images', f));

let redis: TestRedis | undefined;
let client: Redis | undefined;
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  client?.disconnect();
  await redis?.dispose();
  tmp.cleanup();
});

async function cli(...args: string[]) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { env, cwd: tmp.dir, maxBuffer: 64 << 20 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function startWorker(url: string): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--concurrency', '2', '--lock-timeout', '2', '--stalled-interval', '0.5'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('three workers, one SIGKILLed halfway: each image has exactly one result, equal to single-process predict', { skip: redisSkip, timeout: 300_000 }, async () => {
  redis = await startRedis();
  client = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: null });

  // Single-process reference (this also converts the default model into the shared cache once).
  const ref = await cli('predict', ...IMAGES, '--json');
  assert.equal(ref.code, 0, ref.stderr);
  const expected = new Map(ref.stdout.trim().split('\n').map((l) => {
    const d = JSON.parse(l) as { image: string; joints: { x: number; y: number }[] };
    return [path.basename(d.image), d.joints.map((j) => [j.x, j.y])] as const;
  }));
  assert.equal(expected.size, N);

  const enq = await cli('predict', '--queue', redis.url, '--job', 'crash', '--batch', '1', ...IMAGES);
  assert.equal(enq.code, 0, enq.stderr);
  assert.match(enq.stdout, new RegExp(`^job crash: ${N} images in ${N} tasks of up to 1 queued on redis://127\\.0\\.0\\.1:${redis.port}/0 \\(model epoch-48\\.model@[0-9a-f]{12}\\+1\\)\\n`));

  const workers = [startWorker(redis.url), startWorker(redis.url), startWorker(redis.url)];
  const results = 'deeppose:job:crash:results';
  await until('half the results', async () => (await client!.hlen(results)) >= N / 2, 180_000);
  const queue = new Queue('predict', { connection: client, prefix: 'deeppose' });
  try {
    // The victim: a worker holding a task right now.
    let victim: (typeof workers)[number] | undefined;
    let orphaned: string[] = [];
    await until('a worker in the middle of a task', async () => {
      const active = await queue.getActive();
      victim = workers.find((w) => active.some((j) => j.processedBy === `${os.hostname()}:${w.child.pid}`));
      return victim !== undefined;
    }, 60_000);
    const victimId = `${os.hostname()}:${victim!.child.pid}`;
    victim!.child.kill('SIGKILL');
    await victim!.exited;
    const doneAtKill = await client.hlen(results);
    // The victim's tasks still marked active; one may have stored its result just before the kill
    // (stored, then marked complete): that result stands, the others are left to the survivors.
    const storedAtKill = new Set(await client.hkeys(results));
    const held = (await queue.getActive()).filter((j) => j.processedBy === victimId).flatMap((j) => (j.data as { images: { name: string }[] }).images.map((i) => i.name));
    orphaned = held.filter((name) => !storedAtKill.has(name));
    assert.ok(doneAtKill < N, 'killed before the end');
    assert.ok(held.length >= 1, 'the killed worker held at least one task');

    await until('every result', async () => (await client!.hlen(results)) === N, 180_000);
    assert.equal(await client.hlen('deeppose:job:crash:failed'), 0);

    // Exactly one result per image, equal to the single-process output as predict prints it
    // (2 decimals; a value on a rounding boundary may print one hundredth apart, since the
    // batches differ — one image per job here, several per stage-1 batch there).
    const stored = await client.hgetall(results);
    assert.deepEqual(Object.keys(stored).sort(), [...expected.keys()].sort());
    for (const [name, json] of Object.entries(stored)) {
      const r = JSON.parse(json) as { jointsPx: [number, number][]; worker: string };
      const want = expected.get(name)!;
      assert.equal(r.jointsPx.length, want.length, name);
      r.jointsPx.forEach(([x, y], k) => assert.ok(Math.abs(x - want[k]![0]) <= 0.006 && Math.abs(y - want[k]![1]) <= 0.006, `${name}, joint ${k}: (${x}, ${y}) against predict's (${want[k]})`));
      if (orphaned.includes(name)) assert.notEqual(r.worker, victimId, `${name} was finished by a surviving worker`);
    }
    // Nothing doubled: the per-worker counters of stored results add up to N.
    const stats = await client.hgetall('deeppose:job:crash:stats');
    assert.equal(Object.entries(stats).filter(([k]) => k.endsWith('|n')).reduce((s, [, v]) => s + Number(v), 0), N);

    const res = await cli('results', '--queue', redis.url, '--job', 'crash', '--out', 'predictions.json');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^job crash: ${N} images: ${N} done, 0 failed, 0 waiting; model epoch-48\\.model@`));
    assert.match(res.stdout, /worker [^:]+:\d+: \d+ images, \d+\.\d\d images\/s/);
    assert.match(res.stdout, new RegExp(`predictions of ${N} images → predictions\\.json\\n`));
    const file = JSON.parse(readFileSync(path.join(tmp.dir, 'predictions.json'), 'utf8')) as { skeleton: string; images: { image: string; joints: [number, number][] }[] };
    assert.equal(file.skeleton, 'lsp14');
    assert.deepEqual(file.images.map((i) => i.image), [...expected.keys()].sort());
    for (const im of file.images) {
      im.joints.forEach(([x, y], j) => {
        const [ex, ey] = expected.get(im.image)![j]!;
        assert.ok(Math.abs(x - ex!) <= 0.0051 && Math.abs(y - ey!) <= 0.0051, `${im.image} joint ${j}: ${x},${y} vs ${ex},${ey}`);
      });
    }
  } finally {
    await queue.close();
  }

  // The survivors stop cleanly on SIGTERM.
  const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  assert.equal(alive.length, 2);
  for (const w of alive) w.child.kill('SIGTERM');
  for (const w of alive) {
    assert.equal(await w.exited, 0, w.log());
    assert.match(w.log(), /SIGTERM: finishing the running tasks, taking no more\n[\s\S]*stopped: \d+ images done, 0 failed/);
  }
});
