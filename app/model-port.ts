/** What the service needs of a model (the real PoseModel, or a fake in tests). */
import type { Skeleton } from '../data/skeletons.js';
import type { PoseModelInfo, PosePrediction, PoseRequest } from '../model/pose-model.js';

export interface ServedModel {
  readonly info: PoseModelInfo;
  readonly skeleton: Skeleton;
  /** Inference workers: batches that may run at once. */
  readonly concurrency?: number;
  /** Intra-op threads per worker (for the start-up line). */
  readonly threadsPerWorker?: number;
  predict(requests: PoseRequest[]): Promise<PosePrediction[]>;
  close(): Promise<void>;
}
