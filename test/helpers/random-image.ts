/** Seeded random images for the tests that compare two implementations of an image transform. */
import type { RawImage } from '../../data/transforms/square-crop.js';

/** A seeded generator of numbers in [0, 1) (a linear congruential generator: reproducible, not statistical). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** A `width × height` image of `channels` interleaved bytes drawn from `values` (default: every byte value). */
export function randomImage(rnd: () => number, width: number, height: number, channels: 3 | 4, values?: readonly number[]): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = values ? values[Math.floor(rnd() * values.length)]! : Math.floor(rnd() * 256);
  return { data, width, height, channels };
}
