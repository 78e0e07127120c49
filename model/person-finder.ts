/**
 * The person finder (a cascade's `finder`, model-source.ts): a DeepPose
 * regressor run on the whole image, whose joints give the person box
 * (data/bbox.ts `boxFromJoints`), then again `rounds` times on a square crop
 * around that box, where the person has the size it was trained on.
 */
import { boxFromJoints, type BoxXywhPx } from '../data/bbox.js';
import type { RawImage } from '../data/transforms/square-crop.js';
import { decodeJoints, preprocessCrop, type BoxXyxy } from '../data/transforms/legacy.js';
import type { FinderModel } from './model-source.js';

/** What the finder needs from its model's owner: a session runner and input tensors. */
export interface FinderRuntime {
  /** Runs `[B, 3, S, S]` through the model at `modelPath` (the input may be transferred). */
  run(modelPath: string, x: Float32Array, dims: readonly number[]): Promise<{ y: Float32Array }>;
  /** A Float32Array of `length` elements for an input tensor. */
  acquire(length: number): Float32Array;
}

/**
 * `[B]` person boxes for B images, from the finder's input on the whole
 * images (`x`, `[B, 3, S, S]`; `wholeBoxes` their crop boxes); `joints` is
 * the number of joints it regresses. An image where no box can be made
 * keeps the previous round's (the whole image at first).
 */
export async function findPeople(
  finder: FinderModel, joints: number, runtime: FinderRuntime, x: Float32Array, wholeBoxes: readonly BoxXyxy[], images: readonly RawImage[],
): Promise<BoxXywhPx[]> {
  const { inputSize: s, channels } = finder.model.metadata;
  const k = joints;
  const b = wholeBoxes.length;
  const boxesIn = async (input: Float32Array, crops: readonly BoxXyxy[], fallback: (i: number) => BoxXywhPx) => {
    const r = await runtime.run(finder.model.onnxPath, input, [b, 3, s, s]);
    return crops.map((crop, i) => boxFromJoints(decodeJoints(r.y.subarray(i * 2 * k, (i + 1) * 2 * k), crop, s), finder.boxScale, images[i]!) ?? fallback(i));
  };
  let boxes = await boxesIn(x, wholeBoxes, (i) => [0, 0, images[i]!.width, images[i]!.height]);
  // Re-centring: the finder again on a square crop around its box, the person at the size it was trained on.
  for (let round = 0; round < finder.rounds; round++) {
    const crops = boxes.map((bx, i) => squareAround(bx, finder.roundFraction, images[i]!));
    const xr = runtime.acquire(b * 3 * s * s);
    await Promise.all(images.map((img, i) => preprocessCrop(img, crops[i]!, { size: s, channels }, xr.subarray(i * 3 * s * s, (i + 1) * 3 * s * s))));
    const previous = boxes;
    boxes = await boxesIn(xr, crops, (i) => previous[i]!);
  }
  return boxes;
}

/** The square of side (the box's longer side ÷ `fraction`) about the box's centre, clipped to the image (at least 8 px). */
export function squareAround(box: readonly [number, number, number, number], fraction: number, image: { readonly width: number; readonly height: number }): BoxXyxy {
  const [x, y, w, h] = box;
  const half = Math.max(w, h) / fraction / 2;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const x0 = Math.trunc(Math.max(0, Math.min(image.width - 8, cx - half)));
  const y0 = Math.trunc(Math.max(0, Math.min(image.height - 8, cy - half)));
  return [x0, y0, Math.trunc(Math.min(image.width, Math.max(x0 + 8, cx + half))), Math.trunc(Math.min(image.height, Math.max(y0 + 8, cy + half)))];
}
