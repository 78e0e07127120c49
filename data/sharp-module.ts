/**
 * sharp, loaded on first use. Its native library takes about 150 ms to load;
 * loaded lazily, a start overlaps that with other work (PoseModel.load asks
 * for it while the inference worker starts onnxruntime on another core), and
 * commands that never touch pixels (`--help`, `inspect`) never pay it.
 */
import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | undefined;

/** The sharp module (the same promise for every caller). */
export function loadSharp(): Promise<typeof Sharp> {
  return (loading ??= import('sharp').then((m) => m.default));
}
