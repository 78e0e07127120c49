/** Every `deeppose` sub-command, in the order `--help` lists them. Each lives in its own file. */
import type { Command } from 'commander';
import { registerInspect } from './inspect.js';
import { registerConvert } from './convert.js';
import { registerScrub } from './scrub.js';
import { registerRemap } from './remap.js';
import { registerPredict } from './predict.js';
import { registerServe } from './serve.js';
import { registerEval } from './eval.js';
import { registerTrain } from './train.js';
import { registerQuantize } from './quantize.js';

export const COMMANDS: readonly ((program: Command) => void)[] = [
  registerInspect,
  registerConvert,
  registerScrub,
  registerRemap,
  registerPredict,
  registerServe,
  registerEval,
  registerTrain,
  registerQuantize,
];
