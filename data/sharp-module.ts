/**
 * sharp, loaded on first use. Its native library takes about 150 ms to load;
 * loaded lazily, a start overlaps that with other work (PoseModel.load asks
 * for it while the inference worker starts onnxruntime on another core), and
 * commands that never touch pixels (`--help`, `inspect`) never pay it.
 */
import type Sharp from 'sharp';
import { requireCommonJs } from '../core/require-commonjs.js';

let loading: Promise<typeof Sharp> | undefined;

/**
 * For a worker thread that decodes one image after another while as many
 * such threads as cores run: one libvips thread per decode (small images
 * decode in less CPU time without vips's own threads contending for the
 * same cores) and no operation cache (every image is new).
 */
export async function sharpForBusyThreads(): Promise<void> {
  const sharp = await loadSharp();
  sharp.concurrency(1);
  sharp.cache(false);
}

/** The sharp module (the same promise for every caller). */
export function loadSharp(): Promise<typeof Sharp> {
  return (loading ??= Promise.resolve().then(() => requireCommonJs<typeof Sharp>('sharp')));
}
