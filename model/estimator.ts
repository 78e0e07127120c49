/**
 * What scoring a model needs from it: a batch already preprocessed for
 * stage 1 (the data iterator's output) in, `[B, K, 2]` joints in
 * original-image pixels out. `PoseModel` is one; training wraps its
 * current weights as another, so evaluation (eval/evaluate.ts), training's
 * per-epoch validation and the benchmarks all run the same pipeline.
 */
import type { Skeleton, SkeletonId } from '../data/skeletons.js';
import type { RawImage } from '../data/transforms/square-crop.js';
import type { BoxXyxy } from '../data/transforms/legacy.js';

/** A batch preprocessed for stage 1, with what the later stages need. */
export interface PreparedBatch {
  /** `[B, 3, S, S]` stage-1 input (legacy-normalised). May be transferred (detached) by the call. */
  readonly x: Float32Array;
  /** `[B]` stage-1 crop boxes, original-image pixels. */
  readonly cropBoxes: readonly BoxXyxy[];
  /** `[B]` the decoded images (decoded once, by the iterator): needed for stages ≥ 2. */
  readonly images?: readonly RawImage[];
  /** `[B]` index of each sample in its split. */
  readonly indices: readonly number[];
}

/**
 * How to load the same estimator again on another thread (structured-
 * cloneable): what `loadPoseModel` was given. Evaluation uses it to run the
 * whole pipeline on its worker threads (eval/estimate-in-worker.ts).
 */
export interface EstimatorSpec {
  readonly model?: readonly string[];
  readonly flip: boolean;
  readonly skeleton?: SkeletonId;
  readonly lrn?: 'band' | 'onnx';
}

export interface PoseEstimator {
  readonly skeleton: Skeleton;
  /** Present when the estimator can be loaded again elsewhere (a model from files). */
  readonly spec?: EstimatorSpec;
  readonly info: {
    /** Stage-1 input side S. */
    readonly inputSize: number;
    readonly channels: 'bgr' | 'rgb';
    /** Cascade depth available. */
    readonly stages: number;
    /** Whether `estimateBatch` can find the person (`find`). */
    readonly personFinder?: boolean;
  };
  /**
   * `[B, K, 2]` joints, original-image pixels, after `stages` cascade
   * stages. With `find` the batch holds whole-image crops and the decoded
   * images: the estimator finds each person first (a person finder).
   */
  estimateBatch(batch: PreparedBatch, stages: number, options?: { readonly find?: boolean }): Promise<[number, number][][]>;
}

/** One scored image of a validation pass, as the trainer needs it (for its loss and log). */
export interface ValidationImage {
  /** `[K, 2]` predicted joints, pixels. */
  readonly jointsPx: readonly (readonly [number, number])[];
  /** `[K, 2]` annotated joints, pixels. */
  readonly gtPx: readonly (readonly [number, number])[];
  /** `[K]` true where annotated. */
  readonly visible: readonly boolean[];
  readonly cropBoxXyxy: BoxXyxy;
}

/** Scores an estimator on a dataset (eval/evaluate.ts, handed to the trainer by tools/train.ts). */
export type ValidationScorer = (estimator: PoseEstimator, stages: number) => Promise<{ readonly strictPcp: number; readonly images: readonly ValidationImage[] }>;
