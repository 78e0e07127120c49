/**
 * The one model API: load a converted model, a legacy checkpoint, a cascade
 * or the embedded default, and turn images into joints in original-image
 * pixels. Preprocessing is the legacy pipeline's (data/transforms), stage 1
 * runs on the person crop, each later stage refines every joint from a crop
 * around its current estimate. Inference runs in worker threads
 * (model/runtime/pool.ts), never on the caller's event loop.
 */
import { DeepPoseError, invalidArgument } from '../core/errors.js';
import { personBoxIn } from '../data/bbox.js';
import { SKELETONS, isSkeletonId, skeletonForJointCount, type Skeleton, type SkeletonId } from '../data/skeletons.js';
import { mergeFlipped, mirrorPlanar } from './flip-test.js';
import type { EstimatorSpec, PoseEstimator, PreparedBatch } from './estimator.js';
import type { RawImage } from '../data/transforms/square-crop.js';
import { cacheDir, resolveModels, type FinderModel, type StageModel } from './model-source.js';
import { describeQuantization, quantizationOf } from './quantize/metadata.js';
import { InferencePool, type PoolOptions } from './runtime/pool.js';
import type { InferenceBackend } from './runtime/backend.js';
import { decodeImage, probeImage, type DecodedImage } from '../data/image.js';
import { loadSharp } from '../data/sharp-module.js';
import { disableRuntimeTelemetry } from './runtime/telemetry.js';
import { mapLimit, settleAll, splitEvenly } from '../core/concurrency.js';
import { findPeople as findPeopleWith } from './person-finder.js';
import { runRefineTask } from './cascade.js';
import { Float32BufferPool } from '../core/buffer-pool.js';
import { centreBoxFromXywh, legacyCropBox, preprocessCrop, decodeJoints, type BoxXyxy, type EncodedImage } from '../data/transforms/legacy.js';

/** Refinement tasks in flight beyond one per worker (the next image's pixels on their way while a worker runs). */
const REFINE_IN_FLIGHT = 3;
/**
 * Decoded images up to this size are copied to the worker that refines them
 * (0.9 MB for a typical LSPET photo); a larger one (a 40-megapixel upload is
 * 120 MB) has its joint crops built on the calling thread instead.
 */
export const REFINE_IN_WORKER_MAX_BYTES = 8 * 1024 * 1024;
/** Images per part of a `predict` batch (parts run at once, spread over the workers). */
const PREDICT_PART_IMAGES = 4;

export interface PoseModelInfo {
  /** `<source name>@<sha256 prefix>` of stage 1, plus `+N stages`. */
  readonly id: string;
  readonly sha256: string;
  readonly skeleton: SkeletonId;
  readonly jointNames: readonly string[];
  readonly inputSize: number;
  readonly channels: 'bgr' | 'rgb';
  /** Number of cascade stages available. */
  readonly stages: number;
  /** Whether the model finds the person when no box is given (a person finder in its cascade). */
  readonly personFinder: boolean;
  readonly source: string;
  /** Flat, human-readable metadata of every stage. */
  readonly metadata: Record<string, string>;
}

export interface PoseRequest {
  /**
   * Encoded JPEG/PNG/WebP bytes, the same with the size `probeImage`
   * already read (so it is not read twice), or an image already decoded.
   */
  readonly image: Uint8Array | EncodedImage | DecodedImage;
  /** Person box `x, y, w, h` in pixels; it always wins. */
  readonly bboxPx?: readonly [number, number, number, number];
  /**
   * Without `bboxPx`: `auto` (default) finds the person with the model's
   * person finder when it has one, else takes the whole image; `whole`
   * takes the whole image.
   */
  readonly box?: BoxMode;
  /** Cascade stages to run (default all). */
  readonly stages?: number;
}

/** How a request without a box gets one. */
export type BoxMode = 'auto' | 'whole';

/** Where the person box of a prediction came from. */
export type BoxSourceKind = 'given' | 'found' | 'whole';

