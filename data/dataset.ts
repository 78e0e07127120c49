/**
 * A dataset directory, laid out like `../shared/datasets/lspet/`:
 *
 * ```
 * DIR/images/…            the images
 * DIR/joints.mat          optional: LSP/LSPET joints (visibility from here)
 * DIR/splits/NAME.csv     legacy CSV: the split's members (and joints when there is no joints.mat)
 * DIR/splits/NAME.json    or COCO person keypoints (→ LSP14) or MPII-style JSON (→ MPII16)
 * DIR/splits/NAME.jsonl   or MPII-style JSON lines
 * ```
 *
 * `--dataset DIR --split NAME` means exactly `openDataset(DIR, NAME)`. With a
 * `joints.mat`, the split CSV gives membership and order, `joints.mat` the
 * joints and visibility (row = number in the image name − 1), as the legacy
 * CSV drops annotated joints with a coordinate ≤ 0 and keeps unannotated
 * ones whose junk coordinates are positive. The CSV's own mask is kept as
 * `splitVisible` for reproducing the legacy code's crop boxes exactly.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PoseAnnotation } from './annotations.js';
import { cocoToLsp14, isCocoKeypoints } from './coco.js';
import { AnnotationFormatError, DatasetLayoutError } from './dataset-errors.js';
import { readLegacyCsv } from './legacy-csv.js';
import { jointsMatIndex, readJointsMat } from './lsp-joints.js';
import { parseMpiiJson } from './mpii.js';
import { FLIC7, LSP14, MPII16, type Skeleton } from './skeletons.js';

/** One person of a dataset split. */
export interface PoseSample extends PoseAnnotation {
  /** Position in the split (0-based). */
  readonly index: number;
  /** Absolute path of the image file. */
  readonly imagePath: string;
  /** `[K]` mask of the split's legacy CSV (-1 → false), when the joints came from elsewhere. */
  readonly splitVisible?: readonly boolean[];
}

export interface PoseDataset {
  readonly dir: string;
  readonly split: string;
  readonly skeleton: Skeleton;
  /** Where the joints came from, e.g. `joints.mat (lspet) + splits/test.csv`. */
  readonly annotationSource: string;
  readonly samples: readonly PoseSample[];
}

/** Split names available in `DIR/splits/`. */
export function listSplits(dir: string): string[] {
  const splits = path.join(dir, 'splits');
  if (!existsSync(splits)) return [];
  return [...new Set(readdirSync(splits).filter((f) => /\.(csv|json|jsonl)$/.test(f)).map((f) => f.replace(/\.(csv|json|jsonl)$/, '')))].sort();
}

function skeletonForJointCount(k: number, source: string): Skeleton {
  const s = [LSP14, MPII16, FLIC7].find((sk) => sk.joints.length === k);
  if (!s) throw new AnnotationFormatError(`${source}: ${k} joints per row matches no joint set (expected 14 LSP, 16 MPII or 7 FLIC)`);
  return s;
}

/** Opens split `split` of the dataset directory `dir`. */
export async function openDataset(dir: string, split: string): Promise<PoseDataset> {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new DatasetLayoutError(`dataset ${dir}: not a directory`);
  const images = path.join(root, 'images');
  if (!existsSync(images)) throw new DatasetLayoutError(`dataset ${dir}: no images/ folder (expected DIR/images/, DIR/splits/NAME.csv and optionally DIR/joints.mat)`);
  if (!/^[\w.-]+$/.test(split)) throw new DatasetLayoutError(`dataset ${dir}: split name ${JSON.stringify(split)} must be a plain file name (letters, digits, . _ -)`);
  const base = path.join(root, 'splits', split);
  const csv = `${base}.csv`;
  const json = [`${base}.json`, `${base}.jsonl`].find((f) => existsSync(f));
  let annotations: PoseAnnotation[];
  let skeleton: Skeleton;
  let annotationSource: string;
  let splitMasks: (readonly boolean[])[] | undefined;
  if (existsSync(csv)) {
    const rows = await readLegacyCsv(csv);
    const jointsMat = path.join(root, 'joints.mat');
    if (existsSync(jointsMat)) {
      const table = await readJointsMat(jointsMat);
      const K = LSP14.joints.length;
      annotations = rows.map((r, i) => {
        const n = jointsMatIndex(r.image);
        if (n === undefined || n < 0 || n >= table.count) {
          throw new AnnotationFormatError(`${csv} line ${i + 1}: image ${JSON.stringify(r.image)} has no row in ${jointsMat} (expected a name numbered 1…${table.count}, like im00001.jpg)`);
        }
        const jointsPx: [number, number][] = [];
        const visible: boolean[] = [];
        for (let k = 0; k < K; k++) {
          jointsPx.push([table.jointsPx[(n * K + k) * 2]!, table.jointsPx[(n * K + k) * 2 + 1]!]);
          visible.push(table.visible[n * K + k] === 1);
        }
        return { image: r.image, jointsPx, visible };
      });
      splitMasks = rows.map((r) => r.visible);
      skeleton = LSP14;
      annotationSource = `joints.mat (${table.layout}) + splits/${split}.csv`;
    } else {
      annotations = rows;
      skeleton = rows.length ? skeletonForJointCount(rows[0]!.jointsPx.length, csv) : LSP14;
      annotationSource = `splits/${split}.csv`;
    }
  } else if (json) {
    const text = await readFile(json, 'utf8');
    let doc: unknown;
    try {
      doc = json.endsWith('.json') ? JSON.parse(text) : undefined;
    } catch (err) {
      throw new AnnotationFormatError(`${json}: not valid JSON (${(err as Error).message})`, err);
    }
    if (doc !== undefined && isCocoKeypoints(doc)) {
      annotations = cocoToLsp14(doc, json);
      skeleton = LSP14;
      annotationSource = `splits/${path.basename(json)} (COCO → LSP14)`;
    } else {
      annotations = parseMpiiJson(text, json);
      skeleton = MPII16;
      annotationSource = `splits/${path.basename(json)} (MPII)`;
    }
  } else {
    const have = listSplits(root);
    throw new DatasetLayoutError(`dataset ${dir}: no split ${JSON.stringify(split)} (expected splits/${split}.csv, .json or .jsonl; available: ${have.length ? have.join(', ') : 'none'})`);
  }
  const samples = annotations.map((a, index): PoseSample => {
    if (a.jointsPx.length !== skeleton.joints.length) {
      throw new AnnotationFormatError(`dataset ${dir} split ${split}: ${a.image} has ${a.jointsPx.length} joints, expected ${skeleton.joints.length} (${skeleton.id})`);
    }
    const imagePath = path.resolve(images, a.image);
    if (!imagePath.startsWith(images + path.sep)) throw new AnnotationFormatError(`dataset ${dir} split ${split}: image name ${JSON.stringify(a.image)} points outside images/`);
    return { ...a, index, imagePath, ...(splitMasks ? { splitVisible: splitMasks[index]! } : {}) };
  });
  return { dir: root, split, skeleton, annotationSource, samples };
}
