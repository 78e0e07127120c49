/**
 * The flip test: stage 1 also runs on the horizontally mirrored crop (and
 * each refinement stage on its mirrored joint crops, model/cascade.ts); the
 * mirrored prediction is mirrored back (left and right joints swapped
 * through the skeleton table) and averaged with the direct one.
 *
 * In the legacy normalisation a joint at crop column `p` (pixel index
 * units) has `y = (p − S/2) / S`; mirroring the pixel grid sends `p` to
 * `S − 1 − p`, so a mirrored output `y'` maps back to `−y' − 1/S`.
 */
import { flipPermutation, type Skeleton } from '../data/skeletons.js';

/** `[B, 3, S, S]` planar images mirrored left–right (a new array). */
export function mirrorPlanar(x: Float32Array, size: number): Float32Array {
  const out = new Float32Array(x.length);
  const rows = x.length / size;
  for (let r = 0; r < rows; r++) {
    const o = r * size;
    for (let c = 0; c < size; c++) out[o + c] = x[o + size - 1 - c]!;
  }
  return out;
}

/**
 * Averages direct and mirrored stage-1 outputs, both `[B, 2K]` in the
 * legacy normalisation; returns `[B, 2K]` in the direct frame.
 */
export function mergeFlipped(y: Float32Array, yMirrored: Float32Array, skeleton: Skeleton, size: number): Float32Array {
  const k = skeleton.joints.length;
  const perm = flipPermutation(skeleton);
  const out = new Float32Array(y.length);
  for (let b = 0; b < y.length / (2 * k); b++) {
    const o = b * 2 * k;
    for (let i = 0; i < k; i++) {
      const m = o + 2 * perm[i]!;
      out[o + 2 * i] = (y[o + 2 * i]! + (-yMirrored[m]! - 1 / size)) / 2;
      out[o + 2 * i + 1] = (y[o + 2 * i + 1]! + yMirrored[m + 1]!) / 2;
    }
  }
  return out;
}
