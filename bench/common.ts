/** Shared helpers for benchmarks: where results go, where the shared data is, machine facts. */
import { existsSync, mkdirSync } from 'node:fs';
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
