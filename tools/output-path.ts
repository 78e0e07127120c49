/** Checks on output paths: never overwrite an input, never overwrite anything without --force. */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DeepPoseError } from '../core/errors.js';

export class OutputPathError extends DeepPoseError {
  constructor(message: string) {
    super('E_OUTPUT_PATH', message);
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function checkOutputPath(output: string, inputs: readonly string[], force: boolean): void {
  const out = real(output);
  for (const i of inputs) {
    if (real(i) === out) throw new OutputPathError(`${output}: is the input file; inputs are never modified, choose another output`);
  }
  if (existsSync(output)) {
    if (statSync(output).isDirectory()) throw new OutputPathError(`${output}: is a directory, expected a file path`);
    if (!force) throw new OutputPathError(`${output}: already exists (pass --force to replace it)`);
  }
  const dir = path.dirname(path.resolve(output));
  if (!existsSync(dir)) throw new OutputPathError(`${output}: directory ${dir} does not exist`);
}

/**
 * A report directory: absent (created later), or a directory without a
 * report in it unless `force`. Checked before any work starts.
 */
export function checkReportDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new OutputPathError(`${dir}: is a file, expected a report directory (--out)`);
  if (existsSync(path.join(dir, 'report.json')) && !force) throw new OutputPathError(`${dir}: already holds a report (pass --force to replace it)`);
}

/** A file written after long work: not an existing file unless `force`, not a directory; its directory is created later. */
export function checkNewFile(file: string, force: boolean, option: string): void {
  if (!existsSync(file)) return;
  if (statSync(file).isDirectory()) throw new OutputPathError(`${file}: is a directory, expected a file path (${option})`);
  if (!force) throw new OutputPathError(`${file}: already exists (pass --force to replace it) (${option})`);
}
