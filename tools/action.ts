/**
 * Wraps a command's action so that every failure ends as one line on stderr
 * naming the problem and a non-zero exit, never a stack trace (unless
 * `--verbose`).
 */
import type { Command } from 'commander';
import { DeepPoseError } from '../core/errors.js';

/** Exit code for a failure the user caused (bad file, bad argument). */
export const EXIT_USER_ERROR = 1;
/** Exit code for an unexpected internal failure. */
export const EXIT_INTERNAL_ERROR = 70;

export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    try {
      await fn(...args);
    } catch (err) {
      const verbose = Boolean(cmd?.optsWithGlobals?.().verbose);
      process.exitCode = reportError(`deeppose ${cmd?.name?.() ?? ''}`.trim(), err, verbose);
    }
  };
}

/** Prints one line for `err` (more with `verbose`) and returns the exit code. */
export function reportError(prefix: string, err: unknown, verbose: boolean): number {
  if (err instanceof DeepPoseError) {
    process.stderr.write(`${prefix}: ${err.message} [${err.code}]\n`);
    if (verbose) {
      if (err.detail) process.stderr.write(`${err.detail}\n`);
      if (err.stack) process.stderr.write(`${err.stack}\n`);
      if (err.cause) process.stderr.write(`caused by: ${String((err.cause as Error)?.stack ?? err.cause)}\n`);
    }
    return EXIT_USER_ERROR;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    // File-system errors the user caused: missing file, permission, directory.
    process.stderr.write(`${prefix}: ${e.path}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'$/, '')} [${e.code}]\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return EXIT_USER_ERROR;
  }
  process.stderr.write(`${prefix}: internal error: ${(err as Error)?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  if (verbose && (err as Error)?.stack) process.stderr.write(`${(err as Error).stack}\n`);
  return EXIT_INTERNAL_ERROR;
}
