/**
 * The interchange format for predictions and ground truth:
 *
 * ```json
 * {"skeleton": "lsp14" | "mpii16" | "flic7",
 *  "images": [{"image": name, "joints": [[x, y] or null, …], "visible": [true|false, …],
 *              "headBox": [x0, y0, x1, y1]}]}
 * ```
 *
 * `visible` and `headBox` matter in ground truth only. Reading validates
 * everything and names the file, the image index and what was wrong.
 */
import { readFile } from 'node:fs/promises';
import { DeepPoseError } from '../core/errors.js';
import { isSkeletonId, SKELETONS, SKELETON_IDS, type SkeletonId } from '../data/skeletons.js';

export class PoseFileError extends DeepPoseError {
  constructor(message: string) {
    super('E_POSE_FILE', message);
  }
}

export interface PoseFileImage {
  readonly image: string;
  readonly joints: readonly ([number, number] | null)[];
  readonly visible: readonly boolean[];
  readonly headBox?: readonly [number, number, number, number];
}

export interface PoseFile {
  readonly skeleton: SkeletonId;
  readonly images: readonly PoseFileImage[];
}

export function parsePoseFile(text: string, file: string): PoseFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PoseFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const d = doc as { skeleton?: unknown; images?: unknown };
  if (typeof d !== 'object' || d === null) throw new PoseFileError(`${file}: expected an object with "skeleton" and "images"`);
  if (!isSkeletonId(d.skeleton)) throw new PoseFileError(`${file}: "skeleton" must be one of ${SKELETON_IDS.join(', ')}, found ${JSON.stringify(d.skeleton)}`);
  if (!Array.isArray(d.images)) throw new PoseFileError(`${file}: "images" must be an array`);
  const k = SKELETONS[d.skeleton].joints.length;
  const images = d.images.map((raw: unknown, i: number): PoseFileImage => {
    const where = `${file}: images[${i}]`;
    const im = raw as { image?: unknown; joints?: unknown; visible?: unknown; headBox?: unknown };
    if (typeof im !== 'object' || im === null) throw new PoseFileError(`${where}: expected an object`);
    if (typeof im.image !== 'string' || im.image === '') throw new PoseFileError(`${where}: "image" must be a non-empty string`);
    if (!Array.isArray(im.joints) || im.joints.length !== k) {
      throw new PoseFileError(`${where} (${im.image}): "joints" must list ${k} joints for ${d.skeleton}, found ${Array.isArray(im.joints) ? im.joints.length : typeof im.joints}`);
    }
    const joints = im.joints.map((p: unknown, j: number) => {
      if (p === null) return null;
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' || v === null)) {
        throw new PoseFileError(`${where} (${im.image}): joints[${j}] must be [x, y] or null, found ${JSON.stringify(p)}`);
      }
      return p.some((v) => v === null) ? null : ([p[0], p[1]] as [number, number]);
    });
    let visible: boolean[];
    if (im.visible === undefined) visible = joints.map((p) => p !== null);
    else if (Array.isArray(im.visible) && im.visible.length === k && im.visible.every((v) => typeof v === 'boolean')) visible = im.visible as boolean[];
    else throw new PoseFileError(`${where} (${im.image}): "visible" must list ${k} booleans`);
    let headBox: [number, number, number, number] | undefined;
    if (im.headBox !== undefined && im.headBox !== null) {
      if (!Array.isArray(im.headBox) || im.headBox.length !== 4 || !im.headBox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new PoseFileError(`${where} (${im.image}): "headBox" must be [x0, y0, x1, y1]`);
      }
      headBox = im.headBox as [number, number, number, number];
    }
    return { image: im.image, joints, visible, headBox };
  });
  const seen = new Set<string>();
  for (const im of images) {
    if (seen.has(im.image)) throw new PoseFileError(`${file}: image ${JSON.stringify(im.image)} appears more than once`);
    seen.add(im.image);
  }
  return { skeleton: d.skeleton, images };
}

export async function readPoseFile(file: string): Promise<PoseFile> {
  return parsePoseFile(await readFile(file, 'utf8'), file);
}

export function serialisePoseFile(f: PoseFile): string {
  return `${JSON.stringify({
    skeleton: f.skeleton,
    images: f.images.map((im) => ({
      image: im.image,
      joints: im.joints.map((p) => (p && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? [round(p[0]), round(p[1])] : null)),
      visible: im.visible,
      ...(im.headBox ? { headBox: im.headBox } : {}),
    })),
  })}\n`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
