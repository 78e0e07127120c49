/**
 * A composite dataset directory (data/composite.ts): `images/c00001.jpg …`,
 * `splits/<name>.csv` (legacy CSV: joints in frame pixels, `-1` where not
 * annotated) and `composites.json` (per image: the person's source image,
 * the scene's, the parameters, the person's box). It opens with
 * `openDataset(dir, name)` like any dataset. Person n is the people split's
 * image n mod P, so every person appears; scenes are drawn at random.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRng } from '../core/random.js';
import { writeFileAtomic } from '../core/write-atomic.js';
import { composite, drawCompositeParams, type CompositeParams } from './composite.js';
import type { PoseDataset, PoseSample } from './dataset.js';
import { decodeImage, type DecodedImage } from './image.js';
import { writeLegacyCsv } from './legacy-csv.js';
import type { PoseAnnotation } from './annotations.js';

export interface CompositeSetOptions {
  readonly count: number;
  readonly seed: number;
  /** Split name of the written set. */
  readonly name: string;
  /** Range of the person's share of the frame's longer side. */
  readonly fraction?: readonly [number, number];
  readonly onProgress?: () => void;
}

export interface CompositeRecord {
  readonly image: string;
  readonly person: string;
  readonly scene: string;
  readonly params: CompositeParams;
  readonly personBoxXywh: readonly number[];
  readonly sceneRegion: readonly number[];
  readonly scenePersonFree: boolean;
  readonly blurSigma: number;
}

async function decodeSample(s: PoseSample): Promise<DecodedImage> {
  return decodeImage(new Uint8Array(await readFile(s.imagePath)), { name: s.imagePath });
}

/** Writes `options.count` composites of `people` into scenes of `scenes` under `outDir`. */
export async function buildCompositeSet(people: PoseDataset, scenes: PoseDataset, outDir: string, options: CompositeSetOptions): Promise<CompositeRecord[]> {
  const usable = people.samples.filter((s) => s.visible.filter(Boolean).length >= 2);
  if (usable.length === 0) throw new RangeError(`${people.dir} split ${people.split}: no image with two annotated joints`);
  mkdirSync(path.join(outDir, 'images'), { recursive: true });
  mkdirSync(path.join(outDir, 'splits'), { recursive: true });
  const rows: PoseAnnotation[] = [];
  const records: CompositeRecord[] = [];
  const width = String(options.count).length < 5 ? 5 : String(options.count).length;
  for (let n = 0; n < options.count; n++) {
    const rng = createRng(options.seed, 7919, n);
    const person = usable[n % usable.length]!;
    let scene = scenes.samples[rng.int(0, scenes.samples.length - 1)]!;
    if (scene.imagePath === person.imagePath) scene = scenes.samples[(scene.index + 1) % scenes.samples.length]!;
    const params = drawCompositeParams(rng, options.fraction);
    const [pImg, sImg] = await Promise.all([decodeSample(person), decodeSample(scene)]);
    const c = await composite(pImg, person.jointsPx, person.visible, sImg, scene.jointsPx, scene.visible, params);
    const image = `c${String(n + 1).padStart(width, '0')}.jpg`;
    await writeFileAtomic(path.join(outDir, 'images', image), c.jpeg);
    rows.push({ image, jointsPx: c.jointsPx, visible: [...person.visible] });
    records.push({
      image, person: person.image, scene: scene.image, params,
      personBoxXywh: c.personBoxXywh.map((v) => +v.toFixed(2)), sceneRegion: c.scene.region, scenePersonFree: c.scene.personFree, blurSigma: +c.scene.blurSigma.toFixed(2),
    });
    options.onProgress?.();
  }
  await writeLegacyCsv(path.join(outDir, 'splits', `${options.name}.csv`), rows);
  await writeFileAtomic(path.join(outDir, 'composites.json'), `${JSON.stringify({ people: `${people.dir} ${people.split}`, scenes: `${scenes.dir} ${scenes.split}`, seed: options.seed, images: records }, null, 1)}\n`);
  return records;
}
