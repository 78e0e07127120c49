/**
 * The DeepPose cascade's geometry (Toshev & Szegedy, 2014, §3.2): stage s ≥ 2
 * refines joint i from a square crop centred on its current estimate, of
 * side σ × the torso diameter of the current estimate; the stage regresses
 * the joint's position in that crop, `p = S/2 + S·y` in crop pixels, which in
 * image pixels is `centre + side·y` — the previous estimate plus a
 * displacement. All K crops of an image run as one batch; crop i uses the
 * i-th joint's output.
 */
import { invalidArgument } from '../core/errors.js';
import type { Float32BufferPool } from '../core/buffer-pool.js';
import { flipPermutation, SKELETONS, type Skeleton, type SkeletonId } from '../data/skeletons.js';
import { mirrorPlanar } from './flip-test.js';
import type { BoxXyxy } from '../data/transforms/legacy.js';
import type { RawImage } from '../data/transforms/square-crop.js';
import { cropSquareGcnSimd } from '../data/transforms/square-crop-simd.js';

/** The deepest cascade any command or request may ask for (the CLI's and HTTP's `stages` ceiling). */
export const MAX_CASCADE_STAGES = 10;

/** A square crop: centre and side in image pixels. */
export interface JointCrop {
  readonly cx: number;
  readonly cy: number;
  readonly side: number;
}

/**
 * Torso diameter of a pose (distance between the skeleton's torso joints),
 * in pixels; `fallbackPx` when it cannot be measured or is degenerate.
 */
export function torsoDiameterPx(jointsPx: readonly (readonly [number, number])[], skeleton: Skeleton, fallbackPx: number): number {
  const [a, b] = skeleton.torso;
  const pa = jointsPx[a];
  const pb = jointsPx[b];
  if (!pa || !pb) return fallbackPx;
  const d = Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
  return Number.isFinite(d) && d >= 1 ? d : fallbackPx;
}

/**
 * Crops of one image for a refinement stage: one per joint, centred on the
 * current estimate `jointsPx` (`[K, 2]`), side `sigma × torso diameter`.
 */
export function cascadeCrops(jointsPx: readonly (readonly [number, number])[], skeleton: Skeleton, sigma: number, fallbackDiameterPx: number): JointCrop[] {
  const side = Math.max(4, sigma * torsoDiameterPx(jointsPx, skeleton, fallbackDiameterPx));
  return jointsPx.map(([x, y]) => ({ cx: x, cy: y, side }));
}

/**
 * Applies a refinement stage's output. `yNorm` is the stage's raw output for
 * the K crops of one image (`[K, 2K]`, row i from crop i); joint i moves to
 * `centre_i + side_i · (y[i, 2i], y[i, 2i+1])`.
 */
export function refineJoints(crops: readonly JointCrop[], yNorm: Float32Array, k: number): [number, number][] {
  return crops.map((c, i) => {
    const dx = yNorm[i * 2 * k + 2 * i]!;
    const dy = yNorm[i * 2 * k + 2 * i + 1]!;
    return [c.cx + c.side * dx, c.cy + c.side * dy];
  });
}

/**
 * The model input for one refinement stage: the K joint crops of `image`
 * resampled to `size` × `size` and GCN'd, `[K, 3, size, size]` — what
 * inference (PoseModel.refine) and stage-2 validation both feed the stage.
 */
export function jointCropsInput(image: RawImage, crops: readonly JointCrop[], size: number, channels: 'bgr' | 'rgb', out?: Float32Array): Float32Array {
  const plane = 3 * size * size;
  if (out && out.length !== crops.length * plane) throw invalidArgument('out', `a Float32Array of ${crops.length}×3×${size}×${size} values`, out);
  const x = out ?? new Float32Array(crops.length * plane);
  crops.forEach((c, i) => cropSquareGcnSimd(image, c.cx, c.cy, c.side, size, channels, x, i * plane));
  return x;
}

/** Runs one stage network on `[K, 3, S, S]` crops; returns its raw output `[K, 2K]`. */
export type StageRunner = (x: Float32Array, dims: [number, number, number, number]) => Promise<Float32Array>;

/**
 * One refinement stage on one image: K crops around `jointsPx`, one batch
 * through `run`, every joint moved by its own output. The torso fallback is
 * half the stage-1 crop's longer side. Inference (PoseModel) and training's
 * validation both call this. With `buffers`, the crop tensors come from it
 * and go back to it once `run` has resolved (`run` must not keep them; one it
 * transferred to another thread is detached, and the pool does not take it back).
 */
