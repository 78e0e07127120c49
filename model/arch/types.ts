/** What every supported architecture provides to the converter and to `inspect`. */
import type { GraphBuilder } from '../onnx/builder.js';

/** Model parameters by name (`conv1/W`), float32, already checked. */
export type Params = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

export type ArchId = 'alexnet' | 'resnet50';

export interface ArchDescription {
  readonly arch: ArchId;
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
}

export interface Architecture {
  readonly id: ArchId;
  readonly title: string;
  /** Cheap test on parameter names: does the file look like this family? */
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
  build(g: GraphBuilder, params: Params, desc: ArchDescription, input: string): string;
}

/** Output side of a convolution (Chainer's default, cover_all=False): floor. */
export function convOut(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/** Output side of Chainer's max pooling with cover_all=True: ceil. */
export function poolOutCoverAll(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k + s - 1) / s) + 1;
}
