/**
 * Building one batch from dataset samples: read, decode (EXIF orientation,
 * pixel limit), then the evaluation transform (the legacy crop, resize, BGR
 * and GCN — the same `preprocessCrop` the inference path uses) or the
 * legacy training augmentation, written into one `[B, 3, S, S]` buffer.
 * Runs unchanged on a worker thread (data/iterator-worker.ts) or in the
 * calling thread; its result holds only typed arrays and plain data, so the
 * buffers can be transferred.
 */
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { SampleLoadError } from './dataset-errors.js';
import { decodeImage, DEFAULT_MAX_PIXELS, probeImage, type DecodedImage } from './image.js';
import { createRng } from '../core/random.js';
import { SKELETONS, type SkeletonId } from './skeletons.js';
import { augmentSampleInto, drawAugmentParams, LEGACY_AUGMENT, type AugmentOptions } from './transforms/augment.js';
import { jointsBox, legacyCropBox, LEGACY_CROP_ZOOM, normaliseJoints, preprocessCrop, type BoxXyxy } from './transforms/legacy.js';

/** Where the person box of a sample comes from (see `BatchConfig.boxFrom`). */
export type BoxSource = 'visible' | 'split' | 'whole';

/** Which transform a batch gets. */
export type TransformMode = 'eval' | 'train';

/** Everything a worker needs to know besides the samples (structured-cloneable). */
export interface BatchConfig {
  readonly mode: TransformMode;
  readonly skeleton: SkeletonId;
  /** Output side S (legacy: 220). */
  readonly size: number;
  readonly channels: 'bgr' | 'rgb';
  /** Training augmentation ranges (legacy recipe by default). */
  readonly augment: AugmentOptions;
  readonly seed: number;
  readonly maxPixels: number;
  /**
   * Which mask makes the person box: `visible` (annotated joints, the
   * default) or `split` (the legacy CSV's own mask, to reproduce the legacy
   * crop boxes exactly where the two differ); `whole`: no person box, the
   * crop is the whole image (what a photo without a box gets, and what a
   * person-finding stage is trained on).
   */
  readonly boxFrom: BoxSource;
  readonly onError: 'fail' | 'skip';
  /**
   * Evaluation: also hand back each decoded image (`BatchData.images`), so
   * the later cascade stages crop from the same pixels instead of reading
   * and decoding the file again.
   */
  readonly keepPixels?: boolean;
}

export const DEFAULT_BATCH_CONFIG: Omit<BatchConfig, 'mode' | 'skeleton'> = {
  size: 220, channels: 'bgr', augment: LEGACY_AUGMENT, seed: 0, maxPixels: DEFAULT_MAX_PIXELS, boxFrom: 'visible', onError: 'fail',
};

/** One sample as sent to a worker. */
export interface SampleRef {
  readonly index: number;
  readonly image: string;
  readonly imagePath: string;
  /** `[K, 2]` flattened. */
  readonly jointsPx: readonly number[];
  /** `[K]` 0/1. */
  readonly visible: readonly number[];
  /** `[K]` 0/1: the split CSV's mask, when it has one. */
  readonly splitVisible?: readonly number[];
  /** A caller's person box `[x, y, w, h]`. */
  readonly personBoxXywh?: readonly number[];
}

export interface BatchTask {
  readonly config: BatchConfig;
  readonly samples: readonly SampleRef[];
  /** Epoch of each sample (keys its random stream with the sample index). */
  readonly epochs: readonly number[];
  /** Samples decoded concurrently by this thread (default 1). */
  readonly inFlight?: number;
  /** For a worker module of the caller's own (IteratorOptions.worker): passed through untouched. */
  readonly extra?: unknown;
  /** Set (to 1) by the iterator when it closes: a task not started yet builds an empty batch instead. */
  readonly cancel?: Int32Array;
}

/** A sample left out under `onError: 'skip'`. */
export interface SkippedSample {
  readonly index: number;
  readonly imagePath: string;
  readonly message: string;
}

/** The raw batch (typed arrays only, transferable). */
export interface BatchData {
  /** Number of samples B (after skips). */
  readonly size: number;
  /** `[B, 3, S, S]` GCN'd input. */
  readonly x: Float32Array;
  /** `[B, K, 2]` targets `(p − S/2) / S` in crop pixels. */
  readonly jointsNorm: Float32Array;
  /** `[B, K]` 1 where the joint is annotated (after any flip swap). */
  readonly visible: Uint8Array;
  /** `[B, 4]` crop boxes `x0, y0, x1, y1`: in the original image (eval) or the zoomed frame (train). */
  readonly cropBoxes: Float64Array;
  /** `[B, K, 2]` the original joints, original-image pixels (unflipped). */
  readonly jointsPx: Float64Array;
  /** `[B, 2]` width, height of each decoded image (EXIF applied). */
  readonly imageSizes: Int32Array;
  /** `[B]` index of each sample in its split. */
  readonly indices: Int32Array;
  readonly names: string[];
  readonly skipped: SkippedSample[];
  /** `[B]` the decoded images (interleaved RGB, EXIF applied), when `keepPixels`. */
  readonly images?: DecodedImage[];
}

