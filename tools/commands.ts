/**
 * Every `deeppose` sub-command, in the order `--help` lists them. Each lives
 * in its own file and registers itself; `load` imports that file only when
 * the command runs (tools/cli.ts), so a command pays for its own imports and
 * no other's (sharp, onnxruntime, express … take 0.1–0.5 s each to load).
 * `term` and `description` are what the top-level `--help` lists without
 * loading anything; test/startup-cli.test.ts checks they match what each
 * command registers.
 */
import type { Command } from 'commander';

export interface CommandEntry {
  readonly name: string;
  /** The command's usage in the top-level help, e.g. `inspect [options] <file>`. */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<(program: Command) => void>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  {
    name: 'inspect', term: 'inspect [options] <file>',
    description: 'show what a legacy Chainer checkpoint (npz, trainer snapshot, HDF5, Chainer 1.x pickle) holds and how it maps onto the model',
    load: async () => (await import('./inspect.js')).registerInspect,
  },
  {
    name: 'convert', term: 'convert [options] <file>',
    description: 'convert a legacy Chainer checkpoint (npz, trainer snapshot, HDF5, Chainer 1.x pickle) to ONNX; output y [N, 2K] is the raw regression',
    load: async () => (await import('./convert.js')).registerConvert,
  },
  {
    name: 'scrub', term: 'scrub [options] <file>',
    description: 'write a cleaned checkpoint (same keys, dtypes and shapes) with every NaN/±Inf replaced by 0, and a report',
    load: async () => (await import('./scrub.js')).registerScrub,
  },
  {
    name: 'remap', term: 'remap [options] <file>',
    description: 'write an npz whose keys load straight into the plain model (--to bare) or the loss wrapper (--to predictor) with serializers.load_npz',
    load: async () => (await import('./remap.js')).registerRemap,
  },
  {
    name: 'predict', term: 'predict [options] <inputs...>',
    description: 'estimate poses on images: JSON joints per image and skeleton overlay files',
    load: async () => (await import('./predict.js')).registerPredict,
  },
  {
    name: 'serve', term: 'serve [options]',
    description: 'serve a model over HTTP: POST /v1/pose, /v1/pose/overlay, GET /v1/models, /healthz, /readyz, /metrics, /openapi.json, and a web page at /',
    load: async () => (await import('./serve.js')).registerServe,
  },
  {
    name: 'eval', term: 'eval [options]',
    description: 'evaluate: PCP, PDJ and PCKh of a model on a dataset split, or of a predictions file; writes report.json, report.md, report.html',
    load: async () => (await import('./eval.js')).registerEval,
  },
  {
    name: 'train', term: 'train [options]',
    description: 'train or fine-tune a DeepPose stage (1: person crops; ≥ 2: cascade refinement on joint crops) on CPU (an ONNX graph computes loss, gradients and the update); writes legacy Chainer checkpoints',
    load: async () => (await import('./train.js')).registerTrain,
  },
  {
    name: 'composites', term: 'composites [options]',
    description: 'write a dataset of people pasted at 30–60 % of the frame into other scenes (joints moved with them), to train and judge finding the person without a box',
    load: async () => (await import('./composites.js')).registerComposites,
  },
  {
    name: 'quantize', term: 'quantize [options]',
    description: 'write a static int8 (QDQ) version of a model or cascade, calibrated on dataset images through the legacy preprocessing',
    load: async () => (await import('./quantize.js')).registerQuantize,
  },
  {
    name: 'worker', term: 'worker [options]',
    description: 'run queued prediction tasks (from deeppose predict --queue) until SIGTERM; start one per machine or more',
    load: async () => (await import('./worker.js')).registerWorker,
  },
  {
    name: 'results', term: 'results [options]',
    description: 'progress, failures and predictions file of a queued job (deeppose predict --queue)',
    load: async () => (await import('./results.js')).registerResults,
  },
];

/** Every command's registration, loaded (all modules imported): the eager form. */
export async function loadAllCommands(): Promise<((program: Command) => void)[]> {
  return Promise.all(COMMAND_TABLE.map((c) => c.load()));
}
