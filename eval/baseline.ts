/**
 * The mean-pose baseline: the training split's mean normalised pose (per
 * joint, over annotated joints), decoded through each test image's crop as
 * if a model had predicted it. A model that learned nothing scores this.
 */
import { readFile } from 'node:fs/promises';
import type { PoseDataset, PoseSample } from '../data/dataset.js';
import { probeImage } from '../data/image.js';
import { decodeJoints, jointsBox, legacyCropBox, normaliseJoints, type BoxXyxy } from '../data/transforms/legacy.js';
import { EvalCollector, type EvalImage, type EvalResult } from './collector.js';

/** Mean of `[N][K][2]` normalised joints over the annotated ones; `[K][2]` (NaN where never annotated). */
export function meanNormalisedPose(jointsNorm: readonly (readonly (readonly [number, number])[])[], visible: readonly (readonly boolean[])[]): [number, number][] {
  const k = jointsNorm[0]?.length ?? 0;
  const sum = Array.from({ length: k }, () => [0, 0, 0]);
  jointsNorm.forEach((pose, n) => pose.forEach(([x, y], j) => {
    if (!visible[n]![j] || !Number.isFinite(x) || !Number.isFinite(y)) return;
    sum[j]![0]! += x;
    sum[j]![1]! += y;
    sum[j]![2]! += 1;
  }));
  return sum.map(([x, y, c]) => (c! > 0 ? [x! / c!, y! / c!] : [Number.NaN, Number.NaN]));
}

/**
 * Scores the mean pose of `train` on `test`: each image's crop is the legacy
 * crop of its annotated joints (image size from the file header); images
 * without annotated joints get no prediction. `onProgress` ticks once per image read.
 */
export async function evaluateMeanPose(train: PoseDataset, test: PoseDataset, options: { inputSize?: number; onProgress?: () => void } = {}): Promise<{ result: EvalResult; images: readonly EvalImage[]; trainImages: number }> {
  const size = options.inputSize ?? 220;
  const norms: [number, number][][] = [];
  const vis: boolean[][] = [];
  for (const s of train.samples) {
    const box = await sampleCropBox(s);
    options.onProgress?.();
    if (!box) continue;
    norms.push(normaliseJoints(s.jointsPx, box, size));
    vis.push([...s.visible]);
  }
  const mean = meanNormalisedPose(norms, vis);
  const c = new EvalCollector(test.skeleton);
  for (const s of test.samples) {
    const box = await sampleCropBox(s);
    options.onProgress?.();
    const pred = box ? decodeJoints(mean.flat(), box, size) : s.jointsPx.map(() => null);
    c.add({ image: s.image, predPx: pred, gtPx: s.jointsPx, visible: s.visible, headBoxXyxy: s.headBoxXyxy, imagePath: s.imagePath });
  }
  return { result: c.result(), images: c.entries, trainImages: norms.length };
}

/** The legacy crop box of a sample from its annotated joints (image size from the file header). */
async function sampleCropBox(s: PoseSample): Promise<BoxXyxy | undefined> {
  const box = jointsBox(s.jointsPx, s.visible);
  if (!box) return undefined;
  const size = await probeImage(new Uint8Array(await readFile(s.imagePath)), { name: s.imagePath });
  return legacyCropBox(box, size.width, size.height);
}
