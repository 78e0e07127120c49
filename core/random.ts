/**
 * Seeded pseudo-random numbers for shuffling and augmentation. Every random
 * choice in data/ comes from an `Rng` made here, so a seed fixes every
 * batch. Streams are keyed: `createRng(seed, epoch, sampleIndex)` gives the
 * same numbers wherever (and on whichever worker thread) it is created.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * 128-bit state, passes PractRand to 2^47+ bytes), seeded through
 * splitmix32 mixing of the key words.
 */
import { invalidArgument } from './errors.js';

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  bool(p?: number): boolean;
}

/** splitmix32 finaliser: a well-mixed 32-bit value from any 32-bit value. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function checkKey(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw invalidArgument(name, 'a non-negative safe integer', v);
}

/** A generator for the key `(seed, ...stream)`; equal keys give equal sequences. */
export function createRng(seed: number, ...stream: number[]): Rng {
  checkKey('seed', seed);
  stream.forEach((s, i) => checkKey(`stream[${i}]`, s));
  let h = mix32(seed >>> 0) ^ mix32(Math.floor(seed / 2 ** 32));
  for (const s of stream) h = mix32(h ^ mix32(s >>> 0) ^ mix32(Math.floor(s / 2 ** 32) + 0x632be5ab));
  let a = mix32(h ^ 0x243f6a88);
  let b = mix32(h ^ 0x85a308d3);
  let c = mix32(h ^ 0x13198a2e);
  let d = 1;
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296;
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bool: (p = 0.5) => next() < p,
  };
}

/** A seeded permutation of `0 … n−1` (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
