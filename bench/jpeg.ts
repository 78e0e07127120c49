/**
 * `npm run bench -- jpeg`: the WebAssembly JPEG decoder (data/jpeg) against
 * sharp on the same regions, in one process, alternating rounds, CPU time
 * per decode (process.cpuUsage: sharp's decode runs on libuv's threads).
 * LSPET test images (../shared, when present: the stage-1 crop boxes of the
 * legacy test split, and the whole images), then one LSPET image re-encoded
 * at quality 90 from 400 × 300 to 4000 × 3000 (a central region of 36 %):
 * where `OWN_JPEG_DECODE_MAX_PIXELS` comes from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJpegRegion } from '../data/jpeg/decode-region.js';
import { loadSharp } from '../data/sharp-module.js';
import { openDataset } from '../data/dataset.js';
import { jointsBox, legacyCropBox } from '../data/transforms/legacy.js';
import { hasShared, median, REPO, SHARED, writeResult } from './common.js';

type Box = readonly [number, number, number, number];

const ROUNDS = 3;

export async function benchJpeg(): Promise<Record<string, unknown>> {
  const sharp = await loadSharp();
  sharp.concurrency(1);
  sharp.cache(false);
  /** CPU ms per decode of each (bytes, box), ours and sharp's, median of ROUNDS alternating rounds. */
  const measure = async (items: readonly { bytes: Uint8Array; box: Box }[], minDecodes: number) => {
    const reps = Math.max(1, Math.ceil(minDecodes / items.length));
    const ours: number[] = [];
    const theirs: number[] = [];
    const once = async (own: boolean) => {
      const c0 = process.cpuUsage();
      for (let r = 0; r < reps; r++) {
        for (const { bytes, box: [x0, y0, x1, y1] } of items) {
          if (own) {
            if (!decodeJpegRegion(bytes, x0, y0, x1, y1)) throw new Error('bench jpeg: an image the decoder leaves to sharp');
          } else {
            await sharp(bytes, { failOn: 'error' }).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).raw().toBuffer();
          }
        }
      }
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000 / (reps * items.length);
    };
    await once(true);
    await once(false);
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await once(true));
      theirs.push(await once(false));
    }
    return { oursMs: +median(ours).toFixed(3), sharpMs: +median(theirs).toFixed(3), ratio: +(median(ours) / median(theirs)).toFixed(2) };
  };
  const result: Record<string, unknown> = { unit: 'CPU ms per decode, median of 3 alternating rounds' };
  if (hasShared()) {
    const dataset = await openDataset(path.join(SHARED, 'datasets', 'lspet'), 'legacy-test');
    const crops: { bytes: Uint8Array; box: Box }[] = [];
    const wholes: { bytes: Uint8Array; box: Box }[] = [];
    for (const s of dataset.samples) {
      const bytes = new Uint8Array(readFileSync(s.imagePath));
      const { width, height } = await sharp(bytes).metadata();
      const person = jointsBox(s.jointsPx, s.visible);
      if (person) crops.push({ bytes, box: legacyCropBox(person, width!, height!) });
      wholes.push({ bytes, box: [0, 0, width!, height!] });
    }
    result.lspetTestStage1Crops = { images: crops.length, ...(await measure(crops, 3000)) };
    result.lspetTestWholeImages = { images: wholes.length, ...(await measure(wholes, 3000)) };
    process.stderr.write(`bench jpeg: LSPET crops ${JSON.stringify(result.lspetTestStage1Crops)}, whole ${JSON.stringify(result.lspetTestWholeImages)}\n`);
  }
  const src = readFileSync(path.join(REPO, 'test', 'fixtures', 'lspet', 'images', 'im00010.jpg'));
  const sizes: Record<string, unknown>[] = [];
  for (const [w, h] of [[400, 300], [800, 600], [1200, 900], [1600, 1200], [2000, 1500], [4000, 3000]] as const) {
    const bytes = new Uint8Array(await sharp(src).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
    const box: Box = [Math.round(w * 0.2), Math.round(h * 0.2), Math.round(w * 0.8), Math.round(h * 0.8)];
    const m = await measure([{ bytes, box }], Math.max(5, Math.round(2e8 / (w * h * 10))));
    sizes.push({ size: `${w}x${h}`, megapixels: +(w * h / 1e6).toFixed(2), ...m });
    process.stderr.write(`bench jpeg: ${w}×${h} q90, 36 % region: ours ${m.oursMs} ms, sharp ${m.sharpMs} ms\n`);
  }
  result.quality90CentralRegion = sizes;
  await writeResult('jpeg', result);
  return result;
}
