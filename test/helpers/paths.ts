/** Paths of vendored fixtures and scratch directories for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/…). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const CHAINER = path.join(FIXTURES, 'chainer');
export const CLI = path.join(ROOT, 'dist', 'tools', 'cli.js');

/** A fresh temporary directory and its cleanup. */
export function scratch(prefix = 'deeppose-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
