/** What travels through Redis: a job's description, a task, a result, a failure. */
import type { SkeletonId } from '../../data/skeletons.js';

/** The model a job was enqueued with. */
export interface JobModel {
  /** Absolute model paths as given to `--model` (on storage every worker shares); null: the embedded default. */
  readonly specs: readonly string[] | null;
  /** `PoseModel.info.id` at enqueue time. */
  readonly id: string;
  readonly skeleton: SkeletonId;
  /** Content hash (sha256 of the source file) of every cascade stage, stage 1 first. */
  readonly stageSha256: readonly string[];
}

export interface JobMeta {
  readonly name: string;
  readonly createdAt: string;
  /** Host and command line that enqueued it. */
  readonly createdBy: string;
  readonly images: number;
  readonly tasks: number;
  readonly imagesPerTask: number;
  readonly model: JobModel;
  readonly bboxPx?: readonly [number, number, number, number];
  readonly stages?: number;
  readonly cancelledAt?: string;
}

export interface TaskImage {
  /** The image's name in results and in the predictions file (unique in the job). */
  readonly name: string;
  /** Absolute path, read by the worker from shared storage. */
  readonly path: string;
}

/** One BullMQ task: a few images with everything a worker needs to check and run them. */
export interface TaskData {
  readonly job: string;
  readonly images: readonly TaskImage[];
  readonly model: JobModel;
  readonly bboxPx?: readonly [number, number, number, number];
  readonly stages?: number;
}

export interface ImageResult {
  readonly image: string;
  readonly path: string;
  /** `[K, 2]` joints in original-image pixels, full precision. */
  readonly jointsPx: [number, number][];
  readonly boxPx: readonly [number, number, number, number];
  readonly cropBoxXyxy: readonly [number, number, number, number];
  readonly imageSize: { readonly width: number; readonly height: number };
  readonly stages: number;
  readonly model: string;
  readonly worker: string;
  /** Epoch milliseconds. */
  readonly finishedAt: number;
}

export interface ImageFailure {
  readonly image: string;
  readonly path: string;
  /** One line: what went wrong with this image, with its code. */
  readonly reason: string;
  readonly code: string;
  readonly worker: string;
  readonly at: number;
}

/** A worker's heartbeat in `deeppose:workers`. */
export interface WorkerBeat {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly concurrency: number;
  readonly startedAt: number;
  readonly seenAt: number;
}
