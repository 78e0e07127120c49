/**
 * Load on the pose service: `deeppose serve` (embedded default model) as a
 * child process on loopback, autocannon firing real LSPET JPEGs at
 * POST /v1/pose with 1, 4 and 16 connections; requests/s, p50/p99 latency,
 * errors, and the service's RSS before and after. Also the same load with
 * micro-batching off (--batch 1), to measure what batching buys. Then the
 * memory attacks of issue 16 (bench/service-attacks.ts) against a service
 * with default settings, with its peak RSS. `BENCH_SERVICE=attacks` runs
 * only those (`node dist/bench/service.js` or `npm run bench -- service`).
 */
import os from 'node:os';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { REPO, SHARED, hasShared, writeResult } from './common.js';
import { FULL_ATTACKS, runAttacks } from './service-attacks.js';

const CLI = path.join(REPO, 'dist', 'tools', 'cli.js');

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

async function startService(extra: string[], defaults = false): Promise<{ url: string; pid: number; readyLine: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...(defaults ? [] : ['--queue', '256']), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const t0 = Date.now();
  while (!/ready \(/.test(log)) {
    if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`service did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /listening on http:\/\/[^\s]+:(\d+)/.exec(log)![1];
  const readyLine = /model .* ready \([^)]*\)/.exec(log)?.[0] ?? '';
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, readyLine, stop: async () => (child.kill('SIGTERM'), exited) };
}

function images(): Buffer[] {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 64).map((f) => readFileSync(path.join(dir, f)));
}

async function load(url: string, connections: number, bodies: Buffer[], seconds: number, query: string) {
  let i = 0;
  const r = await autocannon({
    url: `${url}/v1/pose${query}`,
    connections,
    duration: seconds,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
    }],
  });
  return {
    connections,
    requestsPerSecond: +r.requests.average.toFixed(1),
    latencyMsP50: r.latency.p50,
    latencyMsP99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** The memory attacks against a service with default settings (loopback). */
async function attacks(): Promise<Record<string, unknown>> {
  const s = await startService([], true);
  try {
    process.stderr.write('bench service: memory attacks (issue 16 item 2), default settings…\n');
    return { service: s.readyLine, ...(await runAttacks(s.url, s.pid, path.join(REPO, 'test', 'fixtures', 'service-bombs'), FULL_ATTACKS)), targetPeakRssMiB: 1024 };
  } finally {
    await s.stop();
  }
}

export async function benchService(): Promise<Record<string, unknown>> {
  if (process.env.BENCH_SERVICE === 'attacks') {
    const result = { description: 'memory attacks of issue 16 item 2 against `deeppose serve` with default settings (loopback); run by `npm run build && BENCH_SERVICE=attacks node dist/bench/service.js`', attacks: await attacks() };
    await writeResult('service-attacks', result);
    return result;
  }
  const bodies = images();
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  // BENCH_SERVE_ARGS: extra `deeppose serve` options for every run (e.g. "--workers 2"), to compare configurations.
  const common = (process.env.BENCH_SERVE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const runs: Record<string, unknown>[] = [];
  // The default model's every stage, then stage 1 alone with and without micro-batching, then
  // every stage on one worker per core (throughput rather than latency).
  const modes = [
    ['micro-batching (default, --batch 16), all stages', [], ''],
    ['micro-batching (default, --batch 16), stage 1 only (?stages=1)', [], '?stages=1'],
    ['no batching (--batch 1), stage 1 only (?stages=1)', ['--batch', '1'], '?stages=1'],
    ['micro-batching, all stages, one inference worker per core (--workers N --threads 1)', ['--workers', String(os.availableParallelism()), '--threads', '1'], ''],
  ] as const;
  for (const [label, extra, query] of modes) {
    const s = await startService([...common, ...extra]);
    const rssBefore = rssMiB(s.pid);
    const levels = [];
    for (const c of [1, 4, 16]) {
      process.stderr.write(`bench service: ${label}, ${c} connection(s), ${seconds} s…\n`);
      levels.push({ ...(await load(s.url, c, bodies, seconds, query)), rssAfterMiB: rssMiB(s.pid) });
    }
    const rssAfter = rssMiB(s.pid);
    const code = await s.stop();
    runs.push({ mode: label, query, serveArgs: [...common, ...extra].join(' '), service: s.readyLine, rssBeforeMiB: rssBefore, rssAfterMiB: rssAfter, exitCodeOnSigterm: code, levels });
  }
  const ratio = (r: Record<string, unknown>) => {
    const l = r.levels as { requestsPerSecond: number }[];
    return +(l[2]!.requestsPerSecond / l[0]!.requestsPerSecond).toFixed(2);
  };
  const memoryAttacks = await attacks();
  const result = {
    memoryAttacks,
    description: `autocannon on loopback, POST /v1/pose with ${bodies.length} LSPET JPEGs (${hasShared() ? 'shared dataset' : 'vendored fixtures'}), ${seconds} s per level; the embedded default model (see each run's service line for stages, workers and threads)`,
    runs,
    throughputRatioC16OverC1: Object.fromEntries(runs.map((r) => [r.mode as string, ratio(r)])),
    targets: { errorsAtC16: 0, throughputRatioC16OverC1: 2 },
  };
  await writeResult('service', result);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(JSON.stringify(await benchService(), null, 2));
}
