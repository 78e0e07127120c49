/**
 * MPII-style annotations with head boxes (16 joints in the MPII16 order),
 * as JSON lines or a JSON array. Two record forms are accepted:
 *
 * - the legacy DeepPose `data.json` line: `{"filename", "head_rect": [x1, y1,
 *   x2, y2], "joint_pos": {"0": [x, y], …}, "is_visible": {…}}`, where a
 *   joint id missing from `joint_pos` is not annotated;
 * - `{"image", "joints": [[x, y], …16], "visible": [true, …16], "head_box":
 *   [x1, y1, x2, y2]}`.
 *
 * `visible` means annotated; MPII's `is_visible` (occlusion) is not used.
 */
import { readFile } from 'node:fs/promises';
import type { PoseAnnotation } from './annotations.js';
import { AnnotationFormatError } from './dataset-errors.js';
import { MPII16 } from './skeletons.js';

type Rec = Record<string, unknown>;

function box4(v: unknown, where: string): [number, number, number, number] {
  if (!Array.isArray(v) || v.length !== 4 || !v.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new AnnotationFormatError(`${where}: head box must be 4 finite numbers [x1, y1, x2, y2], found ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2], v[3]];
}

function point(v: unknown, where: string): [number, number] {
  if (!Array.isArray(v) || v.length < 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') {
    throw new AnnotationFormatError(`${where}: expected [x, y], found ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
}

/** Converts one MPII-style record. */
export function mpiiRecord(r: Rec, where: string): PoseAnnotation {
  const K = MPII16.joints.length;
  const image = r.filename ?? r.image;
  if (typeof image !== 'string' || !image) throw new AnnotationFormatError(`${where}: missing "filename" (or "image")`);
  const jointsPx: [number, number][] = [];
  const visible: boolean[] = [];
  if (r.joint_pos && typeof r.joint_pos === 'object') {
    const jp = r.joint_pos as Rec;
    for (let k = 0; k < K; k++) {
      const p = jp[String(k)];
      const ok = p !== undefined && !(Array.isArray(p) && p[0] === -1 && p[1] === -1);
      jointsPx.push(ok ? point(p, `${where} joint_pos["${k}"]`) : [0, 0]);
      visible.push(ok);
    }
  } else if (Array.isArray(r.joints)) {
    if (r.joints.length !== K) throw new AnnotationFormatError(`${where}: "joints" has ${r.joints.length} entries, expected ${K} (MPII order)`);
    const vis = Array.isArray(r.visible) ? r.visible : undefined;
    r.joints.forEach((p, k) => {
      jointsPx.push(point(p, `${where} joints[${k}]`));
      visible.push(vis ? vis[k] === true || vis[k] === 1 : true);
    });
  } else {
    throw new AnnotationFormatError(`${where}: expected "joint_pos" (legacy data.json) or "joints" (16 × [x, y])`);
  }
  const head = r.head_rect ?? r.head_box;
  return { image, jointsPx, visible, ...(head === undefined ? {} : { headBoxXyxy: box4(head, where) }) };
}

/** Parses MPII-style JSON (an array) or JSON lines. */
export function parseMpiiJson(text: string, source = 'MPII JSON'): PoseAnnotation[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (err) {
      throw new AnnotationFormatError(`${source}: not valid JSON (${(err as Error).message})`, err);
    }
    return (arr as Rec[]).map((r, i) => mpiiRecord(r, `${source} record ${i}`));
  }
  const out: PoseAnnotation[] = [];
  trimmed.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let r: Rec;
    try {
      r = JSON.parse(line) as Rec;
    } catch (err) {
      throw new AnnotationFormatError(`${source} line ${i + 1}: not valid JSON (${(err as Error).message})`, err);
    }
    out.push(mpiiRecord(r, `${source} line ${i + 1}`));
  });
  return out;
}

export async function readMpiiJson(path: string): Promise<PoseAnnotation[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AnnotationFormatError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  return parseMpiiJson(text, path);
}
