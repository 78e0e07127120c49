/** Every `deeppose` sub-command, in the order `--help` lists them. Each lives in its own file. */
import type { Command } from 'commander';

export const COMMANDS: readonly ((program: Command) => void)[] = [
];
