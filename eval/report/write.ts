/** Writes report.json, report.md and report.html (with an overlay grid) into a directory, atomically. */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { drawOverlayThumbnail } from '../../data/overlay.js';
import { DeepPoseError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/write-atomic.js';
import { mapLimit } from '../../core/concurrency.js';
import type { EvalImage, EvalResult } from '../collector.js';
import { buildReport, type ReportContext } from './document.js';
import { renderHtml, renderMarkdown, type OverlayTile } from './render.js';

/** Overlay tiles drawn at once. */
const OVERLAYS_IN_FLIGHT = 4;

/** Longest side of an overlay tile, pixels. */
const TILE_SIDE = 400;

/** Best, median and worst images (`n` each) with overlays, when their files are at hand. */
async function overlayTiles(result: EvalResult, entries: readonly EvalImage[], n: number): Promise<OverlayTile[]> {
  const r = result.ranked;
  if (r.length === 0) return [];
  const mid = Math.max(0, Math.floor(r.length / 2) - Math.floor(n / 2));
  const picks = [
    ...r.slice(0, n).map((x) => ['best', x] as const),
    ...r.slice(mid, mid + n).map((x) => ['median', x] as const),
    ...r.slice(-n).reverse().map((x) => ['worst', x] as const),
  ];
  const byName = new Map(entries.map((e) => [e.image, e]));
  // A few at a time (sharp's work runs on its own threads), in the order picked.
  const tiles = await mapLimit(picks, OVERLAYS_IN_FLIGHT, async ([group, x]): Promise<OverlayTile | undefined> => {
    const e = byName.get(x.image);
    if (!e?.imagePath) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(e.imagePath);
    } catch {
      return undefined;
    }
    let thumb: Buffer;
    try {
      thumb = await drawOverlayThumbnail(new Uint8Array(bytes), e.predPx, result.skeleton, TILE_SIDE, { quality: 82 });
    } catch (err) {
      // An image that no longer decodes (changed or damaged since it was scored) leaves its tile
      // out; anything else is a fault of ours and fails the report.
      if (err instanceof DeepPoseError) return undefined;
      throw err;
    }
    return { group, image: x.image, caption: `error ${x.meanNormalisedError.toFixed(3)} × torso, PDJ@0.2 ${(100 * x.pdj20).toFixed(0)}%`, dataUri: `data:image/jpeg;base64,${thumb.toString('base64')}` };
  });
  return tiles.filter((t): t is OverlayTile => t !== undefined);
}

export interface WrittenReport {
  readonly dir: string;
  readonly document: Record<string, unknown>;
}

export async function writeReport(dir: string, result: EvalResult, entries: readonly EvalImage[], ctx: ReportContext): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const doc = buildReport(result, ctx);
  const tiles = await overlayTiles(result, entries, 4);
  await writeFileAtomic(path.join(dir, 'report.json'), `${JSON.stringify(doc, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, 'report.md'), renderMarkdown(doc));
  await writeFileAtomic(path.join(dir, 'report.html'), renderHtml(doc, result.skeleton, tiles));
  return { dir, document: doc };
}
