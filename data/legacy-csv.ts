/**
 * The legacy DeepPose CSV: one person per line, `image,x0,y0,x1,y1,…` with
 * K joints in the skeleton's order and `-1` for a coordinate the legacy
 * code did not see (it wrote -1 wherever a coordinate was ≤ 0). A joint is
 * visible here unless one of its coordinates is -1 (the legacy
 * `ignore_label`). `-1` exists only at this boundary: in memory a joint's
 * visibility is the explicit `visible` mask.
 */
import { readFile } from 'node:fs/promises';
import type { PoseAnnotation } from './annotations.js';
import { AnnotationFormatError } from './dataset-errors.js';
import { writeFileAtomic } from '../core/write-atomic.js';

/** The legacy code's marker for a missing coordinate. */
export const LEGACY_MISSING = -1;

export interface LegacyCsvOptions {
  /** Joints per row; default: taken from the first row. */
  readonly jointCount?: number;
  /** Name of the file, for messages. */
  readonly source?: string;
}

/** Parses legacy CSV text into annotations (`[K, 2]` pixels and a `[K]` mask per row). */
export function parseLegacyCsv(text: string, options: LegacyCsvOptions = {}): PoseAnnotation[] {
  const source = options.source ?? 'legacy CSV';
  const out: PoseAnnotation[] = [];
  let k = options.jointCount;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, lineIndex) => {
    if (line.trim() === '') return;
    const where = `${source} line ${lineIndex + 1}`;
    const fields = line.split(',');
    if (k === undefined) {
      if (fields.length < 3 || fields.length % 2 === 0) {
        throw new AnnotationFormatError(`${where}: expected an image name and an even number of coordinates (x0,y0,x1,y1,…), found ${fields.length - 1} coordinates`);
      }
      k = (fields.length - 1) / 2;
    }
    if (fields.length !== 1 + 2 * k) {
      throw new AnnotationFormatError(`${where}: expected 1 + 2×${k} = ${1 + 2 * k} fields (image name, then x,y per joint), found ${fields.length}`);
    }
    const image = fields[0]!.trim();
    if (image === '') throw new AnnotationFormatError(`${where}: empty image name in field 1`);
    const jointsPx: [number, number][] = [];
    const visible: boolean[] = [];
    for (let j = 0; j < k; j++) {
      const xy = [fields[1 + 2 * j]!, fields[2 + 2 * j]!].map((f, c) => {
        const v = Number(f.trim());
        if (f.trim() === '' || !Number.isFinite(v)) {
          throw new AnnotationFormatError(`${where}: field ${2 + 2 * j + c} (joint ${j} ${c ? 'y' : 'x'}) is ${JSON.stringify(f)}, expected a number (or -1 for missing)`);
        }
        return v;
      }) as [number, number];
      const missing = xy[0] === LEGACY_MISSING || xy[1] === LEGACY_MISSING;
      jointsPx.push(missing ? [0, 0] : xy);
      visible.push(!missing);
    }
    out.push({ image, jointsPx, visible });
  });
  return out;
}

/** Reads a legacy CSV file. */
export async function readLegacyCsv(path: string, options: Omit<LegacyCsvOptions, 'source'> = {}): Promise<PoseAnnotation[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AnnotationFormatError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
  }
  return parseLegacyCsv(text, { ...options, source: path });
}

/** A float as Python's `str(float)` writes it in this range: `10.0`, `95.5`, shortest round trip. */
function pyFloat(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

/**
 * Formats annotations as legacy CSV: invisible joints become `-1,-1`;
 * coordinates as the legacy (Python) code wrote them (`10.0`, shortest round trip).
 */
export function formatLegacyCsv(rows: readonly PoseAnnotation[]): string {
  return rows.map((r) => {
    if (/[,\r\n]/.test(r.image)) throw new AnnotationFormatError(`image name ${JSON.stringify(r.image)} contains a comma or newline, which the legacy CSV cannot hold`);
    const cells = [r.image];
    r.jointsPx.forEach(([x, y], j) => {
      if (r.visible[j]) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) throw new AnnotationFormatError(`${r.image}: joint ${j} is visible but (${x}, ${y}) is not finite`);
        cells.push(pyFloat(x), pyFloat(y));
      } else cells.push(String(LEGACY_MISSING), String(LEGACY_MISSING));
    });
    return `${cells.join(',')}\n`;
  }).join('');
}

/** Writes annotations as a legacy CSV file, atomically. */
export async function writeLegacyCsv(path: string, rows: readonly PoseAnnotation[]): Promise<void> {
  await writeFileAtomic(path, formatLegacyCsv(rows));
}
