/** Errors of the work queue: each names the queue URL or job and what was wrong. */
import { DeepPoseError } from '../../core/errors.js';

/** Redis cannot be reached (refused, timed out, bad host, authentication). */
export class QueueUnreachableError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_QUEUE_UNREACHABLE', message, { cause });
  }
}

/** A job name that is not on the queue. */
export class UnknownJobError extends DeepPoseError {
  constructor(message: string) {
    super('E_JOB_NOT_FOUND', message);
  }
}

/** A job name already taken on the queue. */
export class JobExistsError extends DeepPoseError {
  constructor(message: string) {
    super('E_JOB_EXISTS', message);
  }
}

/** A worker's model is not the model the job was enqueued with (or cannot be loaded there). */
export class ModelMismatchError extends DeepPoseError {
  constructor(message: string) {
    super('E_MODEL_MISMATCH', message);
  }
}
