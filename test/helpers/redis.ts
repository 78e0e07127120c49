/**
 * A throw-away Redis for queue tests: Debian's `redis-server` on a free
 * loopback port, its files (if any) in a temporary directory removed on
 * stop. Without redis-server the queue tests are skipped, except under CI
 * (CI=true), where .ci/run installs it and its absence is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

/** `skip` option for node:test: a reason without redis-server, unless under CI. */
export const redisSkip: string | false = !REDIS_SERVER && !process.env.CI ? 'Debian redis-server is not installed (apt-get install redis-server)' : false;

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM; with `persist`, it writes its append-only file first). */
  stop(): Promise<void>;
  /** Starts it again on the same port (same data with `persist`). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts redis-server on a free loopback port; `persist`: append-only file (fsync always) in its temporary directory, so a restart keeps the data. */
export async function startRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error('redis-server must be installed under CI (.ci/run installs it)');
  const dir = mkdtempSync(path.join(tmpdir(), 'deeppose-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir, '--dbfilename', 'dump.rdb',
    '--save', '', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning', '--logfile', '',
    ...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ];
  const start = async () => {
    const c = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let log = '';
    c.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    exited = new Promise((r) => c.on('exit', () => r()));
    const deadline = Date.now() + 10_000;
    // Ready when it accepts a connection and answers PING.
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
      if (await pings(port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    s.on('error', () => resolve(false));
  });
}
