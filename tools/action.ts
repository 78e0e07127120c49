/**
 * The CLI's one error adapter: every failure ends as one line on stderr,
 * `deeppose <command>: <message> [CODE]`, and an exit code by class —
 * never a stack trace (unless `--verbose`).
 *
 * | class | exit |
 * |---|---|
 * | `UsageError` (E_USAGE: unknown option, missing argument) | 2 |
 * | any other `DeepPoseError` (bad argument, file, image, model …) | 1 |
 * | file-system errors naming a path (ENOENT, EACCES …) | 1 |
 * | anything else (a bug) | 70 |
 */
import type { Command } from 'commander';
import { DeepPoseError, UsageError } from '../core/errors.js';

/** Exit code for a command line that does not parse. */
export const EXIT_USAGE = 2;
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

/** The exit code of a failure's class (table above). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof DeepPoseError) return EXIT_USER_ERROR;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.path === 'string') return EXIT_USER_ERROR;
  return EXIT_INTERNAL_ERROR;
}

/** Prints one line for `err` (more with `verbose`) and returns the exit code. */
export function reportError(prefix: string, err: unknown, verbose: boolean): number {
  const code = exitCodeOf(err);
  if (err instanceof DeepPoseError) {
    process.stderr.write(`${prefix}: ${err.message} [${err.code}]\n`);
    if (verbose) {
      if (err.detail) process.stderr.write(`${err.detail}\n`);
      if (err.stack) process.stderr.write(`${err.stack}\n`);
      if (err.cause) process.stderr.write(`caused by: ${String((err.cause as Error)?.stack ?? err.cause)}\n`);
    }
    return code;
  }
  const e = err as NodeJS.ErrnoException;
  if (code === EXIT_USER_ERROR) {
    // File-system errors the user caused: missing file, permission, directory.
    const reason = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
    process.stderr.write(`${prefix}: ${e.path}: ${reason} [${e.code}]\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return code;
  }
  process.stderr.write(`${prefix}: internal error: ${(err as Error)?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  if (verbose && (err as Error)?.stack) process.stderr.write(`${(err as Error).stack}\n`);
  return code;
}
