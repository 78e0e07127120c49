/** Parsers for CLI option values: each failure names the option, what was expected and what was found. */
import { InvalidArgumentError as CommanderArgError } from 'commander';
import { ARCH_IDS, isArchId } from '../model/arch/index.js';
import type { ArchId } from '../model/arch/types.js';
import { SKELETON_IDS, isSkeletonId, type SkeletonId } from '../data/skeletons.js';

export function parseInt10(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new CommanderArgError(`${name}: expected an integer from ${min} to ${max}, found ${JSON.stringify(v)}`);
    }
    return n;
  };
}

export function parseFloatIn(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new CommanderArgError(`${name}: expected a number from ${min} to ${max}, found ${JSON.stringify(v)}`);
    }
    return n;
  };
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) {
      throw new CommanderArgError(`${name}: expected one of ${choices.join(', ')}, found ${JSON.stringify(v)}`);
    }
    return v as T;
  };
}

export function parseArch(v: string): ArchId {
  if (!isArchId(v)) throw new CommanderArgError(`--arch: expected one of ${ARCH_IDS.join(', ')}, found ${JSON.stringify(v)}`);
  return v;
}

export function parseSkeleton(v: string): SkeletonId {
  if (!isSkeletonId(v)) throw new CommanderArgError(`--skeleton: expected one of ${SKELETON_IDS.join(', ')}, found ${JSON.stringify(v)}`);
  return v;
}

/** `x,y,w,h` in pixels, w and h positive. */
export function parseBbox(v: string): [number, number, number, number] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new CommanderArgError(`--bbox: expected x,y,w,h in pixels with w and h > 0, found ${JSON.stringify(v)}`);
  }
  return parts as [number, number, number, number];
}
