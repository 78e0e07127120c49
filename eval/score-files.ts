/**
 * Scoring a predictions file against a ground-truth file (both in the
 * interchange format, eval/predictions-file.ts): images matched by name; a
 * ground-truth image without a prediction counts as a miss, a prediction
 * without ground truth is ignored (both are reported).
 */
import path from 'node:path';
import { SKELETONS } from '../data/skeletons.js';
import { EvalCollector, type EvalImage, type EvalResult } from './collector.js';
import { PoseFileError, type PoseFile } from './predictions-file.js';

export interface FileScore {
  readonly result: EvalResult;
  readonly images: readonly EvalImage[];
  /** Ground-truth images with no prediction (scored as misses). */
  readonly missing: readonly string[];
  /** Predicted images absent from the ground truth (ignored). */
  readonly extra: readonly string[];
}

/** `imagesDir`: where the images are, for the report's overlays. */
export function scorePoseFiles(pred: PoseFile, gt: PoseFile, names: { predictions: string; imagesDir?: string }): FileScore {
  if (pred.skeleton !== gt.skeleton) throw new PoseFileError(`${names.predictions}: skeleton ${pred.skeleton} does not match the ground truth's ${gt.skeleton}`);
  const byName = new Map(pred.images.map((p) => [p.image, p]));
  const gtNames = new Set(gt.images.map((g) => g.image));
  const c = new EvalCollector(SKELETONS[gt.skeleton]);
  for (const g of gt.images) {
    const p = byName.get(g.image);
    c.add({
      image: g.image,
      predPx: p ? p.joints : g.joints.map(() => null),
      gtPx: g.joints.map((q) => q ?? [Number.NaN, Number.NaN]),
      visible: g.visible.map((v, i) => v && g.joints[i] !== null),
      headBoxXyxy: g.headBox,
      imagePath: names.imagesDir ? path.join(names.imagesDir, g.image) : undefined,
    });
  }
  return {
    result: c.result(),
    images: c.entries,
    missing: gt.images.filter((g) => !byName.has(g.image)).map((g) => g.image),
    extra: pred.images.filter((p) => !gtNames.has(p.image)).map((p) => p.image),
  };
}