export async function refineStage(
  image: RawImage, jointsPx: readonly (readonly [number, number])[], cropBox: BoxXyxy, skeleton: Skeleton,
  stage: { readonly sigma: number; readonly inputSize: number; readonly channels: 'bgr' | 'rgb'; readonly flip?: boolean }, run: StageRunner,
  buffers?: Float32BufferPool,
): Promise<[number, number][]> {
  const k = jointsPx.length;
  const s = stage.inputSize;
  const crops = cascadeCrops(jointsPx, skeleton, stage.sigma, Math.max(cropBox[2] - cropBox[0], cropBox[3] - cropBox[1]) / 2);
  const x = jointCropsInput(image, crops, s, stage.channels, buffers?.acquire(k * 3 * s * s));
  if (!stage.flip) {
    try {
      return refineJoints(crops, await run(x, [k, 3, s, s]), k);
    } finally {
      buffers?.release(x);
    }
  }
  // Flip test: the K crops and their mirror images as one batch of 2K. A mirrored crop of
  // joint i looks like its left/right partner's crop, so its displacement is read from the
  // partner's output slot and mirrored back (the crop's pixel grid reflects about cx − 0.5).
  const both = buffers?.acquire(2 * x.length) ?? new Float32Array(2 * x.length);
  both.set(x);
  both.set(mirrorPlanar(x, s), x.length);
  buffers?.release(x);
  let y: Float32Array;
  try {
    y = await run(both, [2 * k, 3, s, s]);
  } finally {
    buffers?.release(both);
  }
  const perm = flipPermutation(skeleton);
  return crops.map((c, i) => {
    const direct = [y[i * 2 * k + 2 * i]!, y[i * 2 * k + 2 * i + 1]!];
    const m = (k + i) * 2 * k + 2 * perm[i]!;
    const dx = (direct[0]! + (-y[m]! - 1 / c.side)) / 2;
    const dy = (direct[1]! + y[m + 1]!) / 2;
    return [c.cx + c.side * dx, c.cy + c.side * dy];
  });
}

/** One refinement stage as a task names it: its model file and geometry. */
export interface RefineStageSpec {
  readonly modelPath: string;
  readonly sigma: number;
  readonly inputSize: number;
  readonly channels: 'bgr' | 'rgb';
}

/**
 * Cascade stages 2 … of one image as a self-contained task (plain data, so it
 * can cross to a worker thread): its pixels, the stage-1 joints `jointsPx`
 * (`[K, 2]`), the stage-1 crop box, and the stages to run in order.
 */
export interface RefineTask {
  readonly image: RawImage;
  readonly jointsPx: readonly (readonly [number, number])[];
  readonly cropBox: BoxXyxy;
  readonly skeleton: SkeletonId;
  readonly stages: readonly RefineStageSpec[];
  readonly flip: boolean;
}

/** Runs `[N, 3, S, S]` through the model at `modelPath`; its raw output and the time inside the session. */
export type ModelRunner = (modelPath: string, x: Float32Array, dims: readonly number[]) => Promise<{ y: Float32Array; sessionMs: number }>;

/**
 * A refine task's stages one after another, every joint moved by each
 * (`refineStage`); where the crops are built is where this is called — an
 * inference worker (model/runtime/inference-worker.ts) or the thread that
 * holds the sessions (model/runtime/in-thread.ts), each reusing its crop
 * tensors through `buffers` (`run` must not keep them; see `refineStage`).
 */
export async function runRefineTask(task: RefineTask, run: ModelRunner, buffers?: Float32BufferPool): Promise<{ jointsPx: [number, number][]; sessionMs: number }> {
  const skeleton = SKELETONS[task.skeleton];
  let current = task.jointsPx.map(([x, y]) => [x, y] as [number, number]);
  let sessionMs = 0;
  for (const stage of task.stages) {
    current = await refineStage(task.image, current, task.cropBox, skeleton, { ...stage, flip: task.flip }, async (x, dims) => {
      const r = await run(stage.modelPath, x, dims);
      sessionMs += r.sessionMs;
      return r.y;
    }, buffers);
  }
  return { jointsPx: current, sessionMs };
}
