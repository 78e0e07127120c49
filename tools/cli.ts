#!/usr/bin/env node
/**
 * `deeppose <command>`: the one command-line entry point. Each command lives
 * in its own file under tools/ and registers itself here; this file only
 * wires them together.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { COMMANDS } from './commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('deeppose')
  .description('Resurrect legacy Chainer DeepPose checkpoints: inspect, convert to ONNX, predict, serve, evaluate, train.')
  .version(pkg.version)
  .option('--verbose', 'print the full error detail and stack on failure')
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

for (const register of COMMANDS) register(program);

await program.parseAsync(process.argv);
