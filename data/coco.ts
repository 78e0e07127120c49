/**
 * COCO person-keypoints annotations (`person_keypoints_*.json`) mapped to the
 * 14 LSP joints. The file's own keypoint names (`categories[].keypoints`,
 * e.g. `right_ankle`) are matched to the LSP14 table by name, so the 12
 * limb joints map one to one. COCO has no neck and no head top:
 *
 * - `neck` is taken as the midpoint of the two shoulders when both are
 *   labelled (an approximation: LSP's neck lies a little above that line),
 *   otherwise not visible;
 * - `headTop` is never visible (COCO's face points are not the crown).
 *
 * A keypoint is visible when its COCO flag `v` is 1 (labelled, occluded) or
 * 2 (labelled, visible). Crowd annotations and people with no labelled
 * keypoint are skipped. Each person becomes one annotation with its `bbox`.
 */
import { readFile } from 'node:fs/promises';
import type { PoseAnnotation } from './annotations.js';
import { AnnotationFormatError } from './dataset-errors.js';
import { LSP14 } from './skeletons.js';

interface CocoFile {
  images?: { id: number; file_name: string }[];
  annotations?: { image_id: number; keypoints?: number[]; iscrowd?: number; num_keypoints?: number; bbox?: number[]; category_id?: number }[];
  categories?: { id: number; name?: string; keypoints?: string[] }[];
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** True when parsed JSON looks like a COCO keypoints file. */
export function isCocoKeypoints(doc: unknown): boolean {
  const d = doc as CocoFile;
  return !!d && typeof d === 'object' && Array.isArray(d.images) && Array.isArray(d.annotations) && Array.isArray(d.categories);
}

/** Converts a parsed COCO keypoints document into LSP14 annotations. */
export function cocoToLsp14(doc: unknown, source = 'COCO JSON'): PoseAnnotation[] {
  if (!isCocoKeypoints(doc)) throw new AnnotationFormatError(`${source}: expected a COCO keypoints object with "images", "annotations" and "categories" arrays`);
  const d = doc as Required<CocoFile>;
  const person = d.categories.find((c) => Array.isArray(c.keypoints) && c.keypoints.length > 0 && (c.name === 'person' || d.categories.length === 1));
  if (!person) throw new AnnotationFormatError(`${source}: no category with a "keypoints" list (expected the COCO "person" category)`);
  const names = person.keypoints!;
  const K = LSP14.joints.length;
  const fromCoco = LSP14.joints.map((j) => names.findIndex((n) => camel(n) === j));
  const neck = LSP14.joints.indexOf('neck');
  const lSho = names.indexOf('left_shoulder');
  const rSho = names.indexOf('right_shoulder');
  const files = new Map(d.images.map((im) => [im.id, im.file_name]));
  const out: PoseAnnotation[] = [];
  d.annotations.forEach((a, n) => {
    if (a.category_id !== undefined && a.category_id !== person.id) return;
    if (a.iscrowd) return;
    const kp = a.keypoints;
    if (!Array.isArray(kp) || kp.length !== 3 * names.length) {
      throw new AnnotationFormatError(`${source}: annotations[${n}].keypoints has ${Array.isArray(kp) ? kp.length : 'no'} values, expected 3×${names.length} = ${3 * names.length}`);
    }
    const image = files.get(a.image_id);
    if (image === undefined) throw new AnnotationFormatError(`${source}: annotations[${n}] refers to image_id ${a.image_id}, which is not in "images"`);
    const labelled = (c: number) => c >= 0 && kp[3 * c + 2]! > 0;
    const jointsPx: [number, number][] = [];
    const visible: boolean[] = [];
    for (let k = 0; k < K; k++) {
      const c = fromCoco[k]!;
      if (c >= 0 && labelled(c)) {
        jointsPx.push([kp[3 * c]!, kp[3 * c + 1]!]);
        visible.push(true);
      } else if (k === neck && labelled(lSho) && labelled(rSho)) {
        jointsPx.push([(kp[3 * lSho]! + kp[3 * rSho]!) / 2, (kp[3 * lSho + 1]! + kp[3 * rSho + 1]!) / 2]);
        visible.push(true);
      } else {
        jointsPx.push([0, 0]);
        visible.push(false);
      }
    }
    if (!visible.some(Boolean)) return;
    const b = a.bbox;
    out.push({ image, jointsPx, visible, ...(Array.isArray(b) && b.length === 4 ? { personBoxXywh: [b[0]!, b[1]!, b[2]!, b[3]!] as const } : {}) });
  });
  return out;
}

/** Reads a COCO keypoints JSON file and maps it to LSP14. */
export async function readCocoKeypoints(path: string): Promise<PoseAnnotation[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new AnnotationFormatError(`${path}: not readable JSON (${(err as Error).message})`, err);
  }
  return cocoToLsp14(doc, path);
}