export interface PosePrediction {
  /** `[K, 2]` joint positions in original-image pixels. */
  readonly jointsPx: [number, number][];
  readonly names: readonly string[];
  /** The person box used, `x, y, w, h` (before the legacy 1.5× crop). */
  readonly boxPx: [number, number, number, number];
  /** The stage-1 crop, `x0, y0, x1, y1` in pixels. */
  readonly cropBoxXyxy: BoxXyxy;
  readonly imageSize: { readonly width: number; readonly height: number };
  readonly stagesRun: number;
  /** `given` (the caller's), `found` (the person finder's), `whole` (the whole image). */
  readonly boxSource: BoxSourceKind;
  /**
   * Where the time went, ms: `decode`, `find`, `preprocess`, `stage1` (wall, with the
   * hand-off), `stage1Session`, `refine` (this image's sessions), `total`, and
   * `batch` (requests in the call). predict works in parts of a few images, so all
   * but `refine` and `batch` describe this image's part, from the call's start.
   */
  readonly timingsMs: Record<string, number>;
}

export interface LoadOptions extends PoolOptions {
  /** Model specs (see model-source.ts); empty or absent: the embedded default. */
  readonly model?: string | readonly string[];
  /** Progress lines (first-use conversion). */
  readonly log?: (line: string) => void;
  /** Flip test: every stage also runs on the mirrored crops, averaged (model/flip-test.ts). Default off. */
  readonly flip?: boolean;
  /** The skeleton the joints follow, overriding the model's metadata (which otherwise names it, or its joint count implies it). */
  readonly skeleton?: SkeletonId;
  /**
   * Cascade stages whose sessions open at load (default: all, and the person
   * finder); a deeper stage, and the finder when this is given, opens on its
   * first use. `predict --stages 1` opens one, `predict --bbox …` the
   * stages but not the finder; `eval`, whose workers load the model
   * themselves, none.
   */
  readonly openStages?: number;
  /**
   * Load sharp while the sessions open (default true: `predict` and `serve`
   * draw overlays and decode what data/jpeg does not). `eval`'s threads pass
   * false: they decode LSPET's JPEGs without it, and sharp loads on first use
   * when an image needs it.
   */
  readonly preloadSharp?: boolean;
  /** Keep optimised graphs in the model cache and open sessions from them (default true; model/runtime/session-cache.ts). */
  readonly sessionCache?: boolean;
  /**
   * Resolve once the model's files are known, while the sessions still
   * open in the inference worker (the first batch waits for them; a model the
   * runtime refuses fails there). For callers with their own start-up work to
   * overlap (eval's data workers, predict's decoding). Default false.
   */
  readonly openInBackground?: boolean;
  /**
   * Run the sessions on the calling thread (`threads` intra-op threads,
   * default 1) instead of an inference worker: for code that is itself on a
   * worker thread (evaluation's workers, eval/estimate-in-worker.ts). Never
   * on an HTTP event loop: a run blocks the thread.
   */
  readonly inThread?: boolean;
  /** With \`inThread\`: pre-pack matrix weights when sessions open (default true; model/runtime/ort.ts). */
  readonly prepackWeights?: boolean;
}

/**
 * The skeleton a model's joints follow: the one its metadata names, else the
 * only skeleton with its joint count; refused when neither says.
 */
function skeletonOf(named: string | null | undefined, joints: number, source: string): Skeleton {
  if (named !== undefined && named !== null) {
    if (!isSkeletonId(named)) throw new DeepPoseError('E_SKELETON', `${source}: names skeleton ${JSON.stringify(named)}, expected one of ${Object.keys(SKELETONS).join(', ')}`);
    if (SKELETONS[named].joints.length !== joints) throw new DeepPoseError('E_SKELETON', `${source}: skeleton ${named} has ${SKELETONS[named].joints.length} joints, the model regresses ${joints}`);
    return SKELETONS[named];
  }
  const byCount = skeletonForJointCount(joints);
  if (!byCount) throw new DeepPoseError('E_SKELETON', `${source}: the model regresses ${joints} joints and names no skeleton; no known skeleton has ${joints} joints (convert it with --skeleton)`);
  return byCount;
}

function flatMetadata(stages: readonly StageModel[]): Record<string, string> {
  const out: Record<string, string> = {};
  stages.forEach((s, i) => {
    const m = s.metadata;
    const p = `stage${i + 1}.`;
    out[`${p}source`] = m.source.name;
    out[`${p}sha256`] = m.source.sha256;
    out[`${p}arch`] = m.archTitle;
    out[`${p}layout`] = m.layout;
    out[`${p}joints`] = String(m.joints);
    out[`${p}parameters`] = String(m.parameterCount);
    out[`${p}inputSize`] = String(m.inputSize);
    out[`${p}channels`] = m.channels;
    out[`${p}nonFiniteReplaced`] = String(m.nonFinite.replaced);
    if (m.cascade.sigma !== undefined) out[`${p}sigma`] = String(m.cascade.sigma);
    const q = quantizationOf(m);
    if (q) out[`${p}quantization`] = describeQuantization(q);
  });
  return out;
}

