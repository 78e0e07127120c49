/** Starts `deeppose serve` as a child process on a free port and waits until its model is ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './paths.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly log: () => string;
  readonly exited: Promise<number | null>;
}

/** `options.host: false` leaves the address to the command's default ($HOST or 127.0.0.1). */
export async function startServeProcess(args: string[], env: Record<string, string>, options: { host?: boolean } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...(options.host === false ? [] : ['--host', '127.0.0.1']), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!/ready \(/.test(log)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /listening on http:\/\/[^\s]+:(\d+)/.exec(log)![1];
  return { child, url: `http://127.0.0.1:${port}`, log: () => log, exited };
}
