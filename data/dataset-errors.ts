/** Errors of the dataset readers and iterators (codes stable for the CLI and tests). */
import { DeepPoseError } from '../core/errors.js';

/** A `.mat` file that is not a readable MATLAB 5 file, or lacks what the caller needs. */
export class MatFileError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_MAT_FILE', message, cause === undefined ? undefined : { cause });
  }
}

/** A malformed row or field in an annotation file (legacy CSV, COCO JSON, MPII JSON). */
export class AnnotationFormatError extends DeepPoseError {
  constructor(message: string, cause?: unknown) {
    super('E_ANNOTATION_FORMAT', message, cause === undefined ? undefined : { cause });
  }
}

/** A dataset directory that does not have the expected layout (images/, annotations, splits/NAME.csv). */
export class DatasetLayoutError extends DeepPoseError {
  constructor(message: string) {
    super('E_DATASET_LAYOUT', message);
  }
}

/** One sample's image could not be read or decoded; `imagePath` names it. */
export class SampleLoadError extends DeepPoseError {
  readonly imagePath: string;
  constructor(imagePath: string, message: string, cause?: unknown) {
    super('E_SAMPLE_LOAD', message, cause === undefined ? undefined : { cause });
    this.imagePath = imagePath;
  }
}
