#!/usr/bin/env node
/**
 * `deeppose <command>`: the one command-line entry point. Each command lives
 * in its own file under tools/ and registers itself here; this file only
 * wires them together and turns any failure — commander's own parse errors
 * included — into one line with a code (tools/action.ts).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { COMMANDS } from './commands.js';
import { reportError } from './action.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('deeppose')
  .description('Resurrect legacy Chainer DeepPose checkpoints: inspect, convert to ONNX, predict, serve, evaluate, train.')
  .version(pkg.version)
  .option('--verbose', 'print the full error detail and stack on failure')
  .exitOverride()
  // Commander's own messages ("error: unknown option …" and the help hint) are replaced by one line below.
  .configureOutput({ outputError: () => undefined });

for (const register of COMMANDS) register(program);

/** The sub-command named on the command line, for the message prefix. */
function commandName(argv: readonly string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const name = argv.slice(2).find((a) => names.has(a));
  return name ? `deeppose ${name}` : 'deeppose';
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const verbose = process.argv.includes('--verbose');
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (err.exitCode === 0) process.exit(0);
    // `deeppose` alone, or a command group without its command: the help was printed.
    if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') process.exit(err.exitCode);
    const prefix = commandName(process.argv);
    const message = err.message.replace(/^error: /, '').replace(/\.$/, '');
    process.exitCode = reportError(prefix, new UsageError(`${message} (see ${prefix} --help)`), verbose);
  } else {
    process.exitCode = reportError(commandName(process.argv), err, verbose);
  }
}
