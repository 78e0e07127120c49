#!/usr/bin/env node
/**
 * `deeppose <command>`: the one command-line entry point. Each command lives
 * in its own file under tools/ and registers itself; this file only wires
 * them together, importing just the command being run (tools/commands.ts).
 */
import { Command, Help } from 'commander';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMAND_TABLE, type CommandEntry } from './commands.js';

/** The program with its global options, no commands yet. */
export function createProgram(): Command {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return new Command('deeppose')
    .description('Resurrect legacy Chainer DeepPose checkpoints: inspect, convert to ONNX, predict, serve, evaluate, train.')
    .version(pkg.version)
    .option('--verbose', 'print the full error detail and stack on failure')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
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
  const base = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? base.subcommandTerm(cmd) });
  for (const c of COMMAND_TABLE) program.command(c.name).description(c.description);
}

// Run only as the entry point (tests import createProgram and registerFor).
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const program = createProgram();
  await registerFor(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
}
