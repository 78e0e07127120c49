/** Cascade files for tests: the embedded default's stages by absolute path, with or without a person finder. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export const DEFAULT_DIR = path.join(ROOT, 'model', 'default');
/** The default stage 1 checkpoint (also a stand-in finder: stage 1 on the whole image). */
export const STAGE1_CHECKPOINT = path.join(DEFAULT_DIR, 'deeppose-lsp14-lite', 'epoch-48.model');

/**
 * Writes `name` in `dir`: the default cascade's stages (absolute paths) and
 * `finder` as given — `undefined` for none (a model without a person finder).
 */
export function writeCascade(dir: string, name: string, finder: unknown): string {
  const doc = JSON.parse(readFileSync(path.join(DEFAULT_DIR, 'cascade.json'), 'utf8')) as { skeleton: string; stages: { file: string }[] };
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({
    skeleton: doc.skeleton,
    stages: doc.stages.map((s) => ({ ...s, file: path.join(DEFAULT_DIR, s.file) })),
    ...(finder === undefined ? {} : { finder }),
  }));
  return file;
}