export class PoseModel implements PoseEstimator {
  readonly info: PoseModelInfo;
  readonly skeleton: Skeleton;
  private closed = false;
  /** Stage-1 and finder input tensors: transferred to a worker, handed back, reused (core/buffer-pool.ts). */
  private readonly inputs = new Float32BufferPool(8);

  private constructor(readonly stageModels: readonly StageModel[], private readonly pool: InferenceBackend, readonly flip = false, readonly finder?: FinderModel, skeletonOverride?: SkeletonId, readonly spec?: EstimatorSpec) {
    const m = stageModels[0]!.metadata;
    this.skeleton = skeletonOf(skeletonOverride ?? m.skeleton, m.joints, stageModels[0]!.source);
    const skeletonId = this.skeleton.id;
    this.info = {
      id: `${m.source.name}@${m.source.sha256.slice(0, 12)}${stageModels.length > 1 ? `+${stageModels.length - 1}` : ''}`,
      sha256: m.source.sha256,
      skeleton: skeletonId,
      jointNames: skeletonOverride ? this.skeleton.joints : m.jointNames,
      inputSize: m.inputSize,
      channels: m.channels,
      stages: stageModels.length,
      personFinder: Boolean(finder),
      source: stageModels[0]!.source,
      metadata: flatMetadata(stageModels),
    };
  }

  static async load(options: LoadOptions = {}): Promise<PoseModel> {
    // Before any thread that may load onnxruntime starts (./runtime/telemetry.ts).
    disableRuntimeTelemetry();
    const specs = options.model === undefined ? undefined : typeof options.model === 'string' ? [options.model] : options.model;
    // The worker starts (and loads onnxruntime) while the models are found and hashed.
    const runnerOptions = { ...(options.sessionCache === false ? {} : { sessionCacheDir: cacheDir() }), ...options };
    // onnxruntime loads on this thread only for a model run here (never for `--help`).
    const pool: InferenceBackend = options.inThread ? new (await import('./runtime/in-thread.js')).InThreadRunner(runnerOptions) : new InferencePool(runnerOptions);
    // The image library loads on this thread meanwhile (data/sharp-module.ts), unless no session
    // opens now (openStages 0: `eval` and `train`, whose images are decoded elsewhere or later)
    // or the caller says so (`preloadSharp`): sharp then loads on first use.
    if (options.openStages !== 0 && options.preloadSharp !== false) loadSharp().catch(() => undefined);
    let resolved: Awaited<ReturnType<typeof resolveModels>>;
    try {
      resolved = await resolveModels(specs, options.log);
    } catch (err) {
      await pool.close();
      throw err;
    }
    const { stages, finder } = resolved;
    let model: PoseModel;
    try {
      const spec: EstimatorSpec = { ...(specs ? { model: [...specs] } : {}), flip: options.flip ?? false, ...(options.skeleton ? { skeleton: options.skeleton } : {}), ...(options.lrn ? { lrn: options.lrn } : {}) };
      model = new PoseModel(stages, pool, options.flip ?? false, finder, options.skeleton, spec);
    } catch (err) {
      await pool.close();
      throw err;
    }
    try {
      // Open the sessions now, not on the first request, all at once.
      // The finder first: it runs first.
      const open = options.openStages === undefined ? [...(finder ? [finder.model] : []), ...stages] : stages.slice(0, Math.max(0, options.openStages));
      const opening = pool.open(open.map((s) => s.onnxPath));
      // In the background, a failure is left to the first run, which opens the session again and reports it.
      if (options.openInBackground) opening.catch(() => undefined);
      else await opening;
    } catch (err) {
      await pool.close();
      throw err;
    }
    return model;
  }

  /** Inference workers: batches that can run at once. */
  get concurrency(): number {
    return this.pool.workers;
  }

  /** onnxruntime intra-op threads per inference worker. */
  get threadsPerWorker(): number {
    return this.pool.threads;
  }

  /** Tasks waiting for an inference worker. */
  get queueDepth(): number {
    return this.pool.queueSize;
  }

