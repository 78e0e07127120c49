/**
 * The pose JSON document, built in one place for every output: `deeppose
 * predict` (stdout and `<name>.json`), the HTTP service and the queue
 * workers. Coordinates are original-image pixels rounded to 0.01 px;
 * `x` is the column, `y` the row.
 */
import type { PosePrediction } from './pose-model.js';

export interface PoseJoint {
  readonly name: string;
  /** Column, pixels. */
  readonly x: number;
  /** Row, pixels. */
  readonly y: number;
}

export interface PoseJson {
  readonly image?: string;
  readonly model: string;
  readonly imageSize: { readonly width: number; readonly height: number };
  /** Person box `[x, y, w, h]`, pixels. */
  readonly boxPx: readonly number[];
  /** Where the box came from: `given`, `found` (the person finder) or `whole` (the whole image). */
  readonly boxSource: string;
  /** Stage-1 crop `[x0, y0, x1, y1]`, pixels. */
  readonly cropBoxXyxy: readonly number[];
  readonly stages: number;
  readonly joints: readonly PoseJoint[];
  readonly timingsMs: Record<string, number>;
}

/** Rounds pixels to 0.01. */
export function roundPx(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The JSON document of one prediction; `image` names the file when there is one. */
export function poseJson(p: PosePrediction, modelId: string, image?: string): PoseJson {
  return {
    ...(image === undefined ? {} : { image }),
    model: modelId,
    imageSize: p.imageSize,
    boxPx: p.boxPx.map(roundPx),
    boxSource: p.boxSource,
    cropBoxXyxy: p.cropBoxXyxy,
    stages: p.stagesRun,
    joints: p.names.map((name, i) => ({ name, x: roundPx(p.jointsPx[i]![0]), y: roundPx(p.jointsPx[i]![1]) })),
    timingsMs: p.timingsMs,
  };
}

/** A compact text table of the joints (name, x, y), for terminals. */
export function poseTable(p: PoseJson): string {
  const w = Math.max(5, ...p.joints.map((j) => j.name.length));
  const rows = p.joints.map((j) => `  ${j.name.padEnd(w)}  ${j.x.toFixed(1).padStart(7)}  ${j.y.toFixed(1).padStart(7)}`);
  return [`  ${'joint'.padEnd(w)}  ${'x'.padStart(7)}  ${'y'.padStart(7)}`, ...rows].join('\n');
}
