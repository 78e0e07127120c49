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
