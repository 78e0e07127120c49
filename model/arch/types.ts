/** What every supported architecture provides to the converter and to `inspect`. */
import type { GraphBuilder } from '../onnx/builder.js';

/** Model parameters by name (`conv1/W`), float32, already checked. */
export type Params = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

/**
 * Architecture families. `resnet50` is the historical name of the ResNet
 * family (any depth is recognised from the blocks present); it stays an
 * accepted `--arch` value and the metadata names the depth (`resnet101`).
 */
export type ArchId = 'alexnet' | 'resnet50' | 'vgg16';

/** Which statistics batch normalisation uses at inference. */
export type BnStatistics = 'running' | 'batch';

export interface BuildOptions {
  /**
   * `running` (default): avg_mean/avg_var, Chainer's inference mode.
   * `batch`: mean and variance over N, H, W of the batch being run, as the
   * 2015 FunctionSet models' own `forward` did (they never passed test=True).
   */
  readonly bnStatistics?: BnStatistics;
}

export interface ArchDescription {
  /** Family and depth, e.g. `alexnet`, `resnet101`, `vgg16`. */
  readonly arch: string;
  /** Family name for people, e.g. `AlexNet (legacy DeepPose)`. */
  readonly title: string;
  /** Layer widths read from the file, e.g. `{conv1: 16, …, fc6: 128}`. */
  readonly widths: Readonly<Record<string, number>>;
  /** Joint count K (output is 2K). */
  readonly joints: number;
  /** Total number of parameters. */
  readonly parameterCount: number;
  /** Parameters the forward pass uses, in order. */
  readonly params: readonly string[];
  /** Layer names of batch normalisation, if any (for `--bn-statistics`). */
  readonly batchNorm?: readonly string[];
}

export interface Architecture {
  readonly id: ArchId;
  readonly title: string;
  /** Test on parameter names: does the file look like this family? */
  matches(names: ReadonlySet<string>): boolean;
  /** Every parameter the forward pass needs. */
  required(names: ReadonlySet<string>): readonly string[];
  /**
   * Parameters the file may hold that inference does not need (e.g. batch
   * normalisation's sample count `N`): listed as unused, with this reason.
   */
  ignorable(name: string): string | undefined;
  /** Checks every shape against the topology at `inputSize`; throws ShapeMismatchError. */
  describe(shapes: ReadonlyMap<string, readonly number[]>, inputSize: number): ArchDescription;
  /** Adds the inference graph `x [N,3,S,S] → y [N,2K]` to `g`, returns the output name. */
  build(g: GraphBuilder, params: Params, desc: ArchDescription, input: string, options?: BuildOptions): string;
}

/** Output side of a convolution (Chainer's default, cover_all=False): floor. */
export function convOut(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/** Output side of Chainer's max pooling with cover_all=True: ceil. */
export function poolOutCoverAll(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k + s - 1) / s) + 1;
}
