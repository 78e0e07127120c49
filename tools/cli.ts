#!/usr/bin/env node
/**
 * `deeppose <command>`: the one command-line entry point. Each command lives
 * in its own file under tools/ and registers itself; this file only wires
 * them together, importing just the command being run (tools/commands.ts),
 * and turns any failure — commander's own parse errors included — into one
 * line with a code (tools/action.ts).
 */
import type { Command } from 'commander';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { COMMAND_TABLE, type CommandEntry } from './commands.js';
import { reportError } from './action.js';
import { requireCommonJs } from '../core/require-commonjs.js';
import { disableRuntimeTelemetry } from '../model/runtime/telemetry.js';

/** commander (CommonJS, required: see core/require-commonjs.ts). */
const commander = requireCommonJs<typeof import('commander')>('commander');

/** The program with its global options, no commands yet. */
export function createProgram(): Command {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return new commander.Command('deeppose')
    .description('Resurrect legacy Chainer DeepPose checkpoints: inspect, convert to ONNX, predict, serve, evaluate, train.')
    .version(pkg.version)
    .option('--verbose', 'print the full error detail and stack on failure')
    .exitOverride()
    // Commander's own messages ("error: unknown option …" and the help hint) are replaced by one line below.
    .configureOutput({ outputError: () => undefined });
}

/**
 * The command `argv` (arguments after `deeppose`) runs: the first operand,
 * or the one after `help`. Global options take no values, so every word
 * before it starts with `-`.
 */
export function commandToLoad(argv: readonly string[]): CommandEntry | undefined {
  const operands = argv.filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMAND_TABLE.find((c) => c.name === name);
}

/**
 * Registers what `argv` needs: the one command it runs, loaded; otherwise
 * (top-level help, unknown command) every command as a listing entry with
 * the name, usage and description it registers, without loading it.
 */
export async function registerFor(program: Command, argv: readonly string[]): Promise<void> {
  const entry = commandToLoad(argv);
  if (entry) {
    (await entry.load())(program);
    return;
  }
  const terms = new Map(COMMAND_TABLE.map((c) => [c.name, c.term]));
  const base = new commander.Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? base.subcommandTerm(cmd) });
  for (const c of COMMAND_TABLE) program.command(c.name).description(c.description);
}

/** The sub-command named on the command line, for the message prefix. */
function commandName(program: Command, argv: readonly string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const name = argv.slice(2).find((a) => names.has(a));
  return name ? `deeppose ${name}` : 'deeppose';
}

async function main(): Promise<void> {
  // onnxruntime's usage telemetry off for every thread this process starts (model/runtime/telemetry.ts).
  disableRuntimeTelemetry();
  const program = createProgram();
  await registerFor(program, process.argv.slice(2));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const verbose = process.argv.includes('--verbose');
    if (err instanceof commander.CommanderError) {
      // --help and --version end here too, with exit code 0.
      if (err.exitCode === 0) process.exit(0);
      // `deeppose` alone, or a command group without its command: the help was printed.
      if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') process.exit(err.exitCode);
      const prefix = commandName(program, process.argv);
      const message = err.message.replace(/^error: /, '').replace(/\.$/, '');
      process.exitCode = reportError(prefix, new UsageError(`${message} (see ${prefix} --help)`), verbose);
    } else {
      process.exitCode = reportError(commandName(program, process.argv), err, verbose);
    }
  }
}

// Run only as the entry point (tests import createProgram and registerFor).
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) await main();
