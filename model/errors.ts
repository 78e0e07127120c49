/** Errors about checkpoints: each names the file and the problem. */
import { DeepPoseError } from '../core/errors.js';

/** The file is not an npz or HDF5 checkpoint at all (empty, text, directory…). */
export class NotACheckpointError extends DeepPoseError {
  constructor(message: string) {
    super('E_NOT_CHECKPOINT', message);
  }
}

/** The file holds optimizer state (Adam moments), not model weights. */
export class OptimizerStateError extends DeepPoseError {
  constructor(message: string) {
    super('E_OPTIMIZER_STATE', message);
  }
}

/** A parameter the architecture needs is absent. */
export class MissingKeyError extends DeepPoseError {
  constructor(message: string) {
    super('E_MISSING_KEY', message);
  }
}

/** A tensor's shape or dtype does not fit the architecture. */
export class ShapeMismatchError extends DeepPoseError {
  constructor(message: string) {
    super('E_SHAPE', message);
  }
}

/** No supported architecture matches the checkpoint's keys. */
export class UnknownArchitectureError extends DeepPoseError {
  constructor(message: string) {
    super('E_UNKNOWN_ARCH', message);
  }
}

/** NaN or ±Inf in the weights, and the policy is to refuse. */
export class NonFiniteWeightsError extends DeepPoseError {
  constructor(message: string, detail: string) {
    super('E_NONFINITE', message, { detail });
  }
}

/** An option contradicts the checkpoint (e.g. `--joints 16` for a 14-joint fc8). */
export class OptionMismatchError extends DeepPoseError {
  constructor(message: string) {
    super('E_OPTION', message);
  }
}

/**
 * Weight tensors of the checkpoint that the recognised architecture does not
 * consume: converting without them would compute something else.
 */
export class UnusedWeightsError extends DeepPoseError {
  constructor(message: string, detail: string) {
    super('E_UNUSED_WEIGHTS', message, { detail });
  }
}

/** A pickle that the safe reader refuses or cannot read (forbidden global, limits, truncation). */
export class PickleError extends DeepPoseError {
  constructor(message: string) {
    super('E_PICKLE', message);
  }
}
