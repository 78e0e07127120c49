/**
 * sharp, loaded on first use. Its native library takes about 150 ms to load;
 * loaded lazily, a start overlaps that with other work (PoseModel.load asks
 * for it while the inference worker starts onnxruntime on another core), and
 * commands that never touch pixels (`--help`, `inspect`) never pay it.
 */
import type Sharp from 'sharp';
import { requireCommonJs } from '../core/require-commonjs.js';

let loading: Promise<typeof Sharp> | undefined;
let busyThread = false;

/** What `sharpForBusyThreads` asks for. libvips keeps both settings for the whole process, not per thread. */
function forBusyThreads(sharp: typeof Sharp): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * For a worker thread that decodes one image after another while as many
 * such threads as cores run: one libvips thread per decode (small images
 * decode in less CPU time without vips's own threads contending for the
 * same cores) and no operation cache (every image is new). Set when sharp
 * loads on this thread — on first use: a thread whose images are all JPEGs
 * that data/jpeg decodes never loads it.
 */
export function sharpForBusyThreads(): void {
  busyThread = true;
  loading?.then(forBusyThreads, () => undefined);
}

/** The sharp module (the same promise for every caller). */
export function loadSharp(): Promise<typeof Sharp> {
  return (loading ??= Promise.resolve().then(() => {
    const sharp = requireCommonJs<typeof Sharp>('sharp');
    if (busyThread) forBusyThreads(sharp);
    return sharp;
  }));
}
