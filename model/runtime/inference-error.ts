/** The runtime refused a model or a run (its own file: importing it loads no onnxruntime). */
import { DeepPoseError } from '../../core/errors.js';

export class InferenceError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_INFERENCE', message, cause === undefined ? undefined : { cause });
  }
}
