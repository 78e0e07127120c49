/** Runs `deeppose` as a user would (a child process), for the CLI tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from './paths.js';

const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `cli(...args)` with this environment and working directory; a non-zero exit is a result, not a throw. */
export function cliRunner(options: { env: NodeJS.ProcessEnv; cwd: string }): (...args: string[]) => Promise<CliResult> {
  return async (...args) => {
    try {
      return { code: 0, ...(await run(process.execPath, [CLI, ...args], options)) };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
}