/**
 * A failure description that survives the trip from a worker (class restored
 * by the caller): an unreadable image (\`SampleLoadError\`), or, from a worker
 * module of the caller's own, any \`DeepPoseError\` by its \`code\`.
 */
export interface BatchFailure {
  readonly failure: { readonly imagePath: string; readonly message: string; readonly code?: string };
}

const ANY_OFF = (v: readonly number[] | undefined, k: number) => (v ? v[k] === 1 : false);

/**
 * On a worker thread the file is read synchronously: blocking that thread
 * for the ~20 µs a small cached image takes costs less than the four
 * thread-pool round trips of an asynchronous read (open, stat, read,
 * close), each a thread wake-up, expensive on this project's virtual
 * machines (`eval --stages 1`: 0.93× the wall time, 0.95× the CPU in six
 * paired runs). The main thread keeps its event loop free.
 */
async function readImageBytes(ref: SampleRef): Promise<Uint8Array> {
  try {
    const bytes = isMainThread ? await readFile(ref.imagePath) : readFileSync(ref.imagePath);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SampleLoadError(ref.imagePath, `${ref.imagePath}: cannot read image (${code === 'ENOENT' ? 'file not found' : code ?? (err as Error).message})`, err);
  }
}

/** Runs an image step, turning its failure into a `SampleLoadError` that names the file. */
async function imageStep<T>(ref: SampleRef, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const message = (err as Error).message.replace(/^image: /, `${ref.imagePath}: `);
    throw new SampleLoadError(ref.imagePath, message.startsWith(ref.imagePath) ? message : `${ref.imagePath}: ${message}`, err);
  }
}

/**
 * Loads and transforms one sample into `x[b·3·S·S …]` and the target arrays
 * at row `b`. Throws `SampleLoadError` naming the image path.
 */
export async function loadSampleInto(ref: SampleRef, epoch: number, config: BatchConfig, out: BatchData, b: number): Promise<void> {
  const skeleton = SKELETONS[config.skeleton];
  const K = skeleton.joints.length;
  const S = config.size;
  const bytes = await readImageBytes(ref);
  const opts = { name: ref.imagePath, maxPixels: config.maxPixels };
  // Evaluation reads the header here and decodes inside preprocessCrop (the
  // inference path), unless the pixels travel with the batch; training
  // decodes here for the augmentation warp.
  const img = config.mode === 'eval' && !config.keepPixels
    ? { encoded: bytes, ...(await imageStep(ref, () => probeImage(bytes, opts))) }
    : await imageStep(ref, () => decodeImage(bytes, opts));
  if (out.images && 'data' in img) {
    // A copy the worker can transfer (sharp's own buffer may not be detachable).
    out.images[b] = { data: new Uint8Array(img.data), width: img.width, height: img.height, channels: 3 };
  }
  const joints: [number, number][] = [];
  const visible: boolean[] = [];
  const boxMask: boolean[] = [];
  for (let k = 0; k < K; k++) {
    joints.push([ref.jointsPx[2 * k]!, ref.jointsPx[2 * k + 1]!]);
    visible.push(ref.visible[k] === 1);
    boxMask.push(config.boxFrom === 'split' && ref.splitVisible ? ANY_OFF(ref.splitVisible, k) : ref.visible[k] === 1);
  }
  const pb = ref.personBoxXywh;
  const personBox = config.boxFrom === 'whole'
    // The legacy crop is 1.5 × the box: a box of 1/1.5 of the image makes the crop the whole image.
    ? { cx: img.width / 2, cy: img.height / 2, w: img.width / LEGACY_CROP_ZOOM, h: img.height / LEGACY_CROP_ZOOM }
    : pb ? { cx: pb[0]! + pb[2]! / 2, cy: pb[1]! + pb[3]! / 2, w: pb[2]!, h: pb[3]! } : jointsBox(joints, boxMask);
  let box: BoxXyxy;
  let norm: [number, number][];
  let vis: boolean[];
  const offset = b * 3 * S * S;
  if (config.mode === 'eval') {
    box = personBox ? legacyCropBox(personBox, img.width, img.height) : [0, 0, img.width, img.height];
    // Written straight into the batch tensor.
    await imageStep(ref, () => preprocessCrop(img, box, { size: S, channels: config.channels }, out.x.subarray(offset, offset + 3 * S * S)));
    norm = normaliseJoints(joints, box, S);
    vis = visible;
  } else {
    const rng = createRng(config.seed, 2, epoch, ref.index);
    const params = drawAugmentParams(rng, config.augment);
    if (!('data' in img)) throw new Error('unreachable: training decodes the image');
    const a = augmentSampleInto(img, joints, boxMask, skeleton, params, { size: S, channels: config.channels, ...(personBox ? { personBox } : {}) }, out.x, offset);
    box = a.cropBox;
    norm = a.jointsNorm;
    // The flip's swap applied to the annotation mask.
    vis = [...visible];
    if (params.flip) for (const [i, j] of skeleton.flipPairs) [vis[i], vis[j]] = [vis[j]!, vis[i]!];
  }
  for (let k = 0; k < K; k++) {
    out.jointsNorm[(b * K + k) * 2] = norm[k]![0];
    out.jointsNorm[(b * K + k) * 2 + 1] = norm[k]![1];
    out.visible[b * K + k] = vis[k] ? 1 : 0;
    out.jointsPx[(b * K + k) * 2] = joints[k]![0];
    out.jointsPx[(b * K + k) * 2 + 1] = joints[k]![1];
  }
  out.cropBoxes.set(box, b * 4);
  out.imageSizes[b * 2] = img.width;
  out.imageSizes[b * 2 + 1] = img.height;
  out.indices[b] = ref.index;
  out.names[b] = ref.image;
}