  private checkStages(stages: number | undefined): number {
    if (stages === undefined) return this.stageModels.length;
    if (!Number.isInteger(stages) || stages < 1 || stages > this.stageModels.length) {
      throw invalidArgument('stages', `an integer from 1 to ${this.stageModels.length} (this model's cascade depth)`, stages);
    }
    return stages;
  }

  /**
   * Stage 1 on prepared crops: `x` is `[B, 3, S, S]` (legacy-normalised;
   * transferred), `cropBoxes` the B crop boxes; returns `[B, K, 2]` joints in
   * original-image pixels.
   */
  async predictFromCrops(x: Float32Array, cropBoxes: readonly BoxXyxy[]): Promise<{ jointsPx: [number, number][][]; sessionMs: number }> {
    const s = this.info.inputSize;
    const b = cropBoxes.length;
    if (x.length !== b * 3 * s * s) throw invalidArgument('x', `a Float32Array of ${b}×3×${s}×${s} values`, x);
    let y: Float32Array;
    let sessionMs: number;
    if (this.flip) {
      // The direct and the mirrored crops as one batch of 2B.
      const both = this.inputs.acquire(2 * x.length);
      both.set(x);
      both.set(mirrorPlanar(x, s), x.length);
      const r = await this.runInput(this.stageModels[0]!.onnxPath, both, [2 * b, 3, s, s]);
      const half = r.y.length / 2;
      y = mergeFlipped(r.y.subarray(0, half), r.y.subarray(half), this.skeleton, s);
      sessionMs = r.sessionMs;
    } else {
      const r = await this.runInput(this.stageModels[0]!.onnxPath, x, [b, 3, s, s]);
      y = r.y;
      sessionMs = r.sessionMs;
    }
    const k = this.info.jointNames.length;
    const jointsPx = cropBoxes.map((box, i) => decodeJoints(y.subarray(i * 2 * k, (i + 1) * 2 * k), box, s));
    return { jointsPx, sessionMs };
  }

