/**
 * A contact sheet: many images (overlays, crops) on one page, in a grid of
 * equal cells with a caption under each, composited by sharp.
 */
import { loadSharp } from './sharp-module.js';

export interface SheetItem {
  /** Encoded image bytes. */
  readonly image: Uint8Array;
  readonly caption?: string;
}

export interface SheetOptions {
  /** Columns (default: ⌈√n⌉). */
  readonly columns?: number;
  /** Cell side in pixels (default 240). */
  readonly cell?: number;
  readonly format?: 'png' | 'jpeg' | 'webp';
  readonly background?: string;
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function contactSheet(items: readonly SheetItem[], options: SheetOptions = {}): Promise<Buffer> {
  const sharp = await loadSharp();
  if (items.length === 0) throw new RangeError('contact sheet: no images');
  const cols = options.columns ?? Math.ceil(Math.sqrt(items.length));
  const rows = Math.ceil(items.length / cols);
  const cell = options.cell ?? 240;
  const captionH = items.some((i) => i.caption) ? 20 : 0;
  const pad = 6;
  const W = cols * (cell + pad) + pad;
  const H = rows * (cell + captionH + pad) + pad;
  const layers = await Promise.all(items.map(async (it, i) => {
    const thumb = await sharp(it.image).rotate().resize(cell, cell, { fit: 'inside', withoutEnlargement: false }).png().toBuffer({ resolveWithObject: true });
    const x = pad + (i % cols) * (cell + pad);
    const y = pad + Math.floor(i / cols) * (cell + captionH + pad);
    const out: { input: Buffer; left: number; top: number }[] = [{ input: thumb.data, left: x + Math.floor((cell - thumb.info.width) / 2), top: y + Math.floor((cell - thumb.info.height) / 2) }];
    if (it.caption) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${cell}" height="${captionH}"><text x="${cell / 2}" y="${captionH - 6}" font-family="sans-serif" font-size="12" text-anchor="middle" fill="#222">${esc(it.caption.slice(0, 40))}</text></svg>`;
      out.push({ input: Buffer.from(svg), left: x, top: y + cell });
    }
    return out;
  }));
  const sheet = sharp({ create: { width: W, height: H, channels: 3, background: options.background ?? '#f4f4f4' } }).composite(layers.flat());
  const f = options.format ?? 'png';
  return f === 'jpeg' ? sheet.jpeg({ quality: 88 }).toBuffer() : f === 'webp' ? sheet.webp().toBuffer() : sheet.png().toBuffer();
}