function allocate(n: number, K: number, S: number, keepPixels = false, x?: Float32Array): BatchData {
  return {
    ...(keepPixels ? { images: new Array<DecodedImage>(n) } : {}),
    size: n,
    x: x && x.length >= n * 3 * S * S ? x.subarray(0, n * 3 * S * S) : new Float32Array(n * 3 * S * S),
    jointsNorm: new Float32Array(n * K * 2),
    visible: new Uint8Array(n * K),
    cropBoxes: new Float64Array(n * 4),
    jointsPx: new Float64Array(n * K * 2),
    imageSizes: new Int32Array(n * 2),
    indices: new Int32Array(n),
    names: new Array<string>(n).fill(''),
    skipped: [],
  };
}

/** The rows of a batch marked in `keep` (a copy; only after skips). */
function compact(d: BatchData, keep: Uint8Array, K: number, S: number): BatchData {
  const n = keep.reduce((a, v) => a + v, 0);
  const o = allocate(n, K, S, Boolean(d.images));
  const X = 3 * S * S;
  let r = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    o.x.set(d.x.subarray(i * X, (i + 1) * X), r * X);
    o.jointsNorm.set(d.jointsNorm.subarray(i * K * 2, (i + 1) * K * 2), r * K * 2);
    o.visible.set(d.visible.subarray(i * K, (i + 1) * K), r * K);
    o.cropBoxes.set(d.cropBoxes.subarray(i * 4, (i + 1) * 4), r * 4);
    o.jointsPx.set(d.jointsPx.subarray(i * K * 2, (i + 1) * K * 2), r * K * 2);
    o.imageSizes.set(d.imageSizes.subarray(i * 2, (i + 1) * 2), r * 2);
    o.indices[r] = d.indices[i]!;
    o.names[r] = d.names[i]!;
    if (d.images) o.images![r] = d.images[i]!;
    r++;
  }
  o.skipped.push(...d.skipped);
  return o;
}

/**
 * Builds a batch (`inFlight` images at a time, default one). With `onError: 'fail'` the first unreadable image ends it with
 * a `BatchFailure`; with `'skip'` it is left out and listed in `skipped`.
 *
 * `x`: where to write the `[B, 3, S, S]` inputs (at least B·3·S·S elements;
 * the batch's `x` is then a view of it), for a caller that keeps its batches
 * on its own thread and reuses one buffer: a fresh 9 MB tensor per batch of
 * 16 costs a page fault per 4 KiB page on first write (about 12 µs each on
 * this machine). Without it, a new one (its buffer can be transferred).
 */
export async function buildBatch(task: BatchTask, x?: Float32Array): Promise<BatchData | BatchFailure> {
  const { config, samples } = task;
  const K = SKELETONS[config.skeleton].joints.length;
  const S = config.size;
  if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return allocate(0, K, S);
  const out = allocate(samples.length, K, S, Boolean(config.keepPixels && config.mode === 'eval'), x);
  // Each sample is built into row i; with `inFlight` > 1 several images are
  // in flight at once (decode of one overlapping the JS work of another).
  const ok = new Uint8Array(samples.length);
  let failure: BatchFailure | undefined;
  let nextSample = 0;
  const lane = async () => {
    while (failure === undefined && nextSample < samples.length) {
      const i = nextSample++;
      const ref = samples[i]!;
      try {
        await loadSampleInto(ref, task.epochs[i]!, config, out, i);
        ok[i] = 1;
      } catch (err) {
        const message = (err as Error).message;
        if (config.onError === 'skip' && err instanceof SampleLoadError) {
          out.skipped.push({ index: ref.index, imagePath: ref.imagePath, message });
        } else {
          failure ??= { failure: { imagePath: ref.imagePath, message } };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(task.inFlight ?? 1, samples.length)) }, lane));
  if (failure) return failure;
  out.skipped.sort((a, b) => a.index - b.index);
  const kept = ok.reduce((a, v) => a + v, 0);
  return kept === samples.length ? out : compact(out, ok, K, S);
}

/** The transfer list of a batch: every typed array's buffer. */
export function batchBuffers(d: BatchData): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [d.x, d.jointsNorm, d.visible, d.cropBoxes, d.jointsPx, d.imageSizes, d.indices, ...(d.images ?? []).map((im) => im.data)];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}