  /** Runs an input tensor on the backend; a buffer handed back after a transfer is kept for the next input. */
  private async runInput(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<{ y: Float32Array; sessionMs: number }> {
    const r = await this.pool.run(modelPath, x, dims);
    if (r.input) this.inputs.release(r.input);
    return r;
  }

  /**
   * Cascade stages 2 … `stages` for one decoded image: every joint refined
   * from a crop around its current estimate, the K crops as one batch.
   */
  async refine(image: RawImage, jointsPx: [number, number][], cropBox: BoxXyxy, stages?: number): Promise<{ jointsPx: [number, number][]; sessionMs: number }> {
    const depth = this.checkStages(stages);
    if (depth < 2) return { jointsPx, sessionMs: 0 };
    const stageSpecs = this.stageModels.slice(1, depth).map((m) => ({ modelPath: m.onnxPath, sigma: m.metadata.cascade.sigma!, inputSize: m.metadata.inputSize, channels: m.metadata.channels }));
    const pixels: RawImage = { data: image.data, width: image.width, height: image.height, channels: image.channels };
    const task = { image: pixels, jointsPx, cropBox, skeleton: this.skeleton.id, stages: stageSpecs, flip: this.flip };
    // Plain data: the pool copies it to a worker, which builds the crops there (a backend on
    // this thread builds them here). The pixels of a very large photo are not copied to a
    // worker: its crops are built here and only they travel.
    // What a copy would cost: the whole buffer under the view (what structured cloning copies).
    if (!this.pool.copiesToWorker || image.data.buffer.byteLength <= REFINE_IN_WORKER_MAX_BYTES) return this.pool.refine(task);
    return runRefineTask(task, (modelPath, x, dims) => this.runInput(modelPath, x, dims), this.inputs);
  }

  /**
   * The cascade on a batch preprocessed for stage 1 (see model/estimator.ts):
   * stage 1 as one batch, then each image's later stages on the pixels the
   * batch already holds (decoded once). `depths[i]` stages for image i.
   */
  private async runCascade(batch: PreparedBatch, depths: readonly number[]): Promise<{ jointsPx: [number, number][][]; stage1Ms: number; stage1WallMs: number; refineMs: number[] }> {
    if (this.closed) throw new DeepPoseError('E_CLOSED', 'the model is closed');
    const b = batch.cropBoxes.length;
    for (let i = 0; i < b; i++) {
      if (depths[i]! > 1 && !batch.images?.[i]) throw invalidArgument('batch.images', `the decoded image ${i} for cascade stages 2…${depths[i]}`, batch.images?.[i]);
    }
    const t0 = performance.now();
    const stage1 = await this.predictFromCrops(batch.x, batch.cropBoxes);
    const stage1WallMs = performance.now() - t0;
    const jointsPx = stage1.jointsPx;
    const refineMs = depths.map(() => 0);
    const toRefine = depths.flatMap((d, i) => (d > 1 ? [i] : []));
    // Each image's refinement is one task (its crops built where it runs); a few more in
    // flight than there are workers keep every worker busy.
    await mapLimit(toRefine, this.pool.workers + REFINE_IN_FLIGHT - 1, async (i) => {
      const r = await this.refine(batch.images![i]!, jointsPx[i]!, batch.cropBoxes[i]!, depths[i]);
      jointsPx[i] = r.jointsPx;
      refineMs[i] = r.sessionMs;
    });
    return { jointsPx, stage1Ms: stage1.sessionMs, stage1WallMs, refineMs };
  }

  /**
   * `[B, K, 2]` joints for a prepared batch after `stages` stages
   * (PoseEstimator). With `find`, the batch holds whole-image crops and
   * its pixels: the person finder's boxes give the stage-1 crops.
   */
  async estimateBatch(batch: PreparedBatch, stages: number, options: { find?: boolean } = {}): Promise<[number, number][][]> {
    const depth = this.checkStages(stages);
    const prepared = options.find ? await this.findAndCrop(batch) : batch;
    return (await this.runCascade(prepared, batch.cropBoxes.map(() => depth))).jointsPx;
  }

  /**
   * The person finder on whole-image crops (`batch.x`, `batch.cropBoxes` the
   * whole images): `[B]` person boxes `x, y, w, h` in pixels.
   */
  async findPeople(x: Float32Array, wholeBoxes: readonly BoxXyxy[], images: readonly RawImage[]): Promise<[number, number, number, number][]> {
    const finder = this.finder;
    if (!finder) throw new DeepPoseError('E_NO_FINDER', `${this.info.id}: has no person finder (its cascade.json names no "finder")`);
    const runtime = { run: (p: string, input: Float32Array, dims: readonly number[]) => this.runInput(p, input, dims), acquire: (n: number) => this.inputs.acquire(n) };
    return findPeopleWith(finder, this.info.jointNames.length, runtime, x, wholeBoxes, images);
  }

  /** Stage-1 inputs `[B, 3, S, S]` and crop boxes for person boxes `x, y, w, h`. */
  private async cropAround(images: readonly RawImage[], boxes: readonly (readonly [number, number, number, number])[]): Promise<{ x: Float32Array; cropBoxes: BoxXyxy[] }> {
    const cropBoxes = boxes.map((b, i) => legacyCropBox(centreBoxFromXywh(b), images[i]!.width, images[i]!.height));
    const s = this.info.inputSize;
    const x = this.inputs.acquire(images.length * 3 * s * s);
    await Promise.all(images.map(async (img, i) => {
      await preprocessCrop(img, cropBoxes[i]!, { size: s, channels: this.info.channels }, x.subarray(i * 3 * s * s, (i + 1) * 3 * s * s));
    }));
    return { x, cropBoxes };
  }

  /** A whole-image batch → the same images cropped around the found people. */
  private async findAndCrop(batch: PreparedBatch): Promise<PreparedBatch> {
    const images = batch.images;
    if (!images) throw invalidArgument('batch.images', 'the decoded images, to crop around the found people', images);
    const boxes = await this.findPeople(batch.x, batch.cropBoxes, images);
    return { ...batch, ...(await this.cropAround(images, boxes)) };
  }

  /** The whole pipeline for a batch of images: decode, crop, stage 1 as one batch, refinement stages. */
  async predict(requests: readonly PoseRequest[]): Promise<PosePrediction[]> {
    if (this.closed) throw new DeepPoseError('E_CLOSED', 'the model is closed');
    if (requests.length === 0) return [];
    const t0 = performance.now();
    const depths = requests.map((r) => this.checkStages(r.stages));
    // Headers first (format, size, pixel limit; a bad box is refused before any decoding),
    // then each image is decoded once (sharp, on libuv's threads) and cropped and
    // resampled as OpenCV does (data/transforms/cv-resize.ts); the cascade reuses the pixels.
    const probed: (DecodedImage | EncodedImage)[] = await Promise.all(requests.map(async (r) => {
      if (!(r.image instanceof Uint8Array)) return r.image;
      const meta = await probeImage(r.image);
      return { encoded: r.image, width: meta.width, height: meta.height };
    }));
    const boxes = requests.map((r, i) => personBoxIn(r.bboxPx, probed[i]!));
    const sources: BoxSourceKind[] = requests.map((r) => (r.bboxPx ? 'given' : this.finder && (r.box ?? 'auto') === 'auto' ? 'found' : 'whole'));
    // In parts of a few images, all in flight: a part's stage 1 starts on a worker as soon as
    // its own images are decoded and cropped, while the next part's are still on their way.
    const parts = splitEvenly(requests.length, Math.max(this.pool.workers, Math.ceil(requests.length / PREDICT_PART_IMAGES)));
    // A failing part (an image that does not decode) fails the call only once every other
    // part has finished: nothing of this call still runs when it rejects (serve closes
    // the model right after its last call).
    const results = await settleAll(parts.map((part) => this.predictPart(part, probed, boxes, sources, depths, t0)));
    const out: PosePrediction[] = new Array(requests.length);
    for (const r of results) for (const p of r) out[p.index] = p.prediction;
    return out;
  }

  /** `predict` for the requests at `indices`: decode, find (no box), crop, stage 1 as one batch, refinement. */
  private async predictPart(
    indices: readonly number[], probed: readonly (DecodedImage | EncodedImage)[], allBoxes: readonly [number, number, number, number][],
    sources: readonly BoxSourceKind[], allDepths: readonly number[], t0: number,
  ): Promise<{ index: number; prediction: PosePrediction }[]> {
    const images: DecodedImage[] = await Promise.all(indices.map((i) => {
      const img = probed[i]!;
      return 'encoded' in img ? decodeImage(img.encoded, { probed: true, maxPixels: Math.max(1, img.width * img.height) }) : img;
    }));
    const boxes = indices.map((i) => [...allBoxes[i]!] as [number, number, number, number]);
    const depths = indices.map((i) => allDepths[i]!);
    const tDecode = performance.now();
    // No box and a person finder: it runs on the whole images, its joints give the boxes.
    const toFind = indices.flatMap((i, j) => (sources[i] === 'found' ? [j] : []));
    if (toFind.length > 0) {
      const fs = this.finder!.model.metadata.inputSize;
      const wholes = toFind.map((j) => [0, 0, images[j]!.width, images[j]!.height] as BoxXyxy);
      const xw = this.inputs.acquire(toFind.length * 3 * fs * fs);
      await Promise.all(toFind.map(async (j, n) => {
        await preprocessCrop(images[j]!, wholes[n]!, { size: fs, channels: this.finder!.model.metadata.channels }, xw.subarray(n * 3 * fs * fs, (n + 1) * 3 * fs * fs));
      }));
      const found = await this.findPeople(xw, wholes, toFind.map((j) => images[j]!));
      toFind.forEach((j, n) => { boxes[j] = found[n]!; });
    }
    const tFind = performance.now();
    const { x, cropBoxes } = await this.cropAround(images, boxes);
    const tPre = performance.now();
    const r = await this.runCascade({ x, cropBoxes, images, indices: [...indices] }, depths);
    const tTotal = performance.now();
    return indices.map((index, j) => ({
      index,
      prediction: {
        jointsPx: r.jointsPx[j]!,
        names: this.info.jointNames,
        boxPx: boxes[j]!,
        cropBoxXyxy: cropBoxes[j]!,
        imageSize: { width: images[j]!.width, height: images[j]!.height },
        stagesRun: depths[j]!,
        boxSource: sources[index]!,
        timingsMs: {
          decode: round(tDecode - t0),
          find: round(tFind - tDecode),
          preprocess: round(tPre - tFind),
          stage1: round(r.stage1WallMs),
          stage1Session: round(r.stage1Ms),
          refine: round(r.refineMs[j]!),
          total: round(tTotal - t0),
          batch: probed.length,
        },
      },
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Loads a model (see PoseModel.load). */
export function loadPoseModel(options: LoadOptions = {}): Promise<PoseModel> {
  return PoseModel.load(options);
}

