/** Shared helpers for benchmarks: where results go, where the shared data is, machine facts. */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../core/write-atomic.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = path.join(REPO, 'bench', 'results');
/** `../shared` beside the checkout, when present. */
export const SHARED = path.resolve(REPO, '..', 'shared');
export const hasShared = (): boolean => existsSync(path.join(SHARED, 'README.md'));

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version, platform: `${os.platform()} ${os.arch()}` };
}

export async function writeResult(name: string, result: Record<string, unknown>): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.json`);
  const doc = { benchmark: name, date: new Date().toISOString(), command: `npm run bench -- ${name}`, machine: machine(), ...result };
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(doc, null, 2)}\n`)]);
  return file;
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The first `n` LSPET images (sorted by name): the shared dataset when present, else the vendored fixtures. */
export function benchImages(n: number): { name: string; bytes: Uint8Array }[] {
  const dir = hasShared() ? path.join(SHARED, 'datasets', 'lspet', 'images') : path.join(REPO, 'test', 'fixtures', 'lspet', 'images');
  const files = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, n);
  return files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(path.join(dir, f))) }));
}

/** Wall milliseconds of `n` awaited calls of `fn`, one after another. */
export async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}
