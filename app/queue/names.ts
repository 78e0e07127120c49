/**
 * Image names for results and the predictions file: the file name when
 * every file name is distinct (as dataset splits and ground-truth files name
 * images), else the path relative to the deepest folder holding them all.
 */
import path from 'node:path';

/** `files` are absolute paths; returns one unique name per file, in order. */
export function imageNames(files: readonly string[]): string[] {
  const base = files.map((f) => path.basename(f));
  if (new Set(base).size === base.length) return base;
  const dirs = files.map((f) => path.dirname(f).split(path.sep));
  let n = dirs[0]!.length;
  for (const d of dirs) {
    let i = 0;
    while (i < n && i < d.length && d[i] === dirs[0]![i]) i++;
    n = i;
  }
  return files.map((f) => f.split(path.sep).slice(n).join('/'));
}
